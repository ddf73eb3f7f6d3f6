"""The query sets are well-formed: every expectation points at exactly one place."""

from collections import Counter

import pytest

from bench.quality import QUERIES, SEALED, load_cases
from bot.archive.dump import parse_dump
from bot.archive.text import title_key

KINDS = ("title", "typo", "phrase", "name", "question", "keyword", "pasted", "noise", "shared")


@pytest.mark.parametrize("path", [QUERIES, SEALED], ids=["dev", "sealed"])
def test_query_set_is_large_and_covers_every_kind(path):
    cases = load_cases(path)
    assert len(cases) >= (100 if path == QUERIES else 80)
    kinds = Counter(case.kind for case in cases)
    for kind in KINDS:
        assert kinds[kind] >= (8 if path == QUERIES else 7), kind
    assert len({case.query for case in cases}) == len(cases), "duplicate queries"


def test_the_sealed_set_is_new_and_has_questions_from_memory():
    dev = {case.query.casefold() for case in load_cases(QUERIES)}
    sealed = load_cases(SEALED)
    shared = sum(case.query.casefold() in dev for case in sealed)
    assert not shared, f"{shared} sealed queries are also development queries"  # never list them
    assert sum(case.kind == "paraphrase" for case in sealed) >= 25


@pytest.mark.parametrize("path", [QUERIES, SEALED], ids=["dev", "sealed"])
def test_every_expectation_names_one_post_and_one_paragraph(shipped_dump, path):
    posts = parse_dump(shipped_dump).posts
    for case in load_cases(path):
        matching = [p for p in posts if title_key(p.title).startswith(title_key(case.post))]
        assert len(matching) == 1, (
            f"{case.query!r}: post prefix {case.post!r} matches {len(matching)}"
        )
        for piece in case.paragraph.split("|") if case.paragraph else ():
            holders = [text for text in matching[0].paragraphs if piece in text]
            assert len(holders) == 1, f"{case.query!r}: {piece!r} found {len(holders)} times"
