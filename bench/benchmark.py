"""Search and ingest speed on synthetic archives, side by side with two baselines, in one run.

    .venv/bin/python bench/benchmark.py                 # 100k and 1M paragraphs
    .venv/bin/python bench/benchmark.py --sizes 100k    # quicker

For each size: generate the archive (bench/synthetic.py, cached in bench/out/), ingest it through
the JSONL import into a fresh database, then run the same 240 queries (30 of each kind) through
  - search:    archive-bot's search (bot/archive/search.py), 10 hits;
  - fts-or:    plain FTS5, every token quoted and OR-ed, BM25 order, 10 hits;
  - rapidfuzz: rapidfuzz.process.extract (WRatio) over every paragraph, held in memory (100k only).
Each method runs in its own process, so its peak RSS is its own. Also: autocomplete latency over
100k titles, and the time from starting a process to its first answer at the largest size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

SIZES = {"100k": 100_000, "1m": 1_000_000}
ARCHIVE_BOT = Path(sys.executable).with_name("archive-bot")
RAPIDFUZZ_EVERY = 4  # the full-scan baseline runs every 4th query


# --- child processes: one method over all queries ----------------------------------------------


async def _run_method(method: str, db: Path, queries: list[str]) -> dict:
    from bot.archive.query import parse_query
    from bot.archive.search import Searcher
    from bot.archive.store import Archive

    archive = await Archive.open(db)
    latencies = []
    try:
        if method == "search":
            searcher = Searcher(archive)
            await searcher.search("warm up")
            for query in queries:
                started = time.perf_counter()
                await searcher.search(query, limit=10)
                latencies.append(time.perf_counter() - started)
        elif method == "fts-or":
            for query in queries:
                started = time.perf_counter()
                terms = parse_query(query).terms
                if terms:
                    await archive.match_paragraphs(terms, 10)
                latencies.append(time.perf_counter() - started)
        elif method == "rapidfuzz":
            from rapidfuzz import fuzz, process

            queries = queries[::RAPIDFUZZ_EVERY]  # ~2 s a query: a sample, still every kind
            async with archive.reader.execute("SELECT text FROM paragraphs") as cursor:
                texts = [row[0] for row in await cursor.fetchall()]
            for query in queries:
                started = time.perf_counter()
                process.extract(query, texts, scorer=fuzz.WRatio, limit=10)
                latencies.append(time.perf_counter() - started)
        elif method == "autocomplete":
            searcher = Searcher(archive)
            await searcher.suggest_titles("")
            for query in queries:
                started = time.perf_counter()
                await searcher.suggest_titles(query)
                latencies.append(time.perf_counter() - started)
    finally:
        await archive.close()
    return {
        "latencies": latencies,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(method: str, db: str, queries_file: str) -> None:
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    result = asyncio.run(_run_method(method, Path(db), queries))
    print(json.dumps(result))


def first_answer_child(db: str) -> None:
    """Time from interpreter start (as close as Python lets us) to the first search answer."""
    from bot.archive.search import Searcher
    from bot.archive.store import Archive

    async def first() -> None:
        archive = await Archive.open(db)
        await Searcher(archive).search("activation oracles layer sweep")
        await archive.close()

    asyncio.run(first())
    print(json.dumps({"done": time.time()}))


# --- parent ------------------------------------------------------------------------------------


def run_child(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def ensure_jsonl(name: str, paragraphs: int) -> Path:
    path = OUT / f"synthetic-{name}.jsonl"
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        with path.open("w", encoding="utf-8") as out:
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "synthetic.py"), str(paragraphs)],
                stdout=out,
                check=True,
            )
    return path


def ingest(jsonl: Path, location: str) -> dict:
    """`archive-bot ingest` into the archive at `location` (a file or a database URL): the
    paragraphs written, paragraphs/s of the store (as it reports) and end to end."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(ARCHIVE_BOT), "--db", location, "ingest", str(jsonl)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    paragraphs = int(result.stdout.split(" paragraphs written")[0].rsplit(" ", 1)[-1])
    store_rate = float(result.stdout.split("(")[2].split(" paragraphs/s")[0].replace(",", ""))
    return {"paragraphs": paragraphs, "wall_rate": paragraphs / wall, "store_rate": store_rate}


def build(jsonl: Path, db: Path) -> dict:
    from bot.archive.store.files import remove_database

    remove_database(db)
    built = ingest(jsonl, str(db))
    # Fold the WAL into the main file so the size is the archive's, not a transient.
    import sqlite3

    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return built | {"size_mb": db.stat().st_size / 1e6}


def summarise(latencies: list[float]) -> tuple[float, float, float]:
    ms = sorted(x * 1000 for x in latencies)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    return statistics.median(ms), pick(0.95), pick(0.99)


