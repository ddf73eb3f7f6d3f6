"""The background loop with the real clock: it polls on its own, wakes on demand, stops cleanly."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

from bot.archive.store import Archive
from bot.feeds.poller import Poller
from bot.feeds.schedule import PollPolicy

from .harness import RecordingAnnouncer
from .lesswrong import item, newest, rss


async def eventually(condition: Callable[[], bool | Awaitable[bool]], limit: float = 15.0) -> None:
    """Wait until `condition` holds; fail if it does not within `limit` seconds (liveness only)."""
    async with asyncio.timeout(limit):
        while True:
            result = condition()
            if await result if inspect.isawaitable(result) else result:
                return
            await asyncio.sleep(0.02)


async def test_the_loop_polls_by_itself_and_announces(tmp_path, feed_server):
    announcer = RecordingAnnouncer()
    async with await Archive.open(tmp_path / "a.db") as archive:
        poller = Poller(archive, announcer=announcer, policy=PollPolicy(interval=0.2))
        feed_server.publish("feed.xml", rss([item(1)]))
        await poller.store.subscribe(1, 101, feed_server.url("feed.xml"), now=0)
        task = poller.start()
        await eventually(lambda: feed_server.hits("feed.xml") >= 1)
        feed_server.publish("feed.xml", rss(newest([item(1), item(2)])))
        await eventually(lambda: announcer.posts(101) == ["Post number 2"])
        await poller.close()
        assert task.cancelled()
        hits = feed_server.hits("feed.xml")
        await asyncio.sleep(0.5)
        assert feed_server.hits("feed.xml") == hits  # stopped for good


async def test_wake_polls_a_new_feed_at_once_instead_of_at_the_next_interval(tmp_path, feed_server):
    announcer = RecordingAnnouncer()
    policy = PollPolicy(interval=3600)
    async with (
        await Archive.open(tmp_path / "a.db") as archive,
        Poller(archive, announcer=announcer, policy=policy) as poller,
    ):
        feed_server.publish("first.xml", rss([item(1)]))
        await poller.store.subscribe(1, 100, feed_server.url("first.xml"), now=0)
        poller.start()
        await eventually(lambda: feed_server.hits("first.xml") == 1)  # next round: in an hour
        feed_server.publish("feed.xml", rss([item(1)]))
        subscription = await poller.store.subscribe(1, 101, feed_server.url("feed.xml"), now=0)
        poller.wake()  # what /announce add does

        async def baseline_taken() -> bool:
            return bool(await poller.store.outbox(subscription.id))

        await eventually(baseline_taken)
        (row,) = await poller.store.outbox(subscription.id)
        assert row.state == "baseline"
        assert feed_server.hits("feed.xml") == 1 and announcer.channels[101] == []
