from datetime import UTC, datetime

import pytest

from bot.archive.feed import FeedError, parse_feed

RSS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'version="2.0"><channel><title>T</title><link>https://x.example</link>'
)


def item(
    title="T1", guid="abcdefghijklmnop1", body="<p>Body</p>", date="Thu, 04 Jun 2026 19:23:00 GMT"
):
    parts = ["<item>"]
    if title is not None:
        parts.append(f"<title><![CDATA[{title}]]></title>")
    if guid is not None:
        parts.append(
            f"<link>https://x.example/posts/{guid}/slug</link>"
            f'<guid isPermaLink="false">{guid}</guid>'
        )
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    parts.append(f"<description><![CDATA[{body}]]></description></item>")
    return "".join(parts)


def rss(*items: str) -> bytes:
    return (RSS_HEAD + "".join(items) + "</channel></rss>").encode()


def test_lesswrong_shaped_feed(fixture_path):
    document = parse_feed(fixture_path("lesswrong-feed.xml").read_bytes(), "lw")
    assert document.title == "LessWrong"
    assert document.warnings == []
    assert len(document.posts) == 4
    oracles = document.posts[1]
    assert oracles.title == "Building Better Activation Oracles"
    assert oracles.guid == "heXwuDRfbQQgB5JLP"
    assert (
        oracles.url
        == "https://www.lesswrong.com/posts/heXwuDRfbQQgB5JLP/building-better-activation-oracles"
    )
    assert oracles.author == "Oracle Builder"
    assert oracles.published == datetime(2026, 6, 4, 18, 34, tzinfo=UTC)
    assert oracles.paragraphs[0] == "Work done for our MATS 10.0 Sprint project."
    text = " ".join(oracles.paragraphs)
    for junk in ("Published on", "Discuss", "alert", "mjx", "line-height", "x^2", "figure one"):
        assert junk not in text


def test_atom_feed_prefers_full_content_and_converts_times_to_utc(fixture_path):
    document = parse_feed(fixture_path("atom-feed.xml").read_bytes(), "atom")
    first, second = document.posts
    assert first.title == "Notes on Calibration & Practice"
    assert first.author == "Ada Example"
    assert first.published == datetime(2026, 6, 5, 7, 30, tzinfo=UTC)
    assert first.paragraphs == ("Calibration is a skill.", "Practice it with small bets.")
    assert second.published is None
    assert any("no readable date" in w for w in document.warnings)


def test_items_without_title_or_body_are_skipped_with_warnings():
    document = parse_feed(
        rss(item(title=None), item(title="No body", body=""), item(title="Ok")), "f"
    )
    assert [p.title for p in document.posts] == ["Ok"]
    assert len(document.warnings) == 2


def test_item_without_guid_or_date_is_kept():
    document = parse_feed(rss(item(guid=None, date=None)), "f")
    [post] = document.posts
    assert post.guid is None and post.url is None and post.published is None
    assert any("neither guid nor link" in w for w in document.warnings)


def test_bad_date_is_not_fatal():
    [post] = parse_feed(rss(item(date="the day after tomorrow")), "f").posts
    assert post.published is None


def test_truncated_feed_keeps_complete_items_and_drops_the_cut_one():
    data = rss(
        item(title="Whole", guid="a" * 17),
        item(title="Cut", guid="b" * 17, body="<p>Lo" + "ng " * 50),
    )
    cut = data[: data.index(b"Long") + 40]
    document = parse_feed(cut, "cut")
    assert [p.title for p in document.posts] == ["Whole"]
    assert any("truncated" in w for w in document.warnings)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not a readable feed"),
        (b"<html><head><title>Oops</title></head><body>Cloudflare</body></html>", "HTML page"),
        (b"<?xml version='1.0'?><rss><channel><item><title>x", "not a readable"),
        (b"\x00\xff\xfe garbage", "not a readable"),
        (b'{"json": "not a feed"}', "not a readable"),
    ],
)
def test_documents_that_are_not_feeds_raise(data, message):
    with pytest.raises(FeedError, match=message):
        parse_feed(data, "bad")


def test_entities_and_html_in_cdata_title():
    [post] = parse_feed(rss(item(title="AI #171: False Flag &amp; More")), "f").posts
    assert post.title == "AI #171: False Flag & More"
