"""The forum backfill against the fake ForumMagnum server: paging, resuming, keeping up, merging."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.archive.backfill import BackfillOptions, open_crawl, run_backfill
from bot.archive.forum.crawl import ForumCursor
from bot.archive.forum.records import format_date
from bot.archive.sources import read_source
from bot.archive.store import Archive
from tests.fakeforum import FakeForum, FakePost

T0 = datetime(2019, 5, 31, 23, 42, 33, 149000, tzinfo=UTC)
FAST = BackfillOptions(pace=0, timeout=5)


def posts(count: int, *, start: datetime = T0, step: timedelta = timedelta(hours=7)) -> list:
    return [
        FakePost(f"post{n:013d}", f"Post number {n}", start + step * n, html=f"<p>Body {n}.</p>")
        for n in range(count)
    ]


@pytest.fixture
async def forum():
    async with FakeForum() as server:
        yield server


async def backfill(archive: Archive, forum: FakeForum, options: BackfillOptions = FAST):
    async with open_crawl(archive, forum.source, options) as crawl:
        return await run_backfill(archive, crawl)


async def stored(archive: Archive) -> dict[str, object]:
    return {post.guid: post async for post in archive.iter_posts()}


async def test_a_full_backfill_stores_every_listed_post_once_and_nothing_hidden(archive, forum):
    forum.posts = posts(250)
    hidden = {"draft": 3, "unlisted": 4, "shortform": 5, "rejected": 6, "onlyVisibleToLoggedIn": 7}
    for field, n in hidden.items():
        setattr(forum.posts[n], field, True)
    forum.posts[8].isEvent = True
    report = await backfill(archive, forum)
    assert report.outcome == "ok" and report.error is None
    held = await stored(archive)
    assert len(held) == 250 - len(hidden) - 1
    assert not {f"post{n:013d}" for n in (*hidden.values(), 8)} & held.keys()
    assert report.new == len(held) and report.paragraphs == len(held)
    # The whole listing went by date cursor: view "old", a limit every time, never an offset.
    listings = forum.listings()
    assert all(terms["view"] == "old" and "limit" in terms for terms in listings)
    assert not any("offset" in terms or "af" in terms for terms in listings)


async def test_short_pages_in_the_middle_do_not_end_the_backfill(archive, forum):
    forum.posts = posts(300)
    for n in range(90, 100):  # dropped after the limit: the first page comes back with 90
        forum.posts[n].onlyVisibleToLoggedIn = True
    await backfill(archive, forum)
    assert len(await stored(archive)) == 290
    assert "post0000000000299" in await stored(archive)


async def test_a_crowd_at_one_instant_larger_than_a_page_is_fetched_whole(archive, forum):
    crowd = [
        FakePost(f"crowd{n:012d}", f"Legacy post {n}", T0, html=f"<p>Old {n}.</p>")
        for n in range(130)
    ]
    forum.posts = (
        posts(20, start=T0 - timedelta(days=30)) + crowd + posts(20, start=T0 + timedelta(1))
    )
    for post in forum.posts[-20:]:
        post._id = "after" + post._id[5:]
    report = await backfill(archive, forum)
    assert report.outcome == "ok"
    held = await stored(archive)
    assert sum(guid.startswith("crowd") for guid in held) == 130
    assert len(held) == 170
    window = [terms for terms in forum.listings() if "before" in terms and "timeField" not in terms]
    assert window == [
        {
            "view": "old",
            "after": "2019-05-31T23:42:33.149Z",
            "before": "2019-05-31T23:42:33.150Z",
            "limit": 5000,
        }
    ]


async def test_forum_fields_become_the_archives(archive, forum):
    [post] = posts(1)
    forum.posts = [
        dataclasses.replace(
            post,
            user=None,
            coauthors=[{"_id": "c", "displayName": "Co Author"}],
            tags=["AI", "Rationality"],
            baseScore=41.6,
            commentCount=12,
            af=True,
            url="https://arxiv.org/abs/1906.01820",
            html='<p>See <span class="math-tex">\\(x^2\\)</span>.</p>',
        )
    ]
    await backfill(archive, forum)
    [held] = (await stored(archive)).values()
    assert held.url == "https://www.lesswrong.com/posts/post0000000000000/post-number-0"
    assert (held.author, held.coauthors, held.tags) == (None, ("Co Author",), ("AI", "Rationality"))
    assert (held.karma, held.comments, held.af) == (42, 12, True)
    assert held.link_url == "https://arxiv.org/abs/1906.01820"
    assert held.paragraphs == ("See \\(x^2\\).",)


async def test_events_are_skipped_unless_asked_for(archive, forum):
    forum.posts = posts(3)
    forum.posts[1].isEvent = True
    await backfill(archive, forum)
    assert len(await stored(archive)) == 2
    forum.posts.append(posts(4)[3])
    # The event is behind the cursor: asking for events goes over the archive again.
    report = await backfill(archive, forum, dataclasses.replace(FAST, events=True))
    assert (report.new, report.unchanged) == (2, 2)
    assert len(await stored(archive)) == 4
    assert ForumCursor.load(await archive.source_cursor(forum.source)).events


async def test_a_malformed_post_is_skipped_with_a_warning_not_the_page(archive, forum):
    forum.posts = posts(5)
    forum.posts[2].contents_missing = True
    report = await backfill(archive, forum)
    assert len(await stored(archive)) == 4
    assert [w for w in report.warnings if "post0000000000002" in w and "no text" in w]


async def test_the_ea_forum_mirror_links_to_the_forum_itself(archive):
    async with FakeForum(posts(2), page_host="https://forum-bots.effectivealtruism.org") as forum:
        await backfill(archive, forum)
    urls = {post.url for post in (await stored(archive)).values()}
    assert urls == {
        "https://forum.effectivealtruism.org/posts/post0000000000000/post-number-0",
        "https://forum.effectivealtruism.org/posts/post0000000000001/post-number-1",
    }


async def test_max_posts_stops_and_the_next_run_continues_without_doubling(archive, forum):
    forum.posts = posts(330)
    first = await backfill(archive, forum, dataclasses.replace(FAST, max_posts=150))
    assert (first.outcome, first.new) == ("stopped", 150)
    cursor = ForumCursor.load(await archive.source_cursor(forum.source))
    assert not cursor.complete
    forum.requests.clear()
    second = await backfill(archive, forum)
    assert (second.outcome, second.new) == ("ok", 180)
    assert forum.listings()[0]["after"] == cursor.after  # from the cursor, not the beginning
    assert len(await stored(archive)) == 330


async def test_once_caught_up_a_run_fetches_only_new_and_edited_posts(archive, forum):
    forum.posts = posts(120)
    await backfill(archive, forum)
    forum.requests.clear()
    edited = forum.posts[10]
    edited.html = "<p>Body 10, corrected.</p>"
    edited.modifiedAt = datetime.now(UTC)
    forum.posts.append(FakePost("brandnewpost00001", "Brand new", T0 + timedelta(days=400)))
    report = await backfill(archive, forum)
    assert (report.new, report.updated) == (1, 1)
    held = await stored(archive)
    assert held["post0000000000010"].paragraphs == ("Body 10, corrected.",)
    new_posts, edits = forum.listings()[0], forum.listings()[-1]
    assert new_posts["after"] == format_date(T0 + timedelta(hours=7) * 119)  # the newest stored
    assert edits["timeField"] == "modifiedAt"
    assert len(forum.listings()) <= 3  # the new posts' page, one window of edits (and no more)
    again = await backfill(archive, forum)
    assert (again.new, again.updated) == (0, 0)


async def test_many_edits_are_read_in_halved_windows(archive, forum):
    forum.posts = posts(250)
    await backfill(archive, forum)
    now = datetime.now(UTC)
    for n, post in enumerate(forum.posts[:230]):
        post.html = f"<p>Edited {n}.</p>"
        post.modifiedAt = now - timedelta(seconds=n)
    report = await backfill(archive, forum)
    assert report.updated == 230
    windows = [terms for terms in forum.listings() if terms.get("timeField") == "modifiedAt"]
    assert len(windows) > 3  # split until no window fills a page


async def test_forum_copies_merge_with_the_dump_and_the_feed(archive, shipped_dump, fixture_path):
    from bot.archive.feed import parse_feed

    await archive.ingest(await read_source(str(shipped_dump)))
    feed = fixture_path("lesswrong-feed.xml").read_bytes()
    await archive.ingest(parse_feed(feed, "https://www.lesswrong.com/feed.xml"))
    before = await archive.stats()
    dump_posts = [post async for post in archive.iter_posts()]
    by_title = {post.title: post for post in dump_posts}
    oracles = by_title["Building Better Activation Oracles"]  # guid from its known URL
    schemes = by_title["Sixteen Schemes for AI Safety"]  # in the feed too
    no_url = next(post for post in dump_posts if post.url is None and post.guid is None)
    forum_posts = [
        FakePost(oracles.guid, oracles.title, oracles.published, html="<p>Forum body.</p>"),
        FakePost("S1xteenSchemesAI7", schemes.title, schemes.published + timedelta(minutes=3)),
        FakePost("zzzzzzzzzzzzzzzz1", no_url.title, no_url.published + timedelta(hours=5)),
    ]
    async with FakeForum(forum_posts) as forum:
        report = await backfill(archive, forum)
    assert (report.new, report.updated) == (0, 3)
    after = await archive.stats()
    assert after.posts == before.posts
    held = {post.title: post async for post in archive.iter_posts()}
    assert held[oracles.title].paragraphs == ("Forum body.",)
    assert held[no_url.title].url == (
        "https://www.lesswrong.com/posts/zzzzzzzzzzzzzzzz1/" + forum_posts[2].slug
    )
    assert held[no_url.title].guid == "zzzzzzzzzzzzzzzz1"
