"""Print search quality on the development query set, per kind of query.

.venv/bin/python bench/evaluate.py [--failures] [--baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baselines import FtsOr, RapidfuzzScan
from bench.quality import by_kind, format_table, load_cases, run_cases
from bot.archive.search import Searcher
from bot.archive.sources import read_source
from bot.archive.store import Archive
from bot.config import shipped_archive


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list the queries that missed")
    parser.add_argument(
        "--method", choices=["search", "fts-or", "rapidfuzz", "all"], default="search"
    )
    args = parser.parse_args()
    methods = ["search", "fts-or", "rapidfuzz"] if args.method == "all" else [args.method]
    with tempfile.TemporaryDirectory() as tmp:
        archive = await Archive.open(Path(tmp) / "eval.db")
        try:
            await archive.ingest(await read_source(str(shipped_archive())))
            for method in methods:
                if method == "search":
                    engine = Searcher(archive)
                elif method == "fts-or":
                    engine = FtsOr(archive)
                else:
                    engine = await RapidfuzzScan(archive).load()
                outcomes = await run_cases(engine, load_cases())
                if len(methods) > 1:
                    print(f"\n{method}")
                print(format_table(by_kind(outcomes)))
        finally:
            await archive.close()
    if args.failures:
        print()
        for o in outcomes:
            if o.post_rank != 1 or o.paragraph_first is False:
                top = o.top
                got = f"{top.post.title[:40]} ¶{top.paragraph}: {top.text[:70]}" if top else "-"
                print(f"[{o.case.kind}] {o.case.query[:60]!r} rank={o.post_rank} -> {got}")


if __name__ == "__main__":
    asyncio.run(main())
