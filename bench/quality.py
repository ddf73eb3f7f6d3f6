"""Search quality on the query sets: development (tests/search/queries.tsv) and sealed
(tests/search/sealed.tsv, written before the ranking it measures and never tuned on).

Each query names the post it should find (a unique title prefix) and, where one paragraph is the
answer, a distinctive piece of that paragraph. Metrics: post Hit@1, Hit@5, MRR@10 (first hit of
the right post), and paragraph Hit@1 (the top hit is the right paragraph).
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.archive.search import Hit, Searcher
from bot.archive.sources import read_source
from bot.archive.store import Archive
from bot.archive.text import title_key
from bot.config import shipped_archive

QUERIES = Path(__file__).resolve().parent.parent / "tests" / "search" / "queries.tsv"
SEALED = QUERIES.with_name("sealed.tsv")
# "paraphrase": a question written from memory of what a post says, in the asker's words.
HARD_KINDS = ("typo", "name", "question", "paraphrase", "keyword", "shared")


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    query: str
    post: str  # a prefix of the expected post's title
    paragraph: (
        str  # a piece of the expected paragraph, or "" when any paragraph of the post will do;
    )
    # "a|b": either of two paragraphs that answer the query equally well


@dataclass(slots=True)
class Outcome:
    case: Case
    post_rank: int | None  # 1-based rank of the first hit from the right post, within 10
    paragraph_first: bool | None  # None when the case names no paragraph
    top: Hit | None


@asynccontextmanager
async def scratch_archive() -> AsyncIterator[Archive]:
    """The shipped dump ingested into a SQLite file of a temporary folder, removed afterwards:
    what every quality script measures on."""
    with tempfile.TemporaryDirectory() as tmp:
        async with await Archive.open(Path(tmp) / "archive.db") as archive:
            await archive.ingest(await read_source(str(shipped_archive())))
            yield archive


def load_cases(path: Path = QUERIES) -> list[Case]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Case(r["kind"], r["query"], r["post"], r["paragraph"] or "") for r in rows]


def matches_post(hit: Hit, case: Case) -> bool:
    return title_key(hit.post.title).startswith(title_key(case.post))


def matches_paragraph(hit: Hit, case: Case) -> bool:
    return matches_post(hit, case) and any(piece in hit.text for piece in case.paragraph.split("|"))


SHOWN = 10  # hits judged per query


async def run_cases(searcher: Searcher, cases: list[Case]) -> list[Outcome]:
    """Run every case through anything with Searcher.search's signature (a baseline, say)."""
    return [verdict(case, await searcher.search(case.query, limit=SHOWN)) for case in cases]


def verdict(case: Case, hits: list[Hit]) -> Outcome:
    """Where the right post is among `hits`, and whether the first is the right paragraph."""
    rank = next((i for i, hit in enumerate(hits, 1) if matches_post(hit, case)), None)
    paragraph = matches_paragraph(hits[0], case) if hits and case.paragraph else None
    if case.paragraph and not hits:
        paragraph = False
    return Outcome(case, rank, paragraph, hits[0] if hits else None)


@dataclass(frozen=True, slots=True)
class Scores:
    queries: int
    hit1: float
    hit5: float
    mrr10: float
    paragraph_queries: int
    paragraph_hit1: float


def score(outcomes: list[Outcome]) -> Scores:
    n = len(outcomes)
    with_paragraph = [o for o in outcomes if o.paragraph_first is not None]
    return Scores(
        queries=n,
        hit1=sum(o.post_rank == 1 for o in outcomes) / n if n else 0.0,
        hit5=sum(o.post_rank is not None and o.post_rank <= 5 for o in outcomes) / n if n else 0.0,
        mrr10=sum(1 / o.post_rank for o in outcomes if o.post_rank) / n if n else 0.0,
        paragraph_queries=len(with_paragraph),
        paragraph_hit1=(
            sum(bool(o.paragraph_first) for o in with_paragraph) / len(with_paragraph)
            if with_paragraph
            else 0.0
        ),
    )


def by_kind(outcomes: list[Outcome]) -> dict[str, Scores]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome.case.kind].append(outcome)
    table = {kind: score(group) for kind, group in groups.items()}
    table["hard"] = score([o for o in outcomes if o.case.kind in HARD_KINDS])
    table["all"] = score(outcomes)
    return table


def format_table(table: dict[str, Scores]) -> str:
    header = ("kind", "n", "post@1", "post@5", "MRR@10", "para n", "para@1")
    lines = [f"{header[0]:10} {header[1]:>4} " + " ".join(f"{h:>7}" for h in header[2:])]
    for kind, s in table.items():
        lines.append(
            f"{kind:10} {s.queries:4d} {s.hit1:7.1%} {s.hit5:7.1%} {s.mrr10:7.3f} "
            f"{s.paragraph_queries:7d} {s.paragraph_hit1:7.1%}"
        )
    return "\n".join(lines)
