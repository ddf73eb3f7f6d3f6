"""What polling costs, and how long a new post takes from the poll that finds it to its messages.

Everything runs on 127.0.0.1: a LessWrong-shaped feed (10 items of realistic size) served by the
test feed server, a real archive file, and the tests' recording Announcer (Discord's own latency
is not included; phase 2 measures through the fake Discord).

    python bench/poll_cost.py            # both parts
    python bench/poll_cost.py --hours 24 --posts-per-hour 2 --trials 30
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.archive.store import Archive
from bot.feeds.poller import Poller
from bot.feeds.schedule import PollPolicy
from tests.feeds.harness import FakeClock, RecordingAnnouncer
from tests.feeds.lesswrong import item, newest, rss
from tests.feedserver import FeedServer, Route

# A LessWrong post runs to a few thousand words; the feed carries each post's full HTML.
PARAGRAPH = "An ordinary paragraph of a LessWrong post, about as long as most of them are. " * 8


def post(number: int):
    return item(number, paragraphs=tuple(f"{number}.{p} {PARAGRAPH}" for p in range(25)))


class Counting(FeedServer):
    """The test feed server, also counting the bytes of the bodies it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.body_bytes = 0

    async def _handle(self, request):
        response = await super()._handle(request)
        self.body_bytes += len(getattr(response, "body", b"") or b"")
        return response


async def polling_cost(hours: int, posts_per_hour: int, interval: int, conditional: bool) -> dict:
    """Simulated time: `hours` of polling a feed that gains `posts_per_hour` posts an hour."""
    server = await Counting().start()
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as scratch:
        archive = await Archive.open(Path(scratch) / "bench.db")
        announcer = RecordingAnnouncer()
        poller = Poller(
            archive, announcer=announcer, policy=PollPolicy(interval=interval), clock=clock
        )
        try:
            posts = [post(n) for n in range(10)]

            def publish() -> None:
                body = rss(newest(posts))
                if conditional:
                    server.publish("feed.xml", body)
                else:  # a server without validators: every poll is a full 200
                    server.routes["/feed.xml"] = Route(body=body)

            publish()
            await poller.store.subscribe(1, 101, server.url("feed.xml"), now=clock())
            step = 3600 / posts_per_hour
            next_post = clock() + step
            end = clock() + hours * 3600
            while clock() < end:
                await poller.run_round()
                clock.advance(interval)
                while next_post <= clock():
                    posts.append(post(len(posts)))
                    publish()
                    next_post += step
        finally:
            await poller.close()
            await archive.close()
    await server.close()
    statuses = [req for req in server.requests if req[0] == "/feed.xml"]
    return {
        "requests_per_hour": len(statuses) / hours,
        "kb_per_hour": server.body_bytes / hours / 1024,
        "feed_kb": len(rss(newest([post(n) for n in range(10)]))) / 1024,
        "announced": len(announcer.posts(101)),
    }


async def latency(trials: int, channels: int) -> list[float]:
    """Real time from the start of the round that finds a new post to its last message."""
    server = await FeedServer().start()
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        archive = await Archive.open(Path(scratch) / "bench.db")
        announcer = RecordingAnnouncer()
        clock = FakeClock()
        poller = Poller(archive, announcer=announcer, clock=clock)
        try:
            posts = [post(n) for n in range(10)]
            server.publish("feed.xml", rss(newest(posts)))
            for channel in range(channels):
                await poller.store.subscribe(1, 1000 + channel, server.url("feed.xml"), now=clock())
            await poller.run_round()
            for _ in range(trials):
                posts.append(post(len(posts)))
                server.publish("feed.xml", rss(newest(posts)))
                clock.advance(600)
                sent = len(announcer.sends)
                started = time.perf_counter()
                await poller.run_round()
                results.append(time.perf_counter() - started)
                assert len(announcer.sends) == sent + channels
        finally:
            await poller.close()
            await archive.close()
    await server.close()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--posts-per-hour", type=int, default=2)
    parser.add_argument("--interval", type=int, default=600)
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()

    print(
        f"Polling cost: {args.hours} h simulated, a feed gaining {args.posts_per_hour} posts/h, "
        f"polled every {args.interval} s"
    )
    for conditional in (True, False):
        cost = await polling_cost(args.hours, args.posts_per_hour, args.interval, conditional)
        label = "with ETag/304" if conditional else "without 304s"
        print(
            f"  {label:14} {cost['requests_per_hour']:.1f} requests/h, "
            f"{cost['kb_per_hour']:.0f} KB/h of bodies (feed: {cost['feed_kb']:.0f} KB), "
            f"{cost['announced']} posts announced"
        )
    print("Time from the round that finds a post to its last message (recording announcer):")
    for channels in (1, 10, 100):
        times = sorted(await latency(args.trials, channels))
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(
            f"  {channels:3} channel(s): median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms over {len(times)} rounds"
        )


if __name__ == "__main__":
    asyncio.run(main())
