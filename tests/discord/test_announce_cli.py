"""`archive-bot poll --once` with a token: one round from cron, announcing through a REST-only
client (no gateway session), as a real process against the fake Discord."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.archive.store import Archive
from bot.feeds.poller import Poller
from tests.feeds.lesswrong import item, newest, rss

from .newsroom import announcements, posts
from .test_lifecycle import bot_env

REPO = Path(__file__).resolve().parents[2]
BACKLOG = [item(n) for n in range(1, 6)]


async def poll_once(world, tmp_path, db_path, **extra) -> tuple[int, str, str]:
    env = bot_env(world, tmp_path, ARCHIVE_DB=str(db_path), FEED_ALLOW_PRIVATE="1", **extra)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakediscord.launch",
        world.fake.base,
        "poll",
        "--once",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def follow(db_path, world, url) -> None:
    """#general follows the feed; its backlog is read (as /announce add would have it)."""
    async with await Archive.open(db_path) as archive, Poller(archive) as poller:
        await poller.run_round(extra_urls=[url])
        await poller.store.subscribe(world.guild.id, world.general.id, url, now=0)


async def test_poll_once_with_a_token_announces_over_rest_only(
    world, tmp_path, db_path, feed_server
):
    feed_server.publish("feed.xml", rss(newest(BACKLOG)))
    await follow(db_path, world, feed_server.url("feed.xml"))
    feed_server.publish("feed.xml", rss(newest([*BACKLOG, item(6)])))

    code, out, err = await poll_once(world, tmp_path, db_path)
    assert code == 0, err
    assert "announced 1 post(s) in 1 message(s)" in out
    assert posts(world.general) == ["Post number 6"]
    assert world.fake.identifies == [] and not world.fake.connected  # no gateway session
    assert world.fake.token not in out + err

    code, out, _ = await poll_once(world, tmp_path, db_path)  # cron, ten minutes later
    assert code == 0 and "not modified (304)" in out and "announced 0 post(s)" in out
    assert len(announcements(world.general)) == 1


async def test_poll_once_with_a_rejected_token_still_ingests_and_exits_1(
    world, tmp_path, db_path, feed_server
):
    feed_server.publish("feed.xml", rss(newest(BACKLOG)))
    await follow(db_path, world, feed_server.url("feed.xml"))
    feed_server.publish("feed.xml", rss(newest([*BACKLOG, item(6)])))

    code, out, err = await poll_once(world, tmp_path, db_path, DISCORD_TOKEN="not-the-token")
    assert code == 1
    assert "HTTP 200, 6 posts in the feed (1 new" in out
    assert "Announcing skipped: Discord rejected the token" in out
    assert "Traceback" not in err and "not-the-token" not in out + err
    assert announcements(world.general) == []

    code, out, err = await poll_once(world, tmp_path, db_path)  # fixed: what waited goes out
    assert code == 0, err
    assert posts(world.general) == ["Post number 6"]
