"""Feeds are fetched from public addresses only (unless allowed): the SSRF guard."""

from __future__ import annotations

import pytest

from bot.feeds.addresses import url_problem
from bot.feeds.poller import Poller

from .lesswrong import item, rss


@pytest.mark.parametrize(
    "url, problem",
    [
        ("http://127.0.0.1:8080/feed.xml", "127.0.0.1 is a loopback address"),
        ("http://[::1]/feed.xml", "::1 is a loopback address"),
        ("http://[::ffff:10.0.0.1]/feed.xml", "is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://192.168.1.10/rss", "192.168.1.10 is a private address"),
        ("http://100.64.0.1/rss", "100.64.0.1 is not a public address"),
        ("http://0.0.0.0/rss", "0.0.0.0 is"),
        ("http://localhost:9000/feed.xml", "localhost is a local host name"),
        ("http://printer.local/feed", "printer.local is a local host name"),
        ("http://intranet/feed", "intranet is not a public host name"),
        ("https://www.lesswrong.com/feed.xml", None),
        ("https://93.184.215.14/feed.xml", None),
    ],
)
def test_urls_inside_a_network_are_named(url, problem):
    found = url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_public_only_poller_never_connects_to_a_private_address(
    tmp_path, feed_server, archive, host
):
    # A feed added before the guard, or a public name that resolves to 127.0.0.1 (DNS
    # rebinding, a redirect): refused when connecting, for every address of the name.
    feed_server.publish("feed.xml", rss([item(1)]))
    url = feed_server.url("feed.xml").replace("127.0.0.1", host)
    async with Poller(archive, public_only=True, timeout=2.0) as poller:
        await poller.store.subscribe(1, 101, url, now=0)
        report = await poller.run_round()
    (result,) = report.feeds
    assert result.outcome == "failed" and "refused: " in result.error
    assert "is a loopback address" in result.error
    assert feed_server.requests == []  # nothing reached the server
