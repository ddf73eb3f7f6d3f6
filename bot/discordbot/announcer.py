"""The poller's Announcer on Discord: render an Announcement, post it, and map Discord's errors.

Works with the gateway bot and with a REST-only client (`archive-bot poll --once`): it needs only
`client.http` and `client.user`, and reads the cache, when there is one, just to name a missing
permission. What to send, retries and exactly-once bookkeeping are the outbox's (bot.feeds).

429s: discord.py waits and retries a short one by itself (up to 5 times); one longer than the
client's `max_ratelimit_timeout` (30 s for the bot) raises at once and becomes `RateLimited`, so the
outbox retries that channel after `retry_after` while the other channels go on. Every call is
also bounded by `timeout`, so a hung connection cannot stall announcing.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
import discord

from ..feeds.announcer import (
    ChannelGone,
    MissingPermission,
    RateLimited,
    Rejected,
    TransientError,
)
from ..feeds.models import Announcement
from .render.announcements import announcement as render_announcement
from .render.announcements import missing_permissions, shows_announcement

log = logging.getLogger(__name__)

TIMEOUT = 60.0  # seconds for one send or history read, discord.py's own retries included
HISTORY = 100  # recent messages read to find one sent before a crash (one request)
DEFAULT_RETRY = 60.0  # when a 429 says nothing about how long to wait


class DiscordAnnouncer:
    """Posts announcements in channels through a logged-in discord.py client."""

    def __init__(self, client: discord.Client, *, timeout: float = TIMEOUT, history: int = HISTORY):
        self.client = client
        self.timeout = timeout
        self.history = history

    async def send(self, channel_id: int, announcement: Announcement, nonce: str) -> int:
        """Post the announcement with `nonce` (Discord drops a repeat within minutes)."""
        reply = render_announcement(announcement)
        channel = self.client.get_partial_messageable(channel_id)
        async with self._calling(channel_id):
            message = await channel.send(**reply.send_kwargs(), nonce=nonce)
        return message.id

    async def find_sent(
        self, channel_id: int, announcement: Announcement, nonce: str
    ) -> int | None:
        """Our message for this announcement among the channel's recent messages, if any.

        Discord returns a nonce only in the answer to the POST, never in history, so messages are
        matched by what they show (shows_announcement). Replies to commands (webhook
        messages) are skipped: a shared search result can link the same post.
        """
        me = self.client.user.id if self.client.user is not None else None
        channel = self.client.get_partial_messageable(channel_id)
        async with self._calling(channel_id):
            async for message in channel.history(limit=self.history):
                if message.author.id != me:
                    continue
                if message.nonce is not None and str(message.nonce) == nonce:
                    return message.id
                if message.webhook_id is not None or message.interaction_metadata is not None:
                    continue
                embeds = [embed.to_dict() for embed in message.embeds]
                if shows_announcement(announcement, embeds):
                    return message.id
        return None

    @contextlib.asynccontextmanager
    async def _calling(self, channel_id: int) -> AsyncIterator[None]:
        """Bound a call in time and turn Discord's errors into the outbox's."""
        try:
            async with asyncio.timeout(self.timeout):
                yield
        except discord.NotFound as exc:
            raise ChannelGone(_text(exc)) from exc
        except discord.Forbidden as exc:
            raise MissingPermission(self._missing(channel_id, exc)) from exc
        except discord.RateLimited as exc:
            raise RateLimited(f"for {exc.retry_after:.0f} s", exc.retry_after) from exc
        except discord.HTTPException as exc:
            if exc.status == 429:  # retried five times already, or Cloudflare's
                raise RateLimited(_text(exc), _retry_after(exc)) from exc
            if exc.status == 401:
                log.error("Discord refused the bot's token while announcing: %s", _text(exc))
                raise TransientError(_text(exc)) from exc
            if 400 <= exc.status < 500:
                raise Rejected(_text(exc)) from exc
            raise TransientError(_text(exc)) from exc
        except TimeoutError as exc:
            raise TransientError(f"no answer from Discord within {self.timeout:g} s") from exc
        except (OSError, aiohttp.ClientError) as exc:
            raise TransientError(f"{exc.__class__.__name__}: {exc}") from exc

    def _missing(self, channel_id: int, exc: discord.Forbidden) -> str:
        """Name the missing permission when the cache knows the channel."""
        channel = self.client.get_channel(channel_id)
        if isinstance(channel, discord.abc.GuildChannel):
            missing = missing_permissions(channel.permissions_for(channel.guild.me))
            if missing:
                return f"I lack {', '.join(missing)} in #{channel.name}"
        return _text(exc)


def _text(exc: discord.HTTPException) -> str:
    detail = exc.text or getattr(exc.response, "reason", "") or ""
    return f"{exc.status} {detail}".strip()


def _retry_after(exc: discord.HTTPException) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        try:
            return max(0.0, float(headers[name]))
        except (KeyError, TypeError, ValueError):
            continue
    return DEFAULT_RETRY
