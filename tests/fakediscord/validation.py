"""Discord's limits, so that a payload Discord would refuse fails the test.

Message content, embeds and components; autocomplete choices; command schemas; whom a message
would ping. May import: the standard library, .world.
"""

from __future__ import annotations

import re
from typing import Any

from .world import DiscordError

MENTION_USER = re.compile(r"<@!?(\d+)>")
MENTION_ROLE = re.compile(r"<@&(\d+)>")
MENTION_ALL = re.compile(r"@(everyone|here)")


def pings(data: dict[str, Any]) -> set[str]:
    """Whom this message payload would notify, by Discord's rules for allowed_mentions.

    Only content can ping (never embeds); without allowed_mentions Discord parses everything.
    """
    content = data.get("content") or ""
    if not content:
        return set()
    allowed = data.get("allowed_mentions")
    parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse", []))
    # Snowflakes may come as numbers or strings (discord.py sends numbers).
    users = {str(user) for user in (allowed or {}).get("users", [])}
    roles = {str(role) for role in (allowed or {}).get("roles", [])}
    result = set()
    if "everyone" in parse:
        result |= {f"@{m}" for m in MENTION_ALL.findall(content)}
    result |= {f"user:{m}" for m in MENTION_USER.findall(content) if "users" in parse or m in users}
    result |= {f"role:{m}" for m in MENTION_ROLE.findall(content) if "roles" in parse or m in roles}
    return result


def _check_message(data: dict[str, Any], *, require_content: bool) -> None:
    errors: list[str] = []
    content = data.get("content") or ""
    embeds = data.get("embeds") or []
    components = data.get("components") or []
    if len(content) > 2000:
        errors.append(f"content: {len(content)} characters > 2000")
    if len(embeds) > 10:
        errors.append(f"embeds: {len(embeds)} > 10")
    total = 0
    for index, embed in enumerate(embeds):
        for key, limit in (("title", 256), ("description", 4096)):
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                errors.append(f"embeds.{index}.{key}: {len(text)} > {limit}")
        url = embed.get("url")
        if url is not None and (not re.match(r"https?://\S+$", url) or len(url) > 2048):
            errors.append(f"embeds.{index}.url: not a well formed URL")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.append(f"embeds.{index}.fields: {len(fields)} > 25")
        for number, item in enumerate(fields):
            name, value = item.get("name") or "", item.get("value") or ""
            total += len(name) + len(value)
            if not name or not value:
                errors.append(f"embeds.{index}.fields.{number}: empty name or value")
            if len(name) > 256 or len(value) > 1024:
                errors.append(f"embeds.{index}.fields.{number}: too long")
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > 2048 or len(author) > 256:
            errors.append(f"embeds.{index}: footer or author too long")
    if total > 6000:
        errors.append(f"embeds: {total} characters in all > 6000")
    if len(components) > 5:
        errors.append(f"components: {len(components)} rows > 5")
    seen: set[str] = set()
    for row in components:
        items = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(items) <= 5:
            errors.append("components: a row holds 1 to 5 components")
        for item in items:
            if len(item.get("label") or "") > 80:
                errors.append(f"button label > 80: {item.get('label')!r}")
            if item.get("style") == 5:
                if not item.get("url") or "custom_id" in item:
                    errors.append("a link button needs a url and no custom_id")
                continue
            custom_id = item.get("custom_id") or ""
            if not 1 <= len(custom_id) <= 100:
                errors.append(f"custom_id length {len(custom_id)} not in 1..100")
            if custom_id in seen:
                errors.append(f"custom_id {custom_id!r} used twice")
            seen.add(custom_id)
    if require_content and not (content or embeds or components):
        raise DiscordError(400, 50006, "Cannot send an empty message")
    if errors:
        raise DiscordError(400, 50035, "Invalid Form Body", errors)


def _check_choices(choices: Any) -> list[dict[str, Any]]:
    if not isinstance(choices, list) or len(choices) > 25:
        raise DiscordError(400, 50035, "Invalid Form Body", ["choices: at most 25"])
    for choice in choices:
        name, value = choice.get("name", ""), choice.get("value")
        if not 1 <= len(name) <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body", [f"choice name {name!r}"])
        if isinstance(value, str) and len(value) > 100:
            raise DiscordError(400, 50035, "Invalid Form Body", [f"choice value {value!r}"])
    return choices


_NAME = re.compile(r"^[-_\w]{1,32}$")


def _command_problem(command: dict[str, Any]) -> str | None:
    kind = command.get("type", 1)
    name = command.get("name", "")
    if kind == 1:
        if not _NAME.match(name) or name != name.lower():
            return f"bad name {name!r}"
        if not 1 <= len(command.get("description", "")) <= 100:
            return f"{name}: description must be 1-100 characters"
        options = command.get("options") or []
        if len(options) > 25:
            return f"{name}: more than 25 options"
        seen_optional = False
        for option in options:
            if not _NAME.match(option.get("name", "")):
                return f"{name}: bad option name {option.get('name')!r}"
            if not 1 <= len(option.get("description", "")) <= 100:
                return f"{name}.{option.get('name')}: description must be 1-100 characters"
            if option.get("required"):
                if seen_optional:
                    return f"{name}: required options must come before optional ones"
            else:
                seen_optional = True
    elif not 1 <= len(name) <= 32:
        return f"bad name {name!r}"
    return None


def _stored_option(option: dict[str, Any]) -> dict[str, Any]:
    stored = {k: v for k, v in option.items() if v is not None}
    if not stored.get("required"):
        stored.pop("required", None)  # Discord leaves out required: false
    return stored
