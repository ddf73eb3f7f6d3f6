"""`archive-bot poll --once` end to end, in subprocesses, against a feed server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from .cli import archive_bot, cli_environment
from .feeds.lesswrong import item, newest, rss
from .feedserver import Route


@pytest.fixture
def env(tmp_path):
    return cli_environment(tmp_path, FEED_ALLOW_PRIVATE="1")  # the feed server is on 127.0.0.1


async def test_poll_once_without_a_token_fetches_and_ingests_only(env, tmp_path, feed_server):
    feed_server.publish("feed.xml", rss(newest([item(n) for n in range(1, 6)])))
    url = feed_server.url("feed.xml")

    code, out, err = await archive_bot(env, tmp_path, "poll", "--once", "--feed", url)
    assert code == 0, err
    assert f"LessWrong ({url}): HTTP 200, 5 posts in the feed (5 new, 0 updated)" in out
    assert "Announcing skipped: no DISCORD_TOKEN is configured" in out

    code, out, _ = await archive_bot(env, tmp_path, "poll", "--once", "--feed", url)
    assert code == 0 and f"LessWrong ({url}): not modified (304)" in out
    assert feed_server.requests[-1][1]["If-None-Match"] == feed_server.routes["/feed.xml"].etag

    code, out, _ = await archive_bot(env, tmp_path, "stats", "--json")
    stats = json.loads(out)
    assert stats["posts"] == 5 and stats["sources"][0]["location"] == url


async def test_private_addresses_are_refused_unless_allowed(env, tmp_path, feed_server):
    feed_server.publish("feed.xml", rss([item(1)]))
    env = {**env, "FEED_ALLOW_PRIVATE": ""}
    code, out, _ = await archive_bot(
        env, tmp_path, "poll", "--once", "--feed", feed_server.url("feed.xml")
    )
    assert code == 1 and "refused: 127.0.0.1 is a loopback address" in out
    assert feed_server.requests == []


async def test_a_failing_feed_exits_1_and_the_next_run_respects_the_backoff(
    env, tmp_path, feed_server
):
    feed_server.routes["/feed.xml"] = Route(status=500, body=b"oops")
    url = feed_server.url("feed.xml")
    code, out, err = await archive_bot(env, tmp_path, "poll", "--once", "--feed", url)
    assert code == 1
    assert "failed: " in out and "HTTP 500" in out and "failure 1 in a row" in out
    assert "Traceback" not in err

    code, out, _ = await archive_bot(env, tmp_path, "poll", "--once", "--feed", url)
    assert "skipped: backing off after 1 failure(s)" in out
    assert feed_server.hits("feed.xml") == 1


async def test_poll_usage_errors(env, tmp_path):
    code, _, err = await archive_bot(env, tmp_path, "poll")
    assert code == 2 and "poll needs --once" in err
    code, _, err = await archive_bot(env, tmp_path, "poll", "--once", "--feed", "ftp://x.org/f")
    assert code == 2 and "not an http(s) URL" in err
    code, out, _ = await archive_bot(env, tmp_path, "poll", "--once")
    assert code == 0 and "No feed is followed yet" in out


async def test_poll_once_reads_a_damaged_feed_item_by_item(env, tmp_path, feed_server):
    items = [
        item(1, "Naïve — dash"),
        item(2, "Bad BYTE byte"),
        item(3, "Ring BELL the bell", paragraphs=("Escape ESC[31m red",)),
        item(4, "Far future", pub_date="Fri, 31 Dec 9999 00:00:00 GMT"),
    ]
    data = rss(newest(items)).replace(b"BYTE", b"\xff").replace(b"BELL", b"\x07")
    feed_server.publish("feed.xml", data.replace(b"ESC", b"\x1b"))

    code, out, err = await archive_bot(
        env, tmp_path, "poll", "--once", "--feed", feed_server.url("feed.xml")
    )

    assert code == 0, err
    assert "4 posts in the feed (4 new, 0 updated)" in out
    assert "1 byte sequence(s) not valid utf-8, read as U+FFFD" in out
    assert "removed 2 control character(s)" in out
    assert "'Far future': published 9999-12-31T00:00:00Z cannot be right" in out
    assert not any(char in out + err for char in "\x07\x1b")
    _, exported, _ = await archive_bot(env, tmp_path, "export")
    records = {r["title"]: r for r in map(json.loads, exported.splitlines())}
    assert set(records) == {"Naïve — dash", "Bad \ufffd byte", "Ring the bell", "Far future"}
    assert records["Ring the bell"]["paragraphs"] == ["Escape [31m red"]
    assert records["Far future"]["published"] is None
