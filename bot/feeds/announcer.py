"""The boundary between the poller and Discord: what an announcer does and the faults it reports.

The Discord layer implements `Announcer` with discord.py (render the Announcement, send it, map
HTTP errors to the exceptions below). Everything else (what to announce, retries, exactly-once
bookkeeping, broken subscriptions) happens on this side.

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

from typing import Protocol

from .models import Announcement


class Announcer(Protocol):
    """Posts announcements in channels."""

    async def send(self, channel_id: int, announcement: Announcement, nonce: str) -> int:
        """Post the announcement; return the new message's id.

        `nonce` is stable across retries of the same message: pass it to `channel.send(nonce=)`
        (discord.py 2.7 then sets enforce_nonce, so Discord itself refuses a duplicate made within
        a few minutes).
        """
        ...

    async def find_sent(
        self, channel_id: int, announcement: Announcement, nonce: str
    ) -> int | None:
        """The id of a message already posted for this announcement, if there is one.

        Called before sending again a message that may have gone out before a crash: look at the
        channel's recent messages by this bot. Messages read back from history may not carry their
        nonce, so match the announcement's post URLs (`Announcement.post_urls`) as well.
        """
        ...


class AnnounceError(Exception):
    """A send failed; the subclass says what the poller should do about it."""


class ChannelGone(AnnounceError):
    """The channel no longer exists or the bot cannot see it (404): the subscription is broken."""


class MissingPermission(AnnounceError):
    """The bot may not post there (403); the message names the permission when it is known."""


class RateLimited(AnnounceError):
    """Discord said to wait (429): nothing is lost, the message goes out after `retry_after`."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(AnnounceError):
    """Discord or the network failed (5xx, timeout): retry later, nothing lost."""


class Rejected(AnnounceError):
    """Discord refused this message itself (400): sending it again cannot succeed."""
