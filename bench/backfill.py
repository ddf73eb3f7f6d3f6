"""A forum backfill end to end, then search on what it built, in one run.

    .venv/bin/python bench/backfill.py                  # 100k posts, about 3M paragraphs
    .venv/bin/python bench/backfill.py --posts 10000    # quicker

1. The fake ForumMagnum server (tests/fakeforum) serves a generated archive in its own process:
   the shipped posts' sentences recombined into LessWrong-shaped HTML.
2. `archive-bot ingest forum:<fake> --pace 0` fills a new database, as a user would run it: posts/s
   and paragraphs/s end to end, the process's peak RSS (os.wait4), the database's size; and what
   the same number of requests would take against the real site at the default pace.
3. Search on that archive (bench/benchmark.py's children): median / p95 / p99 over 240 queries
   of every kind drawn from the archive, beside plain FTS5 (every word OR-ed, BM25); the time to a
   first answer after process start; and the bot's own peak RSS under 200 Discord interactions
   against the fake Discord (bench/interactions.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from bench.benchmark import run_child, summarise  # noqa: E402
from bench.queries import queries_for  # noqa: E402
from bot.archive.polite import DEFAULT_PACE  # noqa: E402


def start_forum(posts: int) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeforum", "--posts", str(posts)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = server.stdout.readline()
    if not line.startswith("ready "):
        server.kill()
        raise SystemExit(f"the fake forum did not start: {line!r}")
    return server, line.split()[1]


def ingest(base: str, db: Path) -> dict:
    """Run the backfill as a user would; wall time, peak RSS and the summary it prints."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("archive-bot")),
            "--db",
            str(db),
            "ingest",
            f"forum:{base}",
            "--pace",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"the backfill failed:\n{out}")
    summary = re.search(
        r"([\d,]+) posts \(([\d,]+) new.*?\), ([\d,]+) paragraphs, ([\d,]+) requests", out
    )
    _, new, paragraphs, requests = (int(g.replace(",", "")) for g in summary.groups())
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "posts": new,
        "paragraphs": paragraphs,
        "requests": requests,
        "wall": wall,
        "rss_mb": usage.ru_maxrss / 1024,
        "size_mb": db.stat().st_size / 1e6,
    }


def sample_posts(db: Path, every: int = 37) -> list[dict]:
    """A spread sample of the archive's posts, with their paragraphs, for the queries."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT id, title, author FROM posts WHERE id % ? = 0 AND author IS NOT NULL", (every,)
        ).fetchall()
        return [
            {
                "title": title,
                "author": author,
                "paragraphs": [
                    text
                    for (text,) in connection.execute(
                        "SELECT text FROM paragraphs WHERE post_id = ? ORDER BY position", (post,)
                    )
                ],
            }
            for post, title, author in rows
        ]


def bot_rss(db: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "interactions.py"), "--db", str(db), "-n", "200"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    found = re.search(r"bot peak RSS: (\d+) MB", result.stdout)
    answers = re.search(r"^all\s.*$", result.stdout, re.M)
    latency = answers.group(0) if answers else result.stderr[-300:]
    return f"{found.group(1) if found else '?'} MB; ms by kind: {latency}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--per-kind", type=int, default=30)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"forum-{args.posts}.db"

    server, base = start_forum(args.posts)
    try:
        print(f"backfilling {args.posts:,} posts from {base} ...", file=sys.stderr)
        built = ingest(base, db)
    finally:
        server.kill()
        server.wait()
    print("\nbackfill from the fake forum at --pace 0 (end to end, one process)")
    print(
        f"  posts:       {built['posts']:,} in {built['wall']:.0f} s = "
        f"{built['posts'] / built['wall']:,.0f} posts/s"
    )
    print(
        f"  paragraphs:  {built['paragraphs']:,} = {built['paragraphs'] / built['wall']:,.0f} "
        "paragraphs/s"
    )
    print(f"  requests:    {built['requests']:,}")
    print(f"  peak RSS:    {built['rss_mb']:.0f} MB")
    print(f"  database:    {built['size_mb']:,.0f} MB")
    paced = built["requests"] * DEFAULT_PACE
    print(
        f"  at the default pace ({DEFAULT_PACE:g} s between requests) the same requests take "
        f"at least {paced / 3600:.1f} h, plus the site's own answer time for each"
    )

    queries = [q for _, q in queries_for(sample_posts(db), args.per_kind)]
    queries_file = OUT / f"queries-forum-{args.posts}.json"
    queries_file.write_text(json.dumps(queries), encoding="utf-8")
    print(f"\nsearch over {len(queries)} queries on that archive, ms")
    print(f"{'method':10} {'median':>8} {'p95':>8} {'p99':>8} {'peak RSS MB':>12}")
    for method in ("search", "fts-or"):
        print(f"  {method} ...", file=sys.stderr)
        result = run_child("--child", method, str(db), str(queries_file))
        median, p95, p99 = summarise(result["latencies"])
        print(f"{method:10} {median:8.1f} {p95:8.1f} {p99:8.1f} {result['rss_mb']:12.0f}")
    started = time.time()
    done = run_child("--first-answer", str(db))["done"]
    print(f"first answer after process start: {done - started:.2f} s")
    print(f"the bot under 200 interactions: peak RSS {bot_rss(db)}")


if __name__ == "__main__":
    main()
