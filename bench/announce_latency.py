"""Time from the poll that finds a new post to its message in Discord, through the real bot.

Everything runs on 127.0.0.1: the bot as `archive-bot run` builds it (create_bot, its own poller
loop, discord.py), the tests' fake Discord (REST and gateway) and a LessWrong-shaped feed with
posts of realistic size. For each trial a new post is published, the clock the poller reads is
moved to the next poll and the loop is woken (what the interval timer does); the time runs from
that wake-up to the moment the fake Discord stored the message in the last subscribed channel.
Discord's own network latency and its per-channel rate limits (5 messages / 5 s) are not
included; each channel gets one message per trial.

    python bench/announce_latency.py                    # 1 and 10 channels, 20 trials each
    python bench/announce_latency.py --channels 1 25 --trials 50
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.archive.store import Archive
from bot.config import Secret, Settings
from bot.discordbot.app import create_bot
from bot.feeds.store import FeedStore
from tests.fakediscord import FakeDiscord
from tests.feeds.harness import FakeClock
from tests.feeds.lesswrong import item, newest, rss
from tests.feedserver import FeedServer

PARAGRAPH = "An ordinary paragraph of a LessWrong post, about as long as most of them are. " * 8


def post(number: int):
    return item(number, paragraphs=tuple(f"{number}.{p} {PARAGRAPH}" for p in range(25)))


async def trials(channels: int, count: int) -> list[float]:
    """Seconds from the wake-up of the poll that finds each new post to its last message."""
    fake = await FakeDiscord().start()
    server = await FeedServer().start()
    guild = fake.add_guild("Bench server")
    targets = [guild.add_text_channel(f"news-{n}") for n in range(channels)]
    clock = FakeClock()
    results = []
    with tempfile.TemporaryDirectory() as scratch, fake.patched():
        db_path = Path(scratch) / "bench.db"
        posts = [post(n) for n in range(10)]
        server.publish("feed.xml", rss(newest(posts)))
        async with await Archive.open(db_path) as archive:
            store = FeedStore(archive)
            for channel in targets:
                await store.subscribe(guild.id, channel.id, server.url("feed.xml"), now=clock())
        settings = Settings(
            db_path=db_path, discord_token=Secret(fake.token), feed_allow_private=True
        )
        bot = create_bot(settings, guild_ready_timeout=0.05, poller_options={"clock": clock})
        runner = asyncio.create_task(bot.start(fake.token))
        try:
            await fake.wait_until_connected(timeout=30)
            await bot.wait_until_ready()
            poller = bot.poller
            await _round(poller)  # the baseline: what the feed shows now is not announced
            for _ in range(count):
                posts.append(post(len(posts)))
                server.publish("feed.xml", rss(newest(posts)))
                clock.advance(600)
                before = [len(channel.messages) for channel in targets]
                started = time.time()
                await _round(poller)
                assert [len(c.messages) for c in targets] == [n + 1 for n in before]
                results.append(max(c.messages[-1].created for c in targets) - started)
        finally:
            await bot.close()
            await runner
            await server.close()
            await fake.close()
    return results


async def _round(poller) -> None:
    target = poller.rounds_started + 1
    poller.wake()
    while poller.rounds < target:  # noqa: ASYNC110 - a counter, not an event
        await asyncio.sleep(0.001)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print("From the poll that finds a new post to its message, through discord.py and the fake:")
    for channels in args.channels:
        times = sorted(await trials(channels, args.trials))
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(
            f"  {channels:3} channel(s): median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms over {len(times)} polls"
        )


if __name__ == "__main__":
    asyncio.run(main())
