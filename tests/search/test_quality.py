"""Search quality on the development and the sealed query sets must not fall below what it reached.

The floors sit just under the measured figures (bench/evaluate.py prints them); raise them when
search improves. One query of 224 is 0.4 %. The sealed set is never tuned on: its floors only say
that a change tuned on the development set did not cost it.

The same goes for saying "nothing matches this well" (bench/weak.py prints it): on-topic queries
must seldom be called weak, and the off-topic ones (tests/search/offtopic.tsv) must mostly be, or
find nothing at all.
"""

import asyncio

import asyncpg
import pytest

from bench.quality import QUERIES, SEALED, by_kind, load_cases, run_cases
from bench.weak import OFFTOPIC, Judged, judge, load_queries
from bot.archive.search import WEAK_COVERAGE, Searcher
from bot.archive.sources import read_source
from bot.archive.store import Archive

from .. import postgres

FLOORS = {
    # kind: (post Hit@1, paragraph Hit@1). all/hard hold the 54 paraphrased questions, measured
    # at 70.4 / 38.9 % when they were added: their words are the asker's, not the post's.
    "all": (0.92, 0.77),
    "hard": (0.89, 0.72),
    "paraphrase": (0.70, 0.38),
    "title": (1.0, 0.0),
    "phrase": (1.0, 1.0),
    "pasted": (1.0, 1.0),
    "typo": (0.95, 0.95),
    "name": (0.94, 0.93),
    "keyword": (0.93, 0.88),
    "noise": (0.9, 0.88),
    "question": (0.93, 0.78),
    "shared": (0.9, 0.8),
}
SEALED_FLOORS = {
    "all": (0.95, 0.78),
    "hard": (0.93, 0.74),
    "paraphrase": (0.87, 0.57),
}
# Measured at WEAK_COVERAGE 0.5: dev 37 of 224 weak (1 of the 170 that are not paraphrased
# questions), sealed 13 of 131 (11 of them paraphrased questions, in words the post does not use),
# off-topic 39 weak and 3 without hits, of 45.
MOST_WEAK = {QUERIES: 40, SEALED: 16}  # on-topic queries called weak, at most
MOST_WEAK_NOT_PARAPHRASED = 3  # of the development queries that use the post's own words
LEAST_UNANSWERED = 39  # off-topic queries called weak or finding nothing, at least


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tables(request, tmp_path_factory, shipped_dump_path):
    """Evaluate both sets once for every kind, on each backend (its own event loop: the fixture
    outlives a test). The floors are the same on both."""

    async def evaluate():
        if request.param == "sqlite":
            location = tmp_path_factory.mktemp("quality") / "archive.db"
        else:
            server = request.getfixturevalue("postgres_server")
            admin = await asyncpg.connect(server)
            await admin.execute("DROP DATABASE IF EXISTS quality WITH (FORCE)")
            await admin.execute("CREATE DATABASE quality")
            await admin.close()
            location = postgres.with_database(server, "quality")
        archive = await Archive.open(location)
        try:
            await archive.ingest(await read_source(str(shipped_dump_path)))
            searcher = Searcher(archive)
            quality = {
                path: by_kind(await run_cases(searcher, load_cases(path)))
                for path in (QUERIES, SEALED)
            }
            weak = {
                path: await judge(searcher, load_queries(path))
                for path in (QUERIES, SEALED, OFFTOPIC)
            }
            return quality, weak
        finally:
            await archive.close()

    return asyncio.run(evaluate())


@pytest.mark.parametrize(
    ("path", "kind"),
    [(QUERIES, kind) for kind in FLOORS] + [(SEALED, kind) for kind in SEALED_FLOORS],
    ids=[f"dev-{kind}" for kind in FLOORS] + [f"sealed-{kind}" for kind in SEALED_FLOORS],
)
def test_quality_does_not_fall(tables, path, kind):
    post_floor, paragraph_floor = (FLOORS if path == QUERIES else SEALED_FLOORS)[kind]
    scores = tables[0][path][kind]
    assert scores.hit1 >= post_floor, f"{kind}: right post first {scores.hit1:.1%}"
    if scores.paragraph_queries:
        assert scores.paragraph_hit1 >= paragraph_floor, (
            f"{kind}: right paragraph first {scores.paragraph_hit1:.1%}"
        )


def weak(judged: list[Judged]) -> list[str]:
    return [j.query for j in judged if j.hits and j.coverage < WEAK_COVERAGE]


@pytest.mark.parametrize("path", [QUERIES, SEALED], ids=["dev", "sealed"])
def test_on_topic_queries_are_seldom_called_weak(tables, path):
    called = weak(tables[1][path])
    shown = called if path == QUERIES else f"{len(called)} sealed queries"  # never list those
    assert len(called) <= MOST_WEAK[path], shown


def test_queries_in_the_posts_own_words_are_almost_never_called_weak(tables):
    paraphrased = {case.query for case in load_cases(QUERIES) if case.kind == "paraphrase"}
    called = [query for query in weak(tables[1][QUERIES]) if query not in paraphrased]
    assert len(called) <= MOST_WEAK_NOT_PARAPHRASED, called


def test_off_topic_queries_are_called_weak_or_find_nothing(tables):
    judged = tables[1][OFFTOPIC]
    shown_as_answers = [j.query for j in judged if j.hits and j.coverage >= WEAK_COVERAGE]
    assert len(judged) - len(shown_as_answers) >= LEAST_UNANSWERED, shown_as_answers
