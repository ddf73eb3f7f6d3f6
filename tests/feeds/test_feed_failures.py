"""Bad feeds: each failure is recorded and backed off; other feeds go on; pausing tells channels once."""

from __future__ import annotations

import pytest

from ..feedserver import Route
from .lesswrong import item, newest, rss

BACKLOG = [item(n) for n in range(1, 6)]
FIFTY_MB = 50 * 1024 * 1024


async def follow_two_feeds(rig):
    """Channel 101 follows feed.xml, channel 102 follows good.xml; both baselined."""
    rig.publish(newest(BACKLOG))
    rig.publish(newest(BACKLOG), path="good.xml")
    await rig.subscribe(101)
    await rig.subscribe(102, path="good.xml")
    await rig.round()


@pytest.mark.parametrize(
    "route, error",
    [
        (Route(status=500, body=b"Internal Server Error"), "HTTP 500"),
        (Route(status=404, body=b"gone"), "HTTP 404"),
        (Route(delay=5, body=b"<rss/>"), "no complete answer within 0.5 s"),
        (Route(stream_forever=True), "no complete answer within 0.5 s"),
        (
            Route(body=b"<!DOCTYPE html><html><body>Site maintenance</body></html>"),
            "HTML page, not a feed",
        ),
        (Route(size=FIFTY_MB), f"body of {FIFTY_MB} bytes exceeds 1000000"),
        (Route(size=FIFTY_MB, declare_size=False), "body exceeds 1000000 bytes"),
        (Route(redirect_to="/feed.xml"), "more than 3 redirects"),
        (Route(body=b"\x00\x01 not xml at all"), "not a readable feed"),
    ],
    ids=["500", "404", "timeout", "slow-body", "html", "50MB", "50MB-chunked", "loop", "junk"],
)
async def test_a_failing_feed_is_recorded_and_the_others_go_on(tmp_path, feed_server, route, error):
    from .harness import Harness

    rig = await Harness(
        tmp_path, feed_server, timeout=0.5, max_bytes=1_000_000, max_redirects=3
    ).open()
    try:
        await follow_two_feeds(rig)
        feed_server.routes["/feed.xml"] = route
        rig.publish(newest([*BACKLOG, item(6)]), path="good.xml")

        report = await rig.round()

        outcomes = {r.feed.url.rsplit("/", 1)[1]: r for r in report.feeds}
        assert outcomes["feed.xml"].outcome == "failed"
        assert error in outcomes["feed.xml"].error
        assert outcomes["good.xml"].outcome == "fetched"
        assert rig.announcer.posts(102) == ["Post number 6"]
        assert rig.announcer.channels[101] == []
        feed = await rig.feed()
        assert feed.consecutive_failures == 1 and error in feed.last_error
        assert feed.next_poll.timestamp() > rig.clock()
    finally:
        await rig.close()


async def test_backoff_grows_with_jitter_and_no_fetch_happens_before_it_is_due(rig):
    await follow_two_feeds(rig)
    rig.server.routes["/feed.xml"] = Route(status=503)
    delays = []
    for _ in range(4):
        hits = rig.server.hits("feed.xml")
        await rig.round_when_due()
        assert rig.server.hits("feed.xml") == hits + 1
        feed = await rig.feed()
        delays.append(feed.next_poll.timestamp() - rig.clock())
        await rig.round(advance=delays[-1] / 2)  # halfway through the backoff: not fetched
        assert rig.server.hits("feed.xml") == hits + 1
    for number, delay in enumerate(delays):
        expected = 600 * 2**number
        assert 0.8 * expected <= delay <= 1.2 * expected
    assert len(set(delays)) == 4


async def test_retry_after_is_honoured(rig):
    await follow_two_feeds(rig)
    rig.server.routes["/feed.xml"] = Route(status=429, headers={"Retry-After": "7200"})
    await rig.round()
    feed = await rig.feed()
    assert feed.next_poll.timestamp() >= rig.clock() + 7200
    assert feed.retry_after_until.timestamp() == int(rig.clock() + 7200)
    # `poll --once` from cron ignores the normal interval but not a Retry-After.
    await rig.round(advance=3600, keep_interval=False)
    assert rig.server.hits("feed.xml") == 2


