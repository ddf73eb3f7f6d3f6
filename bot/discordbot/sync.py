"""Slash-command sync policy.

- `DISCORD_GUILD_ID` set (development): the commands are copied to that server and synced there at
  every start; guild commands update instantly.
- Otherwise (production): global commands. At start they are compared with what Discord already has
  and pushed only when they differ, so a restart does not spend Discord's daily command-create
  budget nor make clients refetch the list. `archive-bot sync` pushes them unconditionally.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)

# Fields of a command (and, recursively, of its options) that define it. Discord's answer carries
# more (ids, version, defaults); those are ignored.
_FIELDS = (
    "type",
    "name",
    "description",
    "options",
    "required",
    "choices",
    "value",
    "autocomplete",
    "min_value",
    "max_value",
    "min_length",
    "max_length",
    "channel_types",
    "name_localizations",
    "description_localizations",
    "default_member_permissions",
    "nsfw",
    "contexts",
    "integration_types",
)
# Fields Discord fills in with its own default when we leave them out.
_DEFAULTED = ("contexts", "integration_types")


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a sync did: where, whether it pushed, and the command names."""

    scope: str  # "global" or "guild <id>"
    pushed: bool
    names: list[str]


def local_payload(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None) -> list:
    """The JSON that tree.sync() would send for this scope."""
    return [command.to_dict(tree) for command in tree._get_all_commands(guild=guild)]


def differ(local: list[dict[str, Any]], remote: list[dict[str, Any]]) -> bool:
    """True when Discord's copy of the commands is not what this code defines."""
    mine = {(c.get("type", 1), c["name"]): _normal(c) for c in local}
    theirs = {(c.get("type", 1), c["name"]): _normal(c) for c in remote}
    if mine.keys() != theirs.keys():
        return True
    for key, command in mine.items():
        other = dict(theirs[key])
        for name in _DEFAULTED:
            if name not in command:
                other.pop(name, None)
        if command != other:
            return True
    return False


def _normal(value: Any) -> Any:
    """A command or option with only its defining fields; empty and false values dropped."""
    if isinstance(value, list):
        return [_normal(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key in _FIELDS:
        item = value.get(key)
        if item in (None, False, [], {}, ""):
            continue
        if key == "default_member_permissions":
            item = str(item)  # discord.py sends a number, Discord answers with a string
        result[key] = _normal(item)
    return result


async def sync_commands(
    client: discord.Client,
    tree: app_commands.CommandTree,
    *,
    guild_id: int | None,
    force: bool = False,
) -> SyncResult:
    """Apply the policy above; returns what was done. Raises discord.HTTPException on failure."""
    if client.application_id is None:
        raise RuntimeError("log in before syncing commands")
    if guild_id is not None:
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
        result = SyncResult(f"guild {guild_id}", True, [c.name for c in synced])
    else:
        local = local_payload(tree, None)
        if not force:
            try:
                remote = await client.http.get_global_commands(client.application_id)
            except discord.HTTPException as exc:  # cannot compare: push, as `sync` would
                log.warning(
                    "could not read the registered commands (%s %s); pushing them",
                    exc.status,
                    exc.text,
                )
            else:
                if not differ(local, remote):
                    log.info("global commands are up to date (%d)", len(local))
                    return SyncResult("global", False, [c["name"] for c in local])
        synced = await tree.sync()
        result = SyncResult("global", True, [c.name for c in synced])
    log.info(
        "synced %d commands (%s): %s", len(result.names), result.scope, ", ".join(result.names)
    )
    return result
