"""What /announce does, without Discord: check what a server manager typed, then change or read
that server's subscriptions. Every call takes the guild id, and a server never sees or changes
another's subscriptions. Problems raise `BadInput` with a message for the user.

May import: bot.archive, bot.feeds, bot.services; never discord.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..feeds.addresses import url_problem
from ..feeds.models import Feed, Subscription, normalize_feed_url, parse_keywords
from ..feeds.store import FeedStore, GuildStatus
from .answers import BadInput

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 25  # per server: each distinct feed is polled every interval
KEYWORD_TEXT_CHARS = 1000
SUBSCRIPTION_REF = re.compile(r"(?:sub:|#)?\s*(\d{1,18})")  # an autocomplete value, "#3" or "3"


@dataclass(frozen=True, slots=True)
class Added:
    """A subscription made (or updated) by /announce add, and its feed."""

    subscription: Subscription
    feed: Feed
    fetching: bool  # the feed has not been read yet: the poller fetches it now


class Announcements:
    """A server's subscriptions: add, remove, list, status."""

    def __init__(
        self,
        store: FeedStore,
        *,
        default_feed: str,
        allow_private: bool = False,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.default_feed = default_feed
        self.allow_private = allow_private
        self.wake = wake
        self.clock = clock

    async def add(
        self,
        guild_id: int,
        channel_id: int,
        feed: str | None = None,
        *,
        role_id: int | None = None,
        keywords: str | None = None,
    ) -> Added:
        """Follow a feed in a channel (or update that subscription), then have it polled now."""
        url = self.check_feed_url(feed)
        words = _keywords(keywords)
        existing = await self.store.subscriptions(guild_id)
        if len(existing) >= MAX_SUBSCRIPTIONS and not any(
            s.channel_id == channel_id and s.feed_url == url for s in existing
        ):
            raise BadInput(
                f"This server already has {MAX_SUBSCRIPTIONS} subscriptions, the most it may "
                "have. Remove one with /announce remove first."
            )
        subscription = await self.store.subscribe(
            guild_id, channel_id, url, role_id=role_id, keywords=words, now=self.clock()
        )
        found = await self.store.feed(subscription.feed_id)
        assert found is not None  # just subscribed to it, in the same transaction
        log.info(
            "guild %d: channel %d follows %s (subscription %d)",
            guild_id,
            channel_id,
            url,
            subscription.id,
        )
        self.wake()
        return Added(subscription, found, fetching=found.items_at is None)

    def check_feed_url(self, feed: str | None) -> str:
        """The feed URL to store, or BadInput saying what is wrong with it."""
        text = " ".join((feed or "").split()) or self.default_feed
        try:
            url = normalize_feed_url(text)
        except ValueError as exc:
            raise BadInput(f"That feed URL won't do: {exc}. Give a full http(s) address.") from None
        if not self.allow_private and (problem := url_problem(url)):
            raise BadInput(
                f"I only follow feeds on the public internet, and {problem}. "
                "(The bot's operator can allow private addresses with FEED_ALLOW_PRIVATE.)"
            )
        return url

    async def remove(self, guild_id: int, reference: str) -> Subscription:
        """Remove one of this server's subscriptions, named by its number (or autocomplete)."""
        match = SUBSCRIPTION_REF.fullmatch(reference.strip())
        subscription = None
        if match is not None:
            subscription = await self.store.subscription(int(match.group(1)))
        if subscription is None or subscription.guild_id != guild_id:
            raise BadInput(
                "This server has no such subscription. Pick one from the list as you type, or "
                "see the numbers with /announce list."
            )
        await self.store.unsubscribe(guild_id, subscription.id)
        log.info("guild %d: removed subscription %d", guild_id, subscription.id)
        return subscription

    async def subscriptions(self, guild_id: int) -> list[Subscription]:
        """This server's subscriptions."""
        return await self.store.subscriptions(guild_id)

    async def matching(
        self, guild_id: int, typed: str, channel_names: dict[int, str]
    ) -> list[Subscription]:
        """This server's subscriptions whose number, channel or feed contains what was typed."""
        needle = typed.strip().lstrip("#").casefold()

        def text(sub: Subscription) -> str:
            channel = channel_names.get(sub.channel_id, "")
            return f"{sub.id} {channel} {sub.feed_title or ''} {sub.feed_url}".casefold()

        return [sub for sub in await self.store.subscriptions(guild_id) if needle in text(sub)]

    async def status(self, guild_id: int) -> GuildStatus:
        """This server's feeds with their polling health, and its subscriptions."""
        return await self.store.guild_status(guild_id)


def _keywords(text: str | None) -> tuple[str, ...]:
    if text is not None and len(text) > KEYWORD_TEXT_CHARS:
        raise BadInput(f"Keywords: at most {KEYWORD_TEXT_CHARS} characters in all.")
    try:
        return parse_keywords(text)
    except ValueError as exc:
        raise BadInput(
            f"Keywords: {exc}. Separate keywords with commas, like: alignment, activation oracles"
        ) from None
