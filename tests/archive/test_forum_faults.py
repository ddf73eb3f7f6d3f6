"""The forum backfill when the site misbehaves: retried, given up on with a clear message, or
stopped at once by a bot wall; never a post lost or doubled, the cursor always saved."""

from __future__ import annotations

import dataclasses
import itertools

import aiohttp
import pytest

from bot.archive.backfill import BackfillOptions, open_crawl, run_backfill
from bot.archive.forum.client import ForumClient, ForumQueryError
from bot.archive.forum.crawl import ForumCursor
from bot.archive.forum.sites import Site
from bot.archive.polite import Crawler, Politeness
from tests.fakeforum import FakeForum

from .test_forum import FAST, backfill, posts, stored


@pytest.fixture
async def forum():
    async with FakeForum(posts(250)) as server:
        yield server


@pytest.mark.parametrize("fault", ["500", "503", "429", "truncate"])
async def test_passing_trouble_is_retried_and_the_run_completes(archive, forum, fault):
    forum.faults = [None, fault, fault]  # the second page fails twice
    report = await backfill(archive, forum)
    assert report.outcome == "ok"
    assert len(await stored(archive)) == 250
    assert report.requests == len(forum.requests)


async def test_a_hang_is_timed_out_and_retried(archive, forum):
    forum.faults = ["hang"]
    report = await backfill(archive, forum, dataclasses.replace(FAST, timeout=0.3))
    assert report.outcome == "ok" and len(await stored(archive)) == 250


async def test_trouble_that_lasts_stops_the_run_with_its_cursor_saved(archive, forum):
    forum.faults = [None, None, *["500"] * 5]
    report = await backfill(archive, forum)
    assert report.outcome == "failed"
    assert "HTTP 500" in report.error and "gave up after 5 attempts" in report.error
    assert len(await stored(archive)) == 199  # the two pages that came through (one repeat)
    forum.requests.clear()
    report = await backfill(archive, forum)
    assert report.outcome == "ok" and len(await stored(archive)) == 250
    assert forum.listings()[0]["after"] != "1970-01-01T00:00:00.000Z"


async def test_a_page_too_large_for_the_site_is_asked_for_in_smaller_pages(archive):
    async with FakeForum(posts(120), response_limit=20_000) as forum:  # ~40 posts fit
        report = await backfill(archive, forum)
    assert report.outcome == "ok" and len(await stored(archive)) == 120
    limits = [terms["limit"] for terms in forum.listings()]
    assert limits[:3] == [100, 50, 25]


@pytest.mark.parametrize("fault", ["checkpoint", "403", "html"])
async def test_a_bot_wall_stops_at_once_and_says_what_to_do(archive, forum, fault):
    forum.faults = [None, fault]
    report = await backfill(archive, forum)
    assert report.outcome == "blocked"
    assert len(forum.requests) == 2  # no retry against a wall
    assert "bot protection" in report.error and "FORUM_API_HEADERS" in report.error
    assert len(await stored(archive)) == 100
    cursor = ForumCursor.load(await archive.source_cursor(forum.source))
    assert cursor.after is not None and not cursor.complete
    stats = {s.location: s for s in (await archive.stats()).sources}
    assert stats[forum.source].sync.outcome == "blocked"


async def test_a_graphql_error_names_the_message(archive, forum):
    forum.faults = ["graphql-error"]
    forum.error_message = "Exceeded maximum value for skip"
    report = await backfill(archive, forum)
    assert report.outcome == "failed"
    assert "the API answered with an error: Exceeded maximum value for skip" in report.error
    assert len(forum.requests) == 1


async def test_a_query_the_schema_rejects_is_an_error_not_an_empty_page(forum):
    async with aiohttp.ClientSession() as session:
        client = ForumClient(Site(forum.base), Crawler(Politeness(pace=0)), session)
        with pytest.raises(ForumQueryError, match="Cannot query field 'karma' on type 'Post'"):
            await client._post({"query": "{ posts(input: {terms: {}}) { results { karma } } }"})


async def test_headers_from_the_operator_are_sent_with_every_request(archive, forum):
    options = dataclasses.replace(FAST, headers={"X-Bot-Access": "s3cret", "User-Agent": "ops"})
    await backfill(archive, forum, options)
    assert {r.headers.get("X-Bot-Access") for r in forum.requests} == {"s3cret"}
    assert {r.headers.get("User-Agent") for r in forum.requests} == {"ops"}


async def test_requests_keep_the_pace(archive, forum):
    async with open_crawl(archive, forum.source, dataclasses.replace(FAST, pace=0.2)) as crawl:
        await run_backfill(archive, crawl)
    gaps = [b.at - a.at for a, b in itertools.pairwise(forum.requests)]
    assert len(gaps) >= 3 and min(gaps) >= 0.2
    default = forum.requests[0].headers["User-Agent"]
    assert default.startswith("archive-bot/")


def test_default_options_are_polite():
    options = BackfillOptions()
    assert (options.pace, options.events, options.max_posts) == (3.0, False, None)
