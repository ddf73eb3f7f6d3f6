"""`archive-bot ingest <forum>` as a user runs it: a subprocess against the fake forum, killed,
interrupted, refused by a bot wall, and run again."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3

import pytest

from tests.archive.test_forum import posts
from tests.cli import ARCHIVE_BOT, archive_bot, cli_environment
from tests.fakeforum import FakeForum

SECRET = "token-that-must-never-be-printed"


@pytest.fixture
async def forum():
    async with FakeForum(posts(600)) as server:
        yield server


def counts(db) -> tuple[int, int, int]:
    """(posts, distinct guids, paragraphs) in the archive file, read as another process would."""
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT (SELECT count(*) FROM posts), (SELECT count(DISTINCT guid) FROM posts),"
            " (SELECT count(*) FROM paragraphs)"
        ).fetchone()


async def started_backfill(tmp_path, forum, output) -> asyncio.subprocess.Process:
    """`archive-bot ingest <forum> --pace 0`, left running."""
    return await asyncio.create_subprocess_exec(
        str(ARCHIVE_BOT),
        *("ingest", forum.source, "--pace", "0"),
        env=cli_environment(tmp_path),
        cwd=tmp_path,
        stdout=output,
        stderr=output,
    )


async def stored_at_least(db, posts: int) -> None:
    """Wait until the running import has committed this many posts."""
    async with asyncio.timeout(30):
        while True:
            try:
                if db.exists() and counts(db)[0] >= posts:
                    return
            except sqlite3.OperationalError:  # the schema is not there yet
                pass
            await asyncio.sleep(0.01)  # another process writes the file: no event to await


async def test_a_backfill_prints_a_line_per_page_and_a_summary(tmp_path, forum):
    env = cli_environment(tmp_path)
    code, out, err = await archive_bot(env, tmp_path, "ingest", forum.source, "--pace", "0")
    assert code == 0, err
    assert "600 posts (600 new, 0 updated, 0 unchanged), 600 paragraphs" in out
    assert "up to date" in out
    assert err.count(f"{forum.source}: page ") == 7  # six of 100 and the last, repeated post
    code, out, err = await archive_bot(env, tmp_path, "stats", "--json")
    [source] = json.loads(out)["sources"]
    assert (source["kind"], source["posts"], source["sync"]["outcome"]) == ("forum", 600, "ok")


async def test_a_killed_backfill_resumes_with_nothing_lost_or_doubled(tmp_path, forum):
    db = tmp_path / "cli.db"
    forum.delay = 0.05
    process = await started_backfill(tmp_path, forum, asyncio.subprocess.DEVNULL)
    await stored_at_least(db, 200)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    stored, guids, _ = counts(db)
    assert 200 <= stored < 600 and stored == guids
    forum.delay = 0
    code, out, err = await archive_bot(
        cli_environment(tmp_path), tmp_path, "ingest", forum.source, "--pace", "0"
    )
    assert code == 0, err
    assert counts(db) == (600, 600, 600)
    assert f"{600 - stored} new" in out
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('integrity-check')")


async def test_ctrl_c_stops_cleanly_and_says_how_to_go_on(tmp_path, forum):
    db = tmp_path / "cli.db"
    forum.delay = 0.1
    process = await started_backfill(tmp_path, forum, asyncio.subprocess.PIPE)
    await stored_at_least(db, 100)
    process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 130
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    stored = counts(db)[0]
    with sqlite3.connect(db) as connection:
        [(cursor, outcome)] = connection.execute(
            "SELECT cursor, sync_outcome FROM sources WHERE kind = 'forum'"
        ).fetchall()
    assert json.loads(cursor)["after"] is not None and outcome == "stopped"
    assert stored >= 100


async def test_a_bot_wall_is_one_clear_line_and_a_failing_status(tmp_path, forum):
    forum.faults = [None, "checkpoint"]
    code, _, err = await archive_bot(
        cli_environment(tmp_path), tmp_path, "ingest", forum.source, "--pace", "0"
    )
    assert code == 1
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("error:")]
    assert "bot protection refused the request" in line and "FORUM_API_HEADERS" in line
    assert "100 new posts stored" in line


async def test_forum_api_headers_are_sent_and_never_printed(tmp_path, forum):
    env = cli_environment(tmp_path, FORUM_API_HEADERS=f"X-Access: {SECRET}\nFrom: ops@example.org")
    forum.faults = ["403"]
    code, out, err = await archive_bot(env, tmp_path, "-v", "ingest", forum.source, "--pace", "0")
    assert code == 1
    assert forum.requests[0].headers["X-Access"] == SECRET
    assert forum.requests[0].headers["From"] == "ops@example.org"
    assert SECRET not in out + err


async def test_bad_options_and_sources_are_usage_errors(tmp_path):
    env = cli_environment(tmp_path)
    code, _, err = await archive_bot(env, tmp_path, "ingest", "forum:ftp://example.org")
    assert code == 2 and "forum:https://www.lesswrong.com" in err
    dump = tmp_path / "posts.jsonl"
    dump.write_text('{"title": "T", "paragraphs": ["p"]}\n', encoding="utf-8")
    code, _, err = await archive_bot(env, tmp_path, "ingest", str(dump), "--since", "2020-01-01")
    assert code == 2 and "--since applies to forum sources" in err
    bad = cli_environment(tmp_path, FORUM_API_HEADERS=f"no colon {SECRET}")
    code, _, err = await archive_bot(bad, tmp_path, "ingest", "lesswrong")
    assert code == 2 and "FORUM_API_HEADERS line 1" in err and SECRET not in err


async def test_history_of_a_feed_through_the_command_line(tmp_path, feed_server):
    from tests.archive.test_history import atom

    feed_server.publish("feed.xml", atom(range(5, 10), ("prev-archive", "/old.xml")))
    feed_server.publish("old.xml", atom(range(5)))
    env = cli_environment(tmp_path)
    url = feed_server.url("feed.xml")
    code, out, err = await archive_bot(env, tmp_path, "ingest", url, "--history", "--pace", "0")
    assert code == 0, err
    assert "10 posts (10 new, 0 updated, 0 unchanged)" in out and "up to date" in out
    code, out, _ = await archive_bot(env, tmp_path, "ingest", url, "--pace", "0")  # no --history
    assert code == 0 and "5 posts (0 new, 0 updated, 5 unchanged)" in out
