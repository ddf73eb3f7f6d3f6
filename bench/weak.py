"""How often search says "nothing matches this well" (Searcher.weak), on three query sets.

.venv/bin/python bench/weak.py            # the table at the shipped threshold
.venv/bin/python bench/weak.py --sweep    # dev and off-topic at other thresholds (to choose one)
.venv/bin/python bench/weak.py --list     # the dev queries flagged, the off-topic ones not

- dev: tests/search/queries.tsv, on-topic: each should find its post, so a flag is a false alarm;
- off-topic: tests/search/offtopic.tsv, questions the shipped archive does not answer, written
  before coverage was measured: each should be flagged, or find nothing at all;
- sealed: tests/search/sealed.tsv, on-topic, for reporting only: it is not swept or listed, so
  the threshold cannot be tuned on it.

Each query is searched as /search and `archive-bot search` do (five hits), and judged on those.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.quality import QUERIES, SEALED, scratch_archive
from bot.archive.search import WEAK_COVERAGE, Searcher

OFFTOPIC = QUERIES.with_name("offtopic.tsv")
SHOWN = 5  # hits on a /search page and in `archive-bot search` by default
SWEEP = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def load_queries(path: Path) -> list[str]:
    """The `query` column of a query file."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [r["query"] for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]


@dataclass(frozen=True, slots=True)
class Judged:
    query: str
    hits: int
    coverage: float  # of the best of the hits shown; 0.0 without hits


async def judge(searcher: Searcher, queries: list[str]) -> list[Judged]:
    """Each query's hits and their coverage, as the bot would judge them."""
    judged = []
    for query in queries:
        hits = await searcher.search(query, limit=SHOWN)
        judged.append(Judged(query, len(hits), await searcher.coverage(query, hits)))
    return judged


def flagged(judged: list[Judged], threshold: float) -> int:
    """Queries with hits that would be called weak at `threshold`."""
    return sum(1 for j in judged if j.hits and j.coverage < threshold)


def table(sets: dict[str, list[Judged]], threshold: float) -> str:
    lines = [
        f"weak: the best of {SHOWN} hits has coverage < {threshold:g} (search.WEAK_COVERAGE)",
        f"{'set':10} {'queries':>7} {'no hits':>7} {'weak':>5} {'weak %':>7} {'weak or none':>13}",
    ]
    for name, judged in sets.items():
        none = sum(1 for j in judged if not j.hits)
        weak = flagged(judged, threshold)
        lines.append(
            f"{name:10} {len(judged):7d} {none:7d} {weak:5d} {weak / len(judged):7.1%}"
            f" {(weak + none) / len(judged):13.1%}"
        )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="dev and off-topic at other values")
    parser.add_argument("--list", action="store_true", help="dev flagged, off-topic not flagged")
    args = parser.parse_args()
    async with scratch_archive() as archive:
        searcher = Searcher(archive)
        dev = await judge(searcher, load_queries(QUERIES))
        off = await judge(searcher, load_queries(OFFTOPIC))
        if args.sweep:
            print(f"{'threshold':>9} {'dev flagged':>12} {'off-topic flagged':>18}")
            for t in SWEEP:
                dev_count, off_count = flagged(dev, t), flagged(off, t)
                print(f"{t:9g} {dev_count:8d}/{len(dev)} {off_count:14d}/{len(off)}")
            return
        if args.list:
            print("dev queries flagged (false alarms):")
            for j in sorted(dev, key=lambda j: j.coverage):
                if j.hits and j.coverage < WEAK_COVERAGE:
                    print(f"  {j.coverage:.2f}  {j.query}")
            print("off-topic queries shown as answers (not flagged):")
            for j in sorted(off, key=lambda j: -j.coverage):
                if j.hits and j.coverage >= WEAK_COVERAGE:
                    print(f"  {j.coverage:.2f}  {j.query}")
            return
        sealed = await judge(searcher, load_queries(SEALED))
        print(table({"dev": dev, "off-topic": off, "sealed": sealed}, WEAK_COVERAGE))


if __name__ == "__main__":
    asyncio.run(main())
