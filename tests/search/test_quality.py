"""Search quality on the development query set must not fall below what it reached.

The floors sit just under the measured figures (bench/evaluate.py prints them); raise them when
search improves. One query of 160 is 0.6 %.
"""

import asyncio

import pytest

from bench.quality import by_kind, load_cases, run_cases
from bot.archive.search import Searcher
from bot.archive.sources import read_source
from bot.archive.store import Archive

FLOORS = {
    # kind: (post Hit@1, paragraph Hit@1)
    "all": (0.99, 0.94),
    "hard": (0.98, 0.92),
    "title": (1.0, 0.0),
    "phrase": (1.0, 1.0),
    "pasted": (1.0, 1.0),
    "typo": (0.95, 0.95),
    "name": (0.94, 0.93),
    "keyword": (0.93, 0.88),
    "noise": (0.9, 0.88),
    "question": (0.93, 0.8),
    "shared": (0.9, 0.8),
}


@pytest.fixture(scope="module")
def table(tmp_path_factory, shipped_dump_path):
    """Evaluate once for every kind (its own event loop: the fixture outlives one test)."""

    async def evaluate():
        archive = await Archive.open(tmp_path_factory.mktemp("quality") / "archive.db")
        try:
            await archive.ingest(await read_source(str(shipped_dump_path)))
            return by_kind(await run_cases(Searcher(archive), load_cases()))
        finally:
            await archive.close()

    return asyncio.run(evaluate())


@pytest.mark.parametrize("kind", FLOORS)
def test_quality_does_not_fall(table, kind):
    post_floor, paragraph_floor = FLOORS[kind]
    scores = table[kind]
    assert scores.hit1 >= post_floor, f"{kind}: right post first {scores.hit1:.1%}"
    if scores.paragraph_queries:
        assert scores.paragraph_hit1 >= paragraph_floor, (
            f"{kind}: right paragraph first {scores.paragraph_hit1:.1%}"
        )