async def test_many_failures_pause_the_feed_and_its_channels_are_told_once(rig):
    await rig.close()
    await rig.open(pause_after=3)
    rig.publish(newest(BACKLOG))
    await rig.subscribe(101)
    await rig.subscribe(102)
    await rig.subscribe(201, guild_id=2, role_id=9)
    await rig.round()
    rig.server.routes["/feed.xml"] = Route(status=500)

    for _ in range(6):  # three failures to pause, three more probes while paused
        await rig.round_when_due()

    feed = await rig.feed()
    assert feed.paused and feed.consecutive_failures == 6
    for channel in (101, 102, 201):
        (notice,) = rig.announcer.notices(channel)
        assert "LessWrong" in notice and "paused" in notice and "HTTP 500" in notice
        (message,) = rig.announcer.channels[channel]
        assert message.announcement.role_id is None  # a notice pings nobody
    # Paused: probed every 6 hours (with jitter), not every 10 minutes.
    assert feed.next_poll.timestamp() - rig.clock() >= 0.8 * 6 * 3600

    rig.publish(newest([*BACKLOG, item(6)]))
    await rig.round_when_due()
    feed = await rig.feed()
    assert not feed.paused and feed.consecutive_failures == 0
    assert rig.announcer.posts(101) == ["Post number 6"]


async def test_a_truncated_document_keeps_what_is_legible_and_is_fetched_whole_next_time(rig):
    await follow_two_feeds(rig)
    full = rss(newest([*BACKLOG, item(6), item(7)]))
    cut = full[: full.index(b"Second paragraph of post 6")]  # inside the second item
    rig.server.routes["/feed.xml"] = Route(body=cut, etag='"same"')

    report = await rig.round()
    assert report.feeds[0].outcome == "fetched"
    assert any("truncated" in warning for warning in report.feeds[0].warnings)
    assert rig.announcer.posts(101) == ["Post number 7"]

    # Same ETag, now whole: a stored validator would get a 304 and hide post 6 until the next change.
    rig.server.routes["/feed.xml"] = Route(body=full, etag='"same"')
    await rig.round()
    assert rig.announcer.posts(101) == ["Post number 7", "Post number 6"]


async def test_items_without_guid_or_with_bad_dates_are_announced_once(rig):
    await follow_two_feeds(rig)
    undated = item(6, pub_date="sometime next week")
    guidless = item(7, guid=False)
    rig.publish([*newest([*BACKLOG, guidless]), undated])
    report = await rig.round()
    assert any("no readable date" in w for w in report.feeds[0].warnings)
    # The feed later fixes both: same posts, no second announcement.
    rig.publish(newest([*BACKLOG, item(6), item(7)]))
    await rig.round()

    assert sorted(rig.announcer.posts(101)) == ["Post number 6", "Post number 7"]
    published = {
        p.title: p.published for m in rig.announcer.channels[101] for p in m.announcement.posts
    }
    assert published["Post number 6"] is None


async def test_a_feed_nobody_listens_on_is_a_failure_not_a_crash(rig):
    await rig.store.subscribe(1, 101, "http://127.0.0.1:9/feed.xml", now=rig.clock())
    report = await rig.round()
    (result,) = report.feeds
    assert result.outcome == "failed" and result.status is None
    assert "127.0.0.1:9" in result.error


async def test_a_feed_that_suddenly_shows_nothing_keeps_its_items_for_new_channels(rig):
    await follow_two_feeds(rig)
    rig.publish([])  # a glitch: a well-formed feed without items
    report = await rig.round()
    assert report.feeds[0].outcome == "fetched"
    assert any("shows no items" in w for w in report.feeds[0].warnings)

    await rig.subscribe(103)  # joins during the glitch: its baseline is the items seen before
    rig.publish(newest([*BACKLOG, item(6)]))
    await rig.round()
    assert rig.announcer.posts(103) == ["Post number 6"]
    assert rig.announcer.posts(101) == ["Post number 6"]
