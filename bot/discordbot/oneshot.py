"""Discord for the CLI's one-shot commands: `archive-bot sync`, and `poll --once`'s announcer.

Both log in over HTTP only (no gateway session) and leave. Discord's exceptions stay in here: the
CLI gets a SyncFailed with a sentence, or an announcer and the reason it could not have one.
May import: discord, and what app.py may.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
import discord

from ..archive.store import Location
from ..config import Settings
from ..feeds.announcer import Announcer
from .announcer import DiscordAnnouncer
from .app import MAX_RATELIMIT_WAIT, create_bot
from .sync import SyncResult, sync_commands

log = logging.getLogger(__name__)


class SyncFailed(RuntimeError):
    """`archive-bot sync` could not push the commands; the message says why."""


async def sync_once(
    settings: Settings, archive_db: Location, *, guild_id: int | None, clear: bool = False
) -> SyncResult:
    """`archive-bot sync`: log in over HTTP only, push (or clear a guild's) commands, log out."""
    assert settings.discord_token is not None
    bot = create_bot(settings, archive_db, sync_on_start=False, poll_feeds=False)
    try:
        async with bot:
            await bot.login(settings.discord_token.reveal())
            if clear and guild_id is not None:
                guild = discord.Object(id=guild_id)
                bot.tree.clear_commands(guild=guild)
                await bot.tree.sync(guild=guild)
                return SyncResult(f"guild {guild_id}", True, [])
            return await sync_commands(bot, bot.tree, guild_id=guild_id, force=True)
    except discord.LoginFailure:
        raise SyncFailed("Discord rejected the token: check DISCORD_TOKEN") from None
    except discord.HTTPException as exc:
        raise SyncFailed(f"sync failed: {exc.status} {exc.text}") from None


@contextlib.asynccontextmanager
async def rest_announcer(token: str) -> AsyncIterator[tuple[Announcer | None, str | None]]:
    """The Discord announcer for `poll --once`, or None and why announcing is skipped: a
    REST-only client (login, no gateway session), closed on the way out."""
    client = discord.Client(
        intents=discord.Intents.none(),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
    )
    async with client:
        try:
            await client.login(token)
        except discord.LoginFailure:
            log.error("Discord rejected the token: check DISCORD_TOKEN")
            yield None, "Discord rejected the token (check DISCORD_TOKEN)"
            return
        except (discord.HTTPException, OSError, aiohttp.ClientError) as exc:
            log.error("could not log in to Discord: %s", exc)
            yield None, f"could not reach Discord ({exc.__class__.__name__})"
            return
        yield DiscordAnnouncer(client), None
