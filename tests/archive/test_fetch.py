import pytest

from bot.archive.fetch import USER_AGENT, FetchError, fetch
from bot.archive.sources import read_source

from ..feedserver import Route


async def test_fetch_sends_a_descriptive_user_agent_and_returns_validators(
    feed_server, fixture_path
):
    feed_server.routes["/feed.xml"] = Route(
        body=fixture_path("lesswrong-feed.xml").read_bytes(),
        etag='"v1"',
        last_modified="Thu, 04 Jun 2026 20:00:00 GMT",
    )
    result = await fetch(feed_server.url("feed.xml"))
    assert result.status == 200 and result.body.startswith(b"<?xml")
    assert (result.etag, result.last_modified) == ('"v1"', "Thu, 04 Jun 2026 20:00:00 GMT")
    ((_, headers),) = feed_server.requests
    assert headers["User-Agent"] == USER_AGENT and "archive-bot" in USER_AGENT


async def test_conditional_get_gets_304(feed_server):
    feed_server.routes["/feed.xml"] = Route(body=b"<rss/>", etag='"v1"')
    result = await fetch(feed_server.url("feed.xml"), etag='"v1"')
    assert result.not_modified and result.body == b""
    assert feed_server.requests[-1][1]["If-None-Match"] == '"v1"'


@pytest.mark.parametrize(
    "route, message",
    [
        (Route(status=500, body=b"oops"), "HTTP 500"),
        (Route(status=429, headers={"Retry-After": "120"}), "HTTP 429"),
        (Route(delay=5), "no complete answer within 0.5 s"),
        (Route(stream_forever=True), "no complete answer within 0.5 s"),
        (Route(body=b"x" * 300_000), "exceeds 100000"),
    ],
)
async def test_failures_raise_fetch_error(feed_server, route, message):
    feed_server.routes["/feed.xml"] = route
    with pytest.raises(FetchError, match=message) as caught:
        await fetch(feed_server.url("feed.xml"), timeout=0.5, max_bytes=100_000)
    if route.status == 429:
        assert caught.value.retry_after == 120


async def test_redirect_loops_are_cut_off(feed_server):
    feed_server.routes["/a"] = Route(redirect_to="/b")
    feed_server.routes["/b"] = Route(redirect_to="/a")
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await fetch(feed_server.url("a"), max_redirects=3)
    assert feed_server.hits("a") + feed_server.hits("b") <= 4  # stopped, not looping forever


async def test_a_redirect_within_the_limit_is_followed(feed_server):
    feed_server.routes["/old"] = Route(redirect_to="/new")
    feed_server.routes["/new"] = Route(body=b"<rss version='2.0'><channel/></rss>")
    result = await fetch(feed_server.url("old"))
    assert result.url.endswith("/new")


async def test_nobody_listening_is_a_fetch_error():
    with pytest.raises(FetchError, match=r"127\.0\.0\.1:9"):
        await fetch("http://127.0.0.1:9/feed.xml", timeout=2)


async def test_read_source_reads_a_feed_url(feed_server, fixture_path):
    feed_server.routes["/feed.xml"] = Route(body=fixture_path("lesswrong-feed.xml").read_bytes())
    document = await read_source(feed_server.url("feed.xml"))
    assert document.kind == "feed" and len(document.posts) == 4
