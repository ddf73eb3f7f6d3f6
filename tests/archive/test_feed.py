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


def test_one_invalid_byte_costs_one_character_of_its_own_item():
    # The reproduction: declared UTF-8, one \xff in the second item.
    data = rss(item(title="naïve — dash", guid="a" * 17), item(title="Bad BYTE", guid="b" * 17))
    document = parse_feed(data.replace(b"BYTE", b"\xff byte"), "f")
    assert [p.title for p in document.posts] == ["naïve — dash", "Bad \ufffd byte"]
    assert "f: 1 byte sequence(s) not valid utf-8, read as U+FFFD" in document.warnings
    assert "f item 2: 'Bad \ufffd byte' lost characters (U+FFFD)" in document.warnings
    assert not any("item 1" in warning for warning in document.warnings)


def test_a_bad_byte_in_a_body_is_replaced_there_and_the_title_is_untouched():
    data = rss(item(title="Café", body="<p>Déjà vu BYTE here</p><p>Second</p>"))
    [post] = parse_feed(data.replace(b"BYTE", b"\xc3("), "f").posts
    assert post.title == "Café"
    assert post.paragraphs == ("Déjà vu \ufffd( here", "Second")


def test_a_feed_whose_text_is_not_in_its_declared_encoding_is_read_as_it_is():
    # A windows-1252 page declared UTF-8: replacing every accented letter would lose them all.
    data = rss(item(title="Caf\u00e9 na\u00efve")).replace("é".encode(), b"\xe9")
    data = data.replace("ï".encode(), b"\xef")
    document = parse_feed(data, "f")
    assert [p.title for p in document.posts] == ["Café naïve"]
    assert any("declared as utf-8, but parsed as" in w for w in document.warnings)


def test_control_characters_are_removed_and_the_item_is_kept():
    body = "<p>Ring \x07 the bell</p><p>Escape &#x1b;[31mred &amp;#27;here\x00</p>"
    data = rss(item(title="Title \x1b[2J wiped", body=body), item(title="Clean", guid="c" * 17))
    document = parse_feed(data, "f")
    first, second = document.posts
    assert first.title == "Title [2J wiped"
    # "&amp;#27;" is the text "&#27;" (a post about character references), not a control.
    assert first.paragraphs == ("Ring the bell", "Escape [31mred &#27;here")
    assert second.title == "Clean"
    assert "f: removed 4 control character(s)" in document.warnings
    assert not any("malformed" in w or "no body" in w for w in document.warnings)


def test_a_control_character_in_a_feed_in_another_encoding_is_removed_too():
    head = RSS_HEAD.replace("UTF-8", "windows-1252")
    for encoding in ("windows-1252", "utf-16"):
        text = (head + item(title="Caf\u00e9 \x07 bell") + "</channel></rss>").replace(
            "windows-1252", encoding
        )
        [post] = parse_feed(text.encode(encoding), "f").posts
        assert post.title == "Café bell", encoding


def test_one_bad_byte_in_an_otherwise_ascii_feed_keeps_the_declared_utf8():
    [post] = parse_feed(rss(item(title="Bad BYTE")).replace(b"BYTE", b"\xff byte"), "f").posts
    assert post.title == "Bad \ufffd byte"
