"""The development query set is well-formed: every expectation points at exactly one place."""

from collections import Counter

from bench.quality import load_cases
from bot.archive.dump import parse_dump
from bot.archive.text import title_key


def test_query_set_is_large_and_covers_every_kind():
    cases = load_cases()
    assert len(cases) >= 100
    kinds = Counter(case.kind for case in cases)
    for kind in (
        "title",
        "typo",
        "phrase",
        "name",
        "question",
        "keyword",
        "pasted",
        "noise",
        "shared",
    ):
        assert kinds[kind] >= 8, kind
    assert len({case.query for case in cases}) == len(cases), "duplicate queries"


def test_every_expectation_names_one_post_and_one_paragraph(shipped_dump):
    posts = parse_dump(shipped_dump).posts
    for case in load_cases():
        matching = [p for p in posts if title_key(p.title).startswith(title_key(case.post))]
        assert len(matching) == 1, (
            f"{case.query!r}: post prefix {case.post!r} matches {len(matching)}"
        )
        for piece in case.paragraph.split("|") if case.paragraph else ():
            holders = [text for text in matching[0].paragraphs if piece in text]
            assert len(holders) == 1, f"{case.query!r}: {piece!r} found {len(holders)} times"
