"""The fake ForumMagnum server keeps the real API's contract (shared/reference/forummagnum-api.md):
if it did not, the backfill tests would prove nothing."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from tests.fakeforum import FakeForum, FakePost
from tests.fakeforum.corpus import generate

from .test_forum import T0, posts

LIST = "query ($input: MultiPostInput) { posts(input: $input) { results { _id postedAt } } }"


async def listing(forum: FakeForum, **terms) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        body = {"query": LIST, "variables": {"input": {"terms": terms}}}
        async with session.post(forum.base + "/graphql", json=body) as response:
            return response.status, await response.json()


def ids(payload: dict) -> list[str]:
    return [post["_id"] for post in payload["data"]["posts"]["results"]]


@pytest.fixture
async def forum():
    crowd = [FakePost(f"tie{n:014d}", f"Tie {n}", T0 + timedelta(days=1)) for n in range(3)]
    async with FakeForum(posts(10) + crowd) as server:
        yield server


async def test_old_and_new_sort_by_date_with_ids_descending_on_ties(forum):
    _, old = await listing(forum, view="old", limit=13)
    assert ids(old)[:5] == [
        "post0000000000000",
        "post0000000000001",
        "post0000000000002",
        "post0000000000003",
        "tie00000000000002",
    ]
    _, new = await listing(forum, view="new", limit=3)
    assert ids(new) == ["post0000000000009", "post0000000000008", "post0000000000007"]


async def test_after_is_inclusive_and_before_exclusive(forum):
    moment = "2019-06-01T20:42:33.149Z"  # post 3's postedAt (T0 + 21 h)
    _, page = await listing(forum, view="old", after=moment, before="2019-06-01T23:42:33.149Z")
    assert ids(page) == ["post0000000000003"]  # the crowd sits at exactly `before`


async def test_limit_is_clamped_never_refused_and_missing_means_the_maximum(forum):
    forum.posts = posts(5003)
    for limit in (None, 0, 10_000):
        status, page = await listing(
            forum, view="old", **({} if limit is None else {"limit": limit})
        )
        assert status == 200 and len(ids(page)) == 5000


async def test_offset_past_2000_is_an_error_with_data_null(forum):
    status, payload = await listing(forum, view="old", offset=2001)
    assert status == 200 and payload["data"] == {"posts": None}
    assert payload["errors"][0]["message"] == "Exceeded maximum value for skip"


async def test_an_unknown_view_is_ignored_not_refused(forum):
    status, payload = await listing(forum, view="oldest", limit=2)
    assert status == 200 and len(ids(payload)) == 2


async def test_hidden_posts_are_dropped_after_the_limit(forum):
    forum.posts[1].onlyVisibleToLoggedIn = True
    forum.posts[2].draft = True
    _, page = await listing(forum, view="old", limit=3)
    assert ids(page) == ["post0000000000000", "post0000000000003"]  # short, though more exist


async def test_an_unknown_field_fails_validation_with_http_400(forum):
    async with aiohttp.ClientSession() as session:
        query = "{ posts(input: {terms: {}}) { results { karma } } }"
        async with session.post(forum.base + "/graphql", json={"query": query}) as response:
            payload = await response.json()
    assert response.status == 400 and "data" not in payload
    assert payload["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_static_archive_answers_as_the_sorting_one():
    archive = generate(400, crowd=150)
    async with FakeForum(archive) as plain, FakeForum(archive, static=True) as fast:
        for after in ("1970-01-01T00:00:00.000Z", "2015-03-01T00:00:00.000Z"):
            for limit in (100, 5000):
                _, a = await listing(plain, view="old", after=after, limit=limit)
                _, b = await listing(fast, view="old", after=after, limit=limit)
                assert ids(a) == ids(b)
