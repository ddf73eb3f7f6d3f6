import re
from datetime import UTC, datetime

import pytest

from bot.archive.dump import DumpError, parse_dump, parse_dump_bytes, strip_inline_css

HEADER = "Вы здесь\n\nНовости LessWrong.com\n\nОбновлено: 8 минут назад\n\n"


def page(*posts: str, footer: str = "Страницы\n1 2 следующая ›") -> bytes:
    return (HEADER + "".join(posts) + footer).encode()


def post(title="A title", date="4 июня, 2026 - 22:23", body="First paragraph.\n\nSecond one."):
    return f"{title}\n\n{date}\n{body}\n\n\n\nDiscuss\n\n"


def test_shipped_archive_yields_19_posts_in_page_order(shipped_dump):
    document = parse_dump(shipped_dump)
    assert document.warnings == []
    assert len(document.posts) == 19
    assert document.posts[0].title == "(Mis)generalization of Helpful-Only Fine-tuning"
    assert document.posts[-1].title == "Don’t Edit Your Ideas Before Having Them"
    assert sum(len(p.paragraphs) for p in document.posts) == 1645
    published = [p.published for p in document.posts]
    assert published == sorted(published, reverse=True)


def test_shipped_archive_dates_are_moscow_time_converted_to_utc(shipped_dump):
    posts = {p.title: p for p in parse_dump(shipped_dump).posts}
    assert posts["Aligning Superintelligent Humans"].published == datetime(
        2026, 6, 3, 20, 39, tzinfo=UTC
    )
    assert min(p.published for p in posts.values()) == datetime(2026, 6, 3, 8, 9, tzinfo=UTC)
    assert max(p.published for p in posts.values()) == datetime(2026, 6, 4, 19, 23, tzinfo=UTC)


def test_shipped_archive_has_no_mathjax_css_but_keeps_the_prose_around_it(shipped_dump):
    paragraphs = [text for p in parse_dump(shipped_dump).posts for text in p.paragraphs]
    css = re.compile(r"mjx-|@font-face|\{|\}|MJXTEX|\.TEX-")
    assert [text[:80] for text in paragraphs if css.search(text)] == []
    joined = "\n".join(paragraphs)
    assert "achieve higher performance but at roughly higher marginal inference cost." in joined
    assert "For example, we first deduced before we discovered special relativity" in joined
    assert "Each represents a short trajectory, each represents a long trajectory" in joined


def test_discussion_headings_are_body_text_not_post_ends(shipped_dump):
    posts = {p.title: p for p in parse_dump(shipped_dump).posts}
    assert (
        "DiscussionLimitations"
        in posts["(Mis)generalization of Helpful-Only Fine-tuning"].paragraphs
    )
    assert "Discussion" in posts["Logits as a new monitor for evaluation awareness"].paragraphs
    assert all("Discuss" not in p.paragraphs for p in posts.values())


def test_every_month_parses_and_nbsp_in_titles_is_normalised():
    months = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
    posts = [
        post(title=f"Post\u00a0{n}", date=f"1 {m}, 2026 - 03:00")
        for n, m in enumerate(months.split(), 1)
    ]
    document = parse_dump_bytes(page(*posts), "months.txt")
    assert [p.published.month for p in document.posts] == list(range(1, 13))
    assert document.posts[0].title == "Post 1"
    assert document.posts[0].published == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)


def test_missing_blank_line_after_title_is_accepted():
    data = (HEADER + "Tight title\n4 июня, 2026 - 10:00\nBody.\nDiscuss\nСтраницы").encode()
    [only] = parse_dump_bytes(data, "tight.txt").posts
    assert only.title == "Tight title"
    assert only.paragraphs == ("Body.",)


def test_crlf_and_bom_are_accepted():
    data = b"\xef\xbb\xbf" + page(post(), post(title="Second")).replace(b"\n", b"\r\n")
    document = parse_dump_bytes(data, "crlf.txt")
    assert [p.title for p in document.posts] == ["A title", "Second"]
    assert document.posts[0].paragraphs == ("First paragraph.", "Second one.")


def test_unknown_month_is_an_error_naming_file_and_line():
    data = page(post(), post(date="4 брюмера, 2026 - 10:00"))
    with pytest.raises(DumpError, match=r"bad\.txt:\d+: unknown month 'брюмера'"):
        parse_dump_bytes(data, "bad.txt")


def test_impossible_date_is_an_error():
    with pytest.raises(DumpError, match=r"impossible date"):
        parse_dump_bytes(page(post(date="31 февраля, 2026 - 10:00")), "feb.txt")


def test_bytes_that_are_not_utf8_are_an_error_naming_the_line():
    broken = page(post(), post(body="café")).replace("café".encode(), b"caf\xe9")
    with pytest.raises(DumpError, match=r"latin\.txt:\d+: not UTF-8"):
        parse_dump_bytes(broken, "latin.txt")


def test_no_posts_at_all_is_an_error():
    with pytest.raises(DumpError, match="no posts found"):
        parse_dump_bytes(b"just some text\nwith no dates\n", "empty.txt")
    with pytest.raises(DumpError, match="no posts found"):
        parse_dump_bytes(b"", "empty.txt")


def test_a_post_with_no_body_is_skipped_with_a_warning():
    document = parse_dump_bytes(page(post(title="Empty", body=""), post(title="Full")), "x.txt")
    assert [p.title for p in document.posts] == ["Full"]
    assert any("'Empty' has no body" in w for w in document.warnings)


def test_a_date_with_no_title_is_skipped_with_a_warning():
    orphan = "4 июня, 2026 - 10:00\nOrphan body.\nDiscuss\n\n"  # right after the last Discuss
    document = parse_dump_bytes(page(post(), orphan), "x.txt")
    assert [p.title for p in document.posts] == ["A title"]
    assert any("no title" in w for w in document.warnings)


def test_a_page_without_its_footer_warns_that_it_may_be_cut_short():
    document = parse_dump_bytes(page(post(), footer=""), "cut.txt")
    assert len(document.posts) == 1
    assert any("may be cut short" in w for w in document.warnings)


def test_strip_inline_css_keeps_prose_and_quoted_braces():
    line = (
        'before the math mjx-container[jax="CHTML"] { line-height: 0; } '
        'mjx-c.mjx-c7B::before { padding: 0.75em; content: "{"; } '
        '@font-face /* 1 */ { font-family: MJXZERO; src: url("x.woff") format("woff"); } '
        "after the math."
    )
    assert strip_inline_css(line) == "before the math after the math."


def test_strip_inline_css_leaves_prose_that_merely_mentions_mathjax():
    line = "The mjx-container element wraps formulas; see {the docs}."
    assert strip_inline_css(line) == line
