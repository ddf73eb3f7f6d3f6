"""Discord's limits on a message, and `fit()`, the one function that keeps a reply within them.

Every reply is a `Reply` and leaves through `fit()`: over-long text is clipped (the longest first,
at a word, with an ellipsis), never refused by Discord. Lengths are counted as Discord counts them.
May import: discord.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import discord

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Limits:
    """Discord's limits on a message (https://discord.com/developers/docs/resources/message)."""

    content: int = 2000
    embeds: int = 10
    embed_total: int = 6000
    title: int = 256
    description: int = 4096
    fields: int = 25
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    author: int = 256
    url: int = 2048
    rows: int = 5
    buttons_per_row: int = 5
    label: int = 80
    custom_id: int = 100
    choices: int = 25
    choice_name: int = 100
    choice_value: int = 100


LIMITS = Limits()


@dataclass(slots=True)
class Reply:
    """A message to send: content, embeds and buttons. Built by the functions below, then fit()."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    role_ping: int | None = None  # the one role the message may ping (announcements only)

    def send_kwargs(self) -> dict[str, Any]:
        """Arguments for InteractionResponse.send_message / Webhook.send / Messageable.send."""
        kwargs: dict[str, Any] = {
            "content": self.content,
            "embeds": self.embeds,
            "allowed_mentions": mentions(self.role_ping),
        }
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """Arguments for edit_original_response / edit_message: replaces everything, buttons too."""
        return {
            "content": self.content,
            "embeds": self.embeds,
            "view": self.view,
            "allowed_mentions": mentions(self.role_ping),
        }


def mentions(role_id: int | None) -> discord.AllowedMentions:
    """Whom a message may ping: nobody, or this one role; never @everyone, @here or a user."""
    if role_id is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False, users=False, replied_user=False, roles=[discord.Object(id=role_id)]
    )


def size(text: str) -> int:
    """Length as Discord may count it: UTF-16 code units (an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` units, at a line or word break when one is near, with "…".

    The cut never leaves a dangling escape backslash or an unclosed bold marker.
    """
    if size(text) <= limit:
        return text
    budget = max(0, limit - size(ELLIPSIS))
    cut = text.encode("utf-16-le")[: 2 * budget].decode("utf-16-le", "ignore")
    for separator in ("\n", " "):
        at = cut.rfind(separator)
        if at >= 0.8 * len(cut):
            cut = cut[:at]
            break
    while True:
        cut = cut.rstrip()
        if (len(cut) - len(cut.rstrip("\\"))) % 2:  # would escape the ellipsis
            cut = cut[:-1]
        elif cut.count("**") % 2 and cut.endswith("**"):
            cut = cut[:-2]
        elif cut.count("**") % 2 and size(cut) + 2 > budget:
            cut = cut[:-1]
        elif cut.count("**") % 2:
            cut += "**"  # close the bold the cut opened
            break
        else:
            break
    return cut + ELLIPSIS


def fit(reply: Reply) -> Reply:
    """The reply cut to Discord's limits: every field, each embed, and all embeds together.

    Text is cut at line or word breaks; when the embeds are too long together, the longest texts
    give way first. Buttons are ours, not user text: a button over the limits is a bug and raises.
    """
    content = clip(reply.content, LIMITS.content) if reply.content else reply.content
    embeds = [_fit_embed(embed.to_dict()) for embed in reply.embeds[: LIMITS.embeds]]
    overflow = sum(_embed_size(data) for data in embeds) - LIMITS.embed_total
    while overflow > 0:
        slot = _longest_text(embeds)
        if slot is None:
            embeds.pop()
            overflow = sum(_embed_size(data) for data in embeds) - LIMITS.embed_total
            continue
        holder, key, length = slot
        holder[key] = clip(holder[key], max(40, length - overflow))
        overflow = sum(_embed_size(data) for data in embeds) - LIMITS.embed_total
    if reply.view is not None:
        check_components(reply.view)
    embeds_out = [discord.Embed.from_dict(data) for data in embeds]
    return Reply(content, embeds_out, reply.view, reply.role_ping)


def _fit_embed(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    if "title" in data:
        data["title"] = clip(data["title"], LIMITS.title)
    if "description" in data:
        data["description"] = clip(data["description"], LIMITS.description)
    if data.get("url") and size(data["url"]) > LIMITS.url:
        del data["url"]
    fields = data.get("fields", [])[: LIMITS.fields]
    for item in fields:
        item["name"] = clip(item.get("name") or "\u200b", LIMITS.field_name)
        item["value"] = clip(item.get("value") or "\u200b", LIMITS.field_value)
    if fields:
        data["fields"] = fields
    if data.get("footer", {}).get("text"):
        data["footer"]["text"] = clip(data["footer"]["text"], LIMITS.footer)
    if data.get("author", {}).get("name"):
        data["author"]["name"] = clip(data["author"]["name"], LIMITS.author)
    return data


def _texts(data: dict[str, Any]) -> Iterable[tuple[dict[str, Any], str]]:
    """(holder, key) of every text in an embed that counts towards the 6000 total."""
    for key in ("title", "description"):
        if data.get(key):
            yield data, key
    for item in data.get("fields", []):
        yield item, "name"
        yield item, "value"
    for part in ("footer", "author"):
        key = "text" if part == "footer" else "name"
        if data.get(part, {}).get(key):
            yield data[part], key


def _embed_size(data: dict[str, Any]) -> int:
    return sum(size(holder[key]) for holder, key in _texts(data))


def _longest_text(embeds: list[dict[str, Any]]) -> tuple[dict[str, Any], str, int] | None:
    """The longest description or field value (the texts that can shrink), if any is long."""
    candidates = [
        (holder, key, size(holder[key]))
        for data in embeds
        for holder, key in _texts(data)
        if key in ("description", "value")
    ]
    best = max(candidates, key=lambda item: item[2], default=None)
    return best if best is not None and best[2] > 40 else None


def check_components(view: discord.ui.View) -> None:
    """Raise ValueError if the buttons break Discord's rules (they are ours: that is a bug)."""
    rows = view.to_components()
    if len(rows) > LIMITS.rows:
        raise ValueError(f"{len(rows)} rows of components; Discord allows {LIMITS.rows}")
    seen: set[str] = set()
    for row in rows:
        items = row.get("components", [])
        if len(items) > LIMITS.buttons_per_row:
            raise ValueError(f"{len(items)} buttons in a row; Discord allows 5")
        for item in items:
            label = item.get("label") or ""
            if size(label) > LIMITS.label:
                raise ValueError(f"button label too long: {label!r}")
            custom_id = item.get("custom_id")
            if custom_id is not None:
                if size(custom_id) > LIMITS.custom_id or custom_id in seen:
                    raise ValueError(f"bad or repeated custom_id: {custom_id!r}")
                seen.add(custom_id)