def titles_archive() -> Path:
    """100k posts with one short paragraph each, titles in the synthetic style."""
    jsonl = OUT / "titles-100k.jsonl"
    if not jsonl.exists():
        with ensure_jsonl("1m", SIZES["1m"]).open(encoding="utf-8") as source:
            records = [json.loads(line) for _, line in zip(range(100_000), source, strict=False)]
        base = len(records)
        with jsonl.open("w", encoding="utf-8") as out:
            for number in range(100_000):
                record = dict(records[number % base])
                record["title"] = f"{record['title'].rsplit(' (', 1)[0]} part {number // base + 1}"
                record["guid"] = f"t{number:016d}"
                record["url"] = f"https://www.lesswrong.com/posts/t{number:016d}/x"
                record["paragraphs"] = record["paragraphs"][:1]
                out.write(json.dumps(record) + "\n")
    db = OUT / "titles-100k.db"
    if not db.exists():
        build(jsonl, db)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--per-kind", type=int, default=30)
    parser.add_argument("--no-rapidfuzz", action="store_true", help="skip the slow baseline")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    from bench.queries import make_queries

    rows = []
    builds = {}
    by_kind: dict[str, dict[str, tuple[float, float, float]]] = {}
    largest_db = None
    for name in args.sizes.split(","):
        jsonl = ensure_jsonl(name, SIZES[name])
        db = OUT / f"synthetic-{name}.db"
        print(f"ingesting {jsonl.name} ...", file=sys.stderr)
        builds[name] = build(jsonl, db)
        largest_db = db
        pairs = make_queries(jsonl, args.per_kind)
        queries = [q for _, q in pairs]
        queries_file = OUT / f"queries-{name}.json"
        queries_file.write_text(json.dumps(queries), encoding="utf-8")
        baseline = name == "100k" and not args.no_rapidfuzz
        methods = ["search", "fts-or"] + (["rapidfuzz"] if baseline else [])
        for method in methods:
            print(f"  {method} on {name} ...", file=sys.stderr)
            result = run_child("--child", method, str(db), str(queries_file))
            rows.append((name, method, *summarise(result["latencies"]), result["rss_mb"]))
            if method == "search":
                timed = list(zip((k for k, _ in pairs), result["latencies"], strict=True))
                by_kind[name] = {
                    kind: summarise([t for k, t in timed if k == kind])
                    for kind in dict.fromkeys(k for k, _ in pairs)
                }

    print(f"\nsearch latency over {args.per_kind * 8} queries ({args.per_kind} of each kind), ms")
    print(f"(rapidfuzz: every {RAPIDFUZZ_EVERY}th query, a full scan takes seconds)")
    print(f"{'archive':8} {'method':10} {'median':>8} {'p95':>8} {'p99':>8} {'peak RSS MB':>12}")
    for name, method, median, p95, p99, rss in rows:
        print(f"{name:8} {method:10} {median:8.1f} {p95:8.1f} {p99:8.1f} {rss:12.0f}")

    for name, kinds in by_kind.items():
        print(f"\nsearch on {name}, by kind of query: median / p95 / p99 ms")
        for kind, (median, p95, p99) in kinds.items():
            print(f"  {kind:9} {median:7.1f} {p95:7.1f} {p99:7.1f}")

    print("\ningest through the JSONL import (fresh database, FTS index included)")
    print(
        f"{'archive':8} {'paragraphs':>11} {'store p/s':>10} {'end-to-end p/s':>15} {'size MB':>8}"
    )
    for name, b in builds.items():
        print(
            f"{name:8} {b['paragraphs']:11,d} {b['store_rate']:10,.0f} {b['wall_rate']:15,.0f} "
            f"{b['size_mb']:8.0f}"
        )

    titles_db = titles_archive()
    prefixes = [
        q[: len(q) // 2 + 1] for _, q in make_queries(ensure_jsonl("100k", SIZES["100k"]), 40)
    ][:240]
    prefixes_file = OUT / "prefixes.json"
    prefixes_file.write_text(json.dumps(prefixes), encoding="utf-8")
    auto = run_child("--child", "autocomplete", str(titles_db), str(prefixes_file))
    median, p95, p99 = summarise(auto["latencies"])
    print(
        f"\nautocomplete over 100k titles ({len(prefixes)} prefixes): median {median:.2f} ms, "
        f"p95 {p95:.2f} ms, p99 {p99:.2f} ms"
    )

    if largest_db is not None:
        started = time.time()
        done = run_child("--first-answer", str(largest_db))["done"]
        print(f"first answer after process start ({largest_db.name}): {done - started:.2f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--first-answer":
        first_answer_child(sys.argv[2])
    else:
        main()
