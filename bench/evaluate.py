"""Search quality per kind of query: the sealed set, the development set (as shipped and
cross-validated) and the baselines, side by side, in one run.

.venv/bin/python bench/evaluate.py               # the table (the cross-validation takes minutes)
.venv/bin/python bench/evaluate.py --no-cv       # without it
.venv/bin/python bench/evaluate.py --failures    # and the development queries that missed

Columns, each "post@1 para@1" (right post first / right paragraph first):
- sealed: tests/search/sealed.tsv with the shipped weights. Never tuned on: it prints no misses;
- dev: tests/search/queries.tsv with the shipped weights (fitted on all of it: flattering);
- dev-cv: each fold of the development set ranked with weights fitted (bench/fit.py) on the
  other four, so no query is ranked by weights that saw it;
- fts-or, porter: plain FTS5 (every word OR-ed, BM25 order), without and with the Porter stemmer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baselines import FtsOr, FtsPorter
from bench.fit import cross_validated, examples
from bench.quality import SEALED, Outcome, Scores, by_kind, load_cases, run_cases, scratch_archive
from bot.archive.search import Searcher
from bot.archive.store import Archive


async def dev_cross_validated(archive: Archive) -> list[Outcome]:
    """Every development query's top hit under weights fitted on the folds it is not in."""
    found = await examples(archive, load_cases())
    return [
        Outcome(e.case, 1 if post else None, paragraph, None)
        for e, (post, paragraph, _) in zip(found, cross_validated(found), strict=True)
    ]


def table(columns: dict[str, dict[str, Scores]]) -> str:
    """One row per kind, one "n post@1 para@1" cell per column."""
    kinds = list(dict.fromkeys(kind for scores in columns.values() for kind in scores))
    kinds = [k for k in kinds if k not in ("hard", "all")] + ["hard", "all"]
    lines = [f"{'':11}" + "".join(f"{name:>21}" for name in columns)]
    lines.append(f"{'kind':11}" + f"{'n post@1 para@1':>21}" * len(columns))
    for kind in kinds:
        cells = []
        for scores in columns.values():
            s = scores.get(kind)
            if s is None:
                cells.append(f"{'-':>21}")
                continue
            paragraph = f"{s.paragraph_hit1:7.1%}" if s.paragraph_queries else f"{'-':>7}"
            cells.append(f"{s.queries:6d} {s.hit1:6.1%} {paragraph}")
        lines.append(f"{kind:11}" + "".join(cells))
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list dev queries that missed")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validated column")
    args = parser.parse_args()
    sealed, dev = load_cases(SEALED), load_cases()
    async with scratch_archive() as archive:
        searcher, plain, porter = Searcher(archive), FtsOr(archive), FtsPorter(archive)
        await porter.load()
        dev_outcomes = await run_cases(searcher, dev)
        columns = {
            "sealed": by_kind(await run_cases(searcher, sealed)),
            "dev": by_kind(dev_outcomes),
        }
        if not args.no_cv:
            columns["dev-cv"] = by_kind(await dev_cross_validated(archive))
        columns |= {
            "fts-or sealed": by_kind(await run_cases(plain, sealed)),
            "porter sealed": by_kind(await run_cases(porter, sealed)),
            "porter dev": by_kind(await run_cases(porter, dev)),
        }
    print(table(columns))
    if args.failures:
        print()
        for o in dev_outcomes:
            if o.post_rank != 1 or o.paragraph_first is False:
                top = o.top
                got = f"{top.post.title[:40]} ¶{top.paragraph}: {top.text[:70]}" if top else "-"
                print(f"[{o.case.kind}] {o.case.query[:60]!r} rank={o.post_rank} -> {got}")


if __name__ == "__main__":
    asyncio.run(main())
