"""`ingest URL --history`: a feed's archive pages (RFC 5005, WordPress), resumable and polite."""

from __future__ import annotations

import dataclasses

from bot.archive.backfill import BackfillOptions, open_crawl, run_backfill
from bot.archive.history import HistoryCursor
from tests.feedserver import Route

FAST = BackfillOptions(pace=0, timeout=5)


def atom(entries: range, *links: tuple[str, str]) -> bytes:
    link_tags = "".join(f'<link rel="{rel}" href="{href}"/>' for rel, href in links)
    items = "".join(
        f"<entry><title>Entry {n}</title><id>urn:entry:{n}</id>"
        f"<updated>2020-01-{n % 28 + 1:02d}T00:00:00Z</updated>"
        f"<content type='html'>&lt;p&gt;Text of entry {n}.&lt;/p&gt;</content></entry>"
        for n in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Blog</title><id>urn:blog</id>{link_tags}{items}</feed>"
    ).encode()


def wordpress(entries: range) -> bytes:
    items = "".join(
        f"<item><title>Post {n}</title><guid>https://blog.example/?p={n}</guid>"
        f"<link>https://blog.example/post-{n}/</link>"
        f"<pubDate>Mon, 0{n % 9 + 1} Jun 2020 10:00:00 GMT</pubDate>"
        f"<description>Body of post {n}.</description></item>"
        for n in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>WP</title>'
        f"<generator>https://wordpress.org/?v=6.5.2</generator>{items}</channel></rss>"
    ).encode()


async def run(archive, url, options=FAST):
    async with open_crawl(archive, url, options) as crawl:
        return await run_backfill(archive, crawl)


async def titles(archive) -> set[str]:
    return {post.title async for post in archive.iter_posts()}


async def test_rfc5005_archives_are_followed_to_the_oldest(archive, feed_server):
    feed_server.publish("feed.xml", atom(range(20, 30), ("prev-archive", "/archive/2.xml")))
    feed_server.publish("archive/2.xml", atom(range(10, 20), ("prev-archive", "1.xml")))
    feed_server.publish("archive/1.xml", atom(range(10)))
    report = await run(archive, feed_server.url("feed.xml"))
    assert report.outcome == "ok" and report.new == 30
    assert len(await titles(archive)) == 30
    assert HistoryCursor.load(await archive.source_cursor(feed_server.url("feed.xml"))).complete


async def test_wordpress_pages_are_read_until_the_404(archive, feed_server):
    feed_server.publish("wp/feed", wordpress(range(20, 30)))
    feed_server.publish("wp/feed?paged=2", wordpress(range(10, 20)))
    feed_server.publish("wp/feed?paged=3", wordpress(range(10)))
    feed_server.routes["/wp/feed?paged=4"] = Route(status=404, body=b"Page not found")
    report = await run(archive, feed_server.url("wp/feed"))
    assert report.outcome == "ok" and report.new == 30
    assert report.requests == 4  # pages 1-3 and the 404 past the end


async def test_a_stopped_history_resumes_and_a_complete_one_keeps_up(archive, feed_server):
    feed_server.publish("feed.xml", atom(range(20, 30), ("next", "/p2.xml")))
    feed_server.publish("p2.xml", atom(range(10, 20), ("next", "/p3.xml")))
    feed_server.publish("p3.xml", atom(range(10)))
    url = feed_server.url("feed.xml")
    first = await run(archive, url, dataclasses.replace(FAST, max_posts=10))
    assert (first.outcome, first.new) == ("stopped", 10)
    second = await run(archive, url)
    assert (second.outcome, second.new, second.requests) == ("ok", 20, 2)  # from page 2 on
    # A new entry on the front page: read page 1, see page 2 is all known, stop.
    feed_server.publish("feed.xml", atom(range(21, 31), ("next", "/p2.xml")))
    third = await run(archive, url)
    assert (third.new, third.requests) == (1, 2)
    assert len(await titles(archive)) == 31


async def test_a_site_that_ignores_paged_is_not_read_for_ever(archive, feed_server):
    feed_server.publish("wp/feed", wordpress(range(5)))  # every ?paged=N gets the same page
    report = await run(archive, feed_server.url("wp/feed"))
    assert (report.outcome, report.new, report.requests) == ("ok", 5, 2)


async def test_a_feed_without_history_is_read_once(archive, feed_server):
    feed_server.publish("plain.xml", atom(range(3)))
    report = await run(archive, feed_server.url("plain.xml"))
    assert (report.outcome, report.new, report.requests) == ("ok", 3, 1)


async def test_a_broken_first_page_is_a_clear_failure(archive, feed_server):
    feed_server.publish("broken.xml", b"<html><body>Not a feed</body></html>")
    report = await run(archive, feed_server.url("broken.xml"))
    assert report.outcome == "failed" and "not a readable HTML page" in report.error
