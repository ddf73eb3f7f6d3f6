"""The announcement feature's test rig: a real archive file, a real feed server, a fake clock and a
recording Announcer standing in for Discord (phase 2 reruns these scenarios through discord.py
against the fake Discord).
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bot.archive.store import Archive
from bot.feeds.announcer import ChannelGone, MissingPermission
from bot.feeds.models import Announcement, AnnouncementKind, Subscription
from bot.feeds.poller import Poller, RoundReport
from bot.feeds.schedule import PollPolicy
from bot.feeds.store import FeedStore

from ..feedserver import FeedServer
from .lesswrong import START, Item, rss

FIND_SENT_WINDOW = 50  # how many recent messages a real adapter would look through


class Crash(BaseException):
    """The process dies here: nothing after it runs, nothing catches it."""


class FakeClock:
    """Seconds since the epoch, moved by the test: backoff and retries without waiting."""

    def __init__(self, start: float = START.timestamp() + 86400):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Message:
    id: int
    channel_id: int
    announcement: Announcement
    nonce: str


class RecordingAnnouncer:
    """Records messages per channel, like a channel's history; faults are scripted per channel."""

    def __init__(self) -> None:
        self.channels: dict[int, list[Message]] = defaultdict(list)
        self.faults: dict[int, list[Exception]] = defaultdict(list)  # raised by the next sends
        self.gone: set[int] = set()
        self.forbidden: set[int] = set()
        self.crash_before_send = False
        self.crash_after_send = False
        self.deliver_then_fail: dict[int, Exception] = {}  # posted, but the answer is lost
        self.sends: list[int] = []  # channel of every send attempt
        self.lookups: list[tuple[int, str]] = []  # (channel, nonce) of every find_sent
        self._ids = itertools.count(10_000)

    async def send(self, channel_id: int, announcement: Announcement, nonce: str) -> int:
        self.sends.append(channel_id)
        self._check(channel_id)
        if self.faults[channel_id]:
            raise self.faults[channel_id].pop(0)
        if self.crash_before_send:
            self.crash_before_send = False
            raise Crash
        message = Message(next(self._ids), channel_id, announcement, nonce)
        self.channels[channel_id].append(message)
        if self.crash_after_send:
            self.crash_after_send = False
            raise Crash
        if channel_id in self.deliver_then_fail:
            raise self.deliver_then_fail.pop(channel_id)
        return message.id

    async def find_sent(
        self, channel_id: int, announcement: Announcement, nonce: str
    ) -> int | None:
        self.lookups.append((channel_id, nonce))
        self._check(channel_id)
        for message in reversed(self.channels[channel_id][-FIND_SENT_WINDOW:]):
            if message.nonce == nonce:
                return message.id
        return None

    def _check(self, channel_id: int) -> None:
        if channel_id in self.gone:
            raise ChannelGone("404 Not Found (error code: 10003): Unknown Channel")
        if channel_id in self.forbidden:
            raise MissingPermission("403 Forbidden (error code: 50013): Missing Permissions")

    # --- what the channels show -----------------------------------------------------------------

    def titles(self, channel_id: int) -> list[list[str]]:
        """Per message in the channel, the titles of the posts it announces."""
        return [[p.title for p in m.announcement.posts] for m in self.channels[channel_id]]

    def posts(self, channel_id: int) -> list[str]:
        """Titles of every post announced in the channel, in order, digests flattened."""
        return [title for message in self.titles(channel_id) for title in message]

    def notices(self, channel_id: int) -> list[str]:
        return [
            m.announcement.notice or ""
            for m in self.channels[channel_id]
            if m.announcement.kind is AnnouncementKind.NOTICE
        ]


class Harness:
    """An archive file, its feed store and a poller on it, reopened at will like a restart."""

    def __init__(self, tmp_path: Path, server: FeedServer, **poller_options):
        self.db_path = tmp_path / "archive.db"
        self.server = server
        self.clock = FakeClock()
        self.announcer = RecordingAnnouncer()
        self.poller_options = {"timeout": 2.0, **poller_options}
        self.policy_options: dict = {}
        self.archive: Archive | None = None
        self.poller: Poller | None = None

    async def open(self, **policy) -> Harness:
        self.policy_options.update(policy)
        self.archive = await Archive.open(self.db_path)
        self.poller = Poller(
            self.archive,
            announcer=self.announcer,
            policy=PollPolicy(rng=random.Random(5), **self.policy_options),
            clock=self.clock,
            **self.poller_options,
        )
        return self

    async def close(self) -> None:
        if self.poller is not None:
            await self.poller.close()
        if self.archive is not None:
            await self.archive.close()
        self.poller = self.archive = None

    async def restart(self) -> None:
        """A new process on the same database file (the announcer is Discord: it stays)."""
        await self.close()
        await self.open()

    @property
    def store(self) -> FeedStore:
        assert self.poller is not None
        return self.poller.store

    def url(self, path: str = "feed.xml") -> str:
        return self.server.url(path)

    def publish(self, items: list[Item], path: str = "feed.xml") -> None:
        self.server.publish(path, rss(items))

    async def subscribe(
        self,
        channel_id: int,
        *,
        guild_id: int = 1,
        path: str = "feed.xml",
        role_id: int | None = None,
        keywords: tuple[str, ...] = (),
    ) -> Subscription:
        return await self.store.subscribe(
            guild_id,
            channel_id,
            self.url(path),
            role_id=role_id,
            keywords=keywords,
            now=self.clock(),
        )

    async def round(self, advance: float = 600, **options) -> RoundReport:
        """Let `advance` seconds pass, then run one round."""
        self.clock.advance(advance)
        assert self.poller is not None
        return await self.poller.run_round(**options)

    async def round_when_due(self, path: str = "feed.xml") -> RoundReport:
        """Move the clock to the feed's next poll, then run one round."""
        feed = await self.feed(path)
        assert feed.next_poll is not None
        self.clock.now = max(self.clock.now, feed.next_poll.timestamp())
        return await self.round(advance=0)

    async def feed(self, path: str = "feed.xml"):
        (found,) = [f for f in await self.store.feeds() if f.url == self.url(path)]
        return found
