"""Two `archive-bot run` processes, shards 0 and 1 of 2, on one PostgreSQL archive, against the
fake Discord: each answers its own servers; one elected process polls and announces, exactly once
in every subscribed channel; when it is killed the other takes over, and restarts add nothing."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from bot.archive.store import Archive
from bot.feeds.poller import Poller
from tests.feeds.lesswrong import item, newest, rss

from .newsroom import posts
from .test_lifecycle import bot_env

GLOBAL_COMMANDS = "/applications/{app}/commands"
ELECTED = "this process polls the feeds"
BACKLOG = [item(n) for n in range(1, 6)]


class Process:
    """One bot process on some shards; its log goes to a file the test can read at any time."""

    def __init__(self, world, tmp_path: Path, url: str, shard: int):
        self.world, self.tmp_path, self.url, self.shard = world, tmp_path, url, shard
        self.log_path = tmp_path / f"shard-{shard}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Process:
        env = bot_env(
            self.world,
            self.tmp_path,
            ARCHIVE_DB=self.url,
            DISCORD_SHARD_COUNT="2",
            DISCORD_SHARD_IDS=str(self.shard),
            FEED_ALLOW_PRIVATE="1",
            FEED_POLL_SECONDS="60",
        )
        with open(self.log_path, "a", encoding="utf-8") as log:  # noqa: ASYNC230 (a local file)
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.fakediscord.launch",
                self.world.fake.base,
                "run",
                cwd=self.tmp_path,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    async def stop(self, how: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(how)
        return await asyncio.wait_for(self.process.wait(), 30)


def guild_on_shard(fake, shard: int, name: str):
    """A new server whose id puts it on `shard` of 2 (a snowflake's shard is its millisecond)."""
    while True:
        guild = fake.add_guild(name)
        if (guild.id >> 22) % 2 == shard:
            return guild
        del fake.guilds[guild.id]
        time.sleep(0.002)


async def poll_soon(url: str) -> None:
    """Make the feed due now (a leader polls a feed again only after FEED_POLL_SECONDS)."""
    async with await Archive.open(url) as archive, archive.transaction() as db:
        await db.execute("UPDATE feeds SET next_poll = 0")


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def test_two_sharded_processes_share_one_archive_and_announce_once(
    world, tmp_path, postgres_url, feed_server
):
    fake = world.fake
    first_shard = (world.guild.id >> 22) % 2
    other = guild_on_shard(fake, 1 - first_shard, "Other server")
    news = other.add_text_channel("news")
    carol = other.add_member(fake.add_user("carol"))
    channels = {first_shard: world.general, 1 - first_shard: news}

    url = feed_server.url("feed.xml")
    feed_server.publish("feed.xml", rss(newest(BACKLOG)))
    async with await Archive.open(postgres_url) as archive, Poller(archive) as poller:
        await poller.run_round(extra_urls=[url])  # the backlog is read, never announced
        for channel in channels.values():
            await poller.store.subscribe(channel.guild.id, channel.id, url, now=0)
    feed_server.publish("feed.xml", rss(newest([*BACKLOG, item(6)])))
    await poll_soon(postgres_url)

    shards = [await Process(world, tmp_path, postgres_url, n).start() for n in (0, 1)]
    try:
        # Each process answers the commands of its own shard's servers.
        await until(lambda: len(fake.identifies) == 2, 60, "both shards to connect")
        for channel, user in ((world.general, world.alice), (news, carol)):
            ix = await fake.slash(user, channel, "search", query="post number 3")
            assert "Post number 3" in (await ix.reply(timeout=30)).embeds[0]["title"]
        assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
        commands = GLOBAL_COMMANDS.format(app=fake.application_id)
        assert len(fake.requests_to("PUT", commands)) == 1  # shard 0's process alone syncs

        # One of them is elected and announces the new post once in each channel.
        def announced(*numbers: int) -> bool:
            wanted = [f"Post number {n}" for n in numbers]
            return all(posts(channel) == wanted for channel in channels.values())

        await until(lambda: announced(6), 60, "post 6 in both channels")
        (leader,) = [shard for shard in shards if ELECTED in shard.log]

        # A feed followed through the other process is polled now, not at the leader's next
        # round (30 to 60 s away): the other process wakes the leader.
        (follower,) = [shard for shard in shards if shard is not leader]
        channel = channels[follower.shard]
        extra = feed_server.url("extra.xml")
        feed_server.publish("extra.xml", rss(newest(BACKLOG)))
        ix = await fake.slash(
            channel.guild.owner, channel, "announce add", channel=channel, feed=extra
        )
        await ix.reply(timeout=30)
        await until(lambda: feed_server.hits("extra.xml") > 0, 20, "the leader to poll it")

        # Killed outright, the leader's lock goes with its connection; the other takes over.
        assert await leader.stop(signal.SIGKILL) == -signal.SIGKILL
        feed_server.publish("feed.xml", rss(newest([*BACKLOG, item(6), item(7)])))
        await poll_soon(postgres_url)
        (survivor,) = [shard for shard in shards if shard is not leader]
        await until(lambda: ELECTED in survivor.log, 60, "the other process to be elected")
        await until(lambda: announced(6, 7), 60, "post 7 in both channels")

        # Both restart: the feed is read again, nothing is announced again.
        await survivor.stop()
        hits = feed_server.hits("feed.xml")
        await poll_soon(postgres_url)
        for shard in shards:
            await shard.start()
        await until(lambda: feed_server.hits("feed.xml") > hits, 60, "a poll after the restart")
        await asyncio.sleep(2)  # what that round would have sent
        assert announced(6, 7)
    finally:
        for shard in shards:
            if shard.process is not None and shard.process.returncode is None:
                await shard.stop()
    for shard in shards:
        assert "Traceback" not in shard.log, shard.log
