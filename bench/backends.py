"""SQLite and PostgreSQL side by side, in one run: ingest, search, and the outbox with two claimers.

    .venv/bin/python bench/backends.py                  # 1M paragraphs (about 20 minutes)
    .venv/bin/python bench/backends.py --sizes 100k     # quicker

A throwaway PostgreSQL cluster (tests/postgres.py, from the installed server binaries) runs with
its defaults, fsync and full-page writes on, except shared_buffers (PG_SHARED_BUFFERS, default
1GB: a quarter of RAM is PostgreSQL's own advice; the SQLite reader keeps a 48 MB page cache, and
both read through the same OS page cache).

For each size, the synthetic archive (bench/synthetic.py, cached in bench/out/) is ingested with
`archive-bot ingest` into a new SQLite file and an empty PostgreSQL database (then ANALYZE, as
autovacuum would within a minute), and the same 240 queries (30 of each kind) run through
archive-bot's search on each, each backend in its own process (peak RSS is the client's; the
server's own memory is not in it). Then the outbox: OUTBOX_SUBSCRIPTIONS subscriptions with
OUTBOX_POSTS pending announcements each, drained by two processes at once as two announcers
would (claim, "send", mark sent), on each backend: messages per second, and every message sent
exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchmark import OUT, SIZES, ensure_jsonl, ingest, summarise  # noqa: E402
from bot.archive.store.files import remove_database  # noqa: E402

OUTBOX_SUBSCRIPTIONS = 200
OUTBOX_POSTS = 19  # the shipped archive's posts: 3,800 messages in all
CLAIMERS = 2


# --- child processes ---------------------------------------------------------------------------


async def _search(location: str, queries: list[str]) -> dict:
    from bot.archive.search import Searcher
    from bot.archive.store import Archive

    archive = await Archive.open(location)
    latencies = []
    try:
        searcher = Searcher(archive)
        await searcher.search("warm up")
        for query in queries:
            started = time.perf_counter()
            await searcher.search(query, limit=10)
            latencies.append(time.perf_counter() - started)
        size = await archive.size_bytes()
    finally:
        await archive.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"latencies": latencies, "rss_mb": rss, "size_mb": size / 1e6}


async def _claim(location: str, start_at: float) -> dict:
    """Drain the outbox as an announcer does; what this process 'sent' (row ids, by nonce)."""
    from bot.archive.store import Archive
    from bot.feeds.store import FeedStore

    archive = await Archive.open(location)
    store = FeedStore(archive)
    sent: list[int] = []
    messages = 0
    await asyncio.sleep(max(0.0, start_at - time.time()))  # both claimers start together
    started = time.perf_counter()
    try:
        while waiting := await store.waiting_subscriptions():
            for subscription in waiting:
                now = time.time()
                # digest_after: one post per message, the most claims a backlog can cost.
                group = await store.claim_next(
                    subscription.id, now=now, lease_until=int(now) + 600, digest_after=10**6
                )
                if group is None:
                    continue
                await store.mark_sent(group.nonce, 1, now=now)
                sent += [row.id for row in group.rows]
                messages += 1
    finally:
        await archive.close()
    return {"sent": sent, "messages": messages, "seconds": time.perf_counter() - started}


def child(kind: str, location: str, argument: str) -> None:
    if kind == "search":
        queries = json.loads(Path(argument).read_text(encoding="utf-8"))
        result = asyncio.run(_search(location, queries))
    else:
        result = asyncio.run(_claim(location, float(argument)))
    print(json.dumps(result))


# --- parent ------------------------------------------------------------------------------------


def run_child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def _prepare_outbox(location: str) -> None:
    """The shipped posts, OUTBOX_SUBSCRIPTIONS subscriptions, every post pending in each."""
    from bot.archive.sources import read_source
    from bot.archive.store import Archive
    from bot.config import shipped_archive
    from bot.feeds.store import FeedStore

    archive = await Archive.open(location)
    try:
        await archive.ingest(await read_source(str(shipped_archive())))
        async with archive.reader.execute("SELECT id FROM posts ORDER BY id") as cursor:
            posts = [row[0] for row in await cursor.fetchall()][:OUTBOX_POSTS]
        store = FeedStore(archive)
        decisions = []
        for number in range(OUTBOX_SUBSCRIPTIONS):
            subscription = await store.subscribe(
                number + 1, 1000 + number, "https://www.lesswrong.com/feed.xml", now=0
            )
            decisions += [(subscription.id, post, "pending", 0) for post in posts]
        async with archive.transaction() as db:  # subscribing took the baseline: start clean
            await db.execute("DELETE FROM outbox")
        await store.enqueue(decisions, now=0)
    finally:
        await archive.close()


def outbox(location: str) -> dict:
    asyncio.run(_prepare_outbox(location))
    start_at = time.time() + 3  # after both interpreters have started
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", "claim", location, str(start_at)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(CLAIMERS)
    ]
    results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in processes]
    sent = Counter(row for result in results for row in result["sent"])
    expected = OUTBOX_SUBSCRIPTIONS * OUTBOX_POSTS
    seconds = max(result["seconds"] for result in results)
    messages = sum(result["messages"] for result in results)
    return {
        "messages": messages,
        "rate": messages / seconds,
        "shares": [result["messages"] for result in results],
        "duplicates": sum(count - 1 for count in sent.values() if count > 1),
        "missing": expected - len(sent),
    }


async def _analyze(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _create_database(server: str, name: str) -> str:
    import asyncpg

    from tests.postgres import with_database

    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name}")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return with_database(server, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1m")
    parser.add_argument("--per-kind", type=int, default=30)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    from bench.queries import make_queries
    from tests.postgres import cluster

    shared_buffers = os.environ.get("PG_SHARED_BUFFERS", "1GB")
    searches, ingests, outboxes = [], [], []
    with cluster(durable=True, settings=[f"shared_buffers={shared_buffers}"]) as server:
        for name in args.sizes.split(","):
            jsonl = ensure_jsonl(name, SIZES[name])
            queries = [query for _, query in make_queries(jsonl, args.per_kind)]
            queries_file = OUT / f"queries-{name}.json"
            queries_file.write_text(json.dumps(queries), encoding="utf-8")
            sqlite = OUT / f"backends-{name}.db"
            remove_database(sqlite)
            postgres = asyncio.run(_create_database(server, f"bench_{name}"))
            for backend, location in (("sqlite", str(sqlite)), ("postgresql", postgres)):
                print(f"{name}: ingesting into {backend} ...", file=sys.stderr)
                ingests.append((name, backend, ingest(jsonl, location)))
                if backend == "postgresql":
                    asyncio.run(_analyze(location))
                print(f"{name}: searching {backend} ...", file=sys.stderr)
                result = run_child("search", location, str(queries_file))
                searches.append((name, backend, *summarise(result["latencies"]), result["rss_mb"]))
                ingests[-1][2]["size_mb"] = result["size_mb"]
        sqlite_outbox = OUT / "backends-outbox.db"
        remove_database(sqlite_outbox)
        postgres_outbox = asyncio.run(_create_database(server, "bench_outbox"))
        for backend, location in (("sqlite", str(sqlite_outbox)), ("postgresql", postgres_outbox)):
            print(f"outbox on {backend} ...", file=sys.stderr)
            outboxes.append((backend, outbox(location)))

    print(f"\nsearch latency over {args.per_kind * 8} queries ({args.per_kind} of each kind), ms")
    print(f"{'archive':8} {'backend':11} {'median':>8} {'p95':>8} {'p99':>8} {'client RSS MB':>14}")
    for name, backend, median, p95, p99, rss in searches:
        print(f"{name:8} {backend:11} {median:8.1f} {p95:8.1f} {p99:8.1f} {rss:14.0f}")
    print("\ningest with `archive-bot ingest FILE.jsonl` into a new archive")
    header = ("archive", 8), ("backend", 11), ("paragraphs", -11), ("store p/s", -10)
    header += ("end-to-end p/s", -15), ("size MB", -8)
    print(" ".join(f"{t:<{w}}" if w > 0 else f"{t:>{-w}}" for t, w in header))
    for name, backend, b in ingests:
        print(
            f"{name:8} {backend:11} {b['paragraphs']:11,d} {b['store_rate']:10,.0f} "
            f"{b['wall_rate']:15,.0f} {b['size_mb']:8.0f}"
        )
    total = OUTBOX_SUBSCRIPTIONS * OUTBOX_POSTS
    print(
        f"\noutbox: {total:,} announcements ({OUTBOX_SUBSCRIPTIONS} channels x {OUTBOX_POSTS} "
        f"posts), {CLAIMERS} processes claiming at once"
    )
    print(f"{'backend':11} {'messages':>9} {'msgs/s':>8} {'per process':>14} {'duplicates':>11}"
          f" {'missing':>8}")  # fmt: skip
    for backend, o in outboxes:
        shares = "/".join(str(share) for share in o["shares"])
        print(
            f"{backend:11} {o['messages']:9,d} {o['rate']:8,.0f} {shares:>14} "
            f"{o['duplicates']:11d} {o['missing']:8d}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
