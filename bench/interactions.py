"""Time from interaction to first response, as Discord would measure it, under concurrent load.

Runs the real bot (`python -m bot run`, in its own process) against the fake Discord of the tests,
sends N interactions (a mix of /search, page turns, title autocomplete, /post, /recent, /stats)
from 20 users at a time, and prints percentiles of:

- first response: INTERACTION_CREATE sent -> the bot's callback received (Discord's 3 s deadline);
- full answer:    INTERACTION_CREATE sent -> the message holding the answer (after a deferral,
  the edit that fills it in).

    python bench/interactions.py                       # 200 interactions, 20 at a time
    python bench/interactions.py -n 1000 -c 50 --archive bench/out/synthetic-100k.jsonl
    python bench/interactions.py --db bench/out/big.db      # an archive built earlier
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakediscord import FakeDiscord, Interaction, Message, User  # noqa: E402

QUERIES = [
    "activation oracles",
    "air purifier battery",
    "scheming detection monitors",
    "model spec",
    "evaluation awareness logits",
    "AI safety schemes",
    "shutdownable agents",
    "superintelligent humans",
    "evolutionary psychology",
    "optimizer",
    "helpful-only fine-tuning",
    "epistemic case study",
    "frontier model testing",
    "theories of society",
    "learning mechanics",
    "high-impact work survey",
    "zzzz nothing matches this",
    "the",
    "deliberative",
    "lab leaks black holes",
]
TYPED = ["activ", "air", "bui", "the", "ai", "s", "", "logits as", "towards shut", "what"]
MIX = [
    ("search", 50),
    ("page", 15),
    ("autocomplete", 15),
    ("post", 10),
    ("recent", 5),
    ("stats", 5),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--interactions", type=int, default=200)
    parser.add_argument("-c", "--concurrency", type=int, default=20)
    parser.add_argument(
        "--archive", help="a JSONL archive to ingest first (default: the shipped one)"
    )
    parser.add_argument("--db", help="use this existing archive database instead")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-interactions-"))
    db = Path(args.db).resolve() if args.db else work / "archive.db"
    return asyncio.run(bench(args, work, db))


async def bench(args: argparse.Namespace, work: Path, db: Path) -> int:
    rng = random.Random(args.seed)
    if args.archive:
        print(f"ingesting {args.archive} ...", file=sys.stderr)
        ingest = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "ingest", args.archive, "--db", str(db), cwd=ROOT
        )
        if await ingest.wait() != 0:
            return 1

    fake = await FakeDiscord().start()
    guild = fake.add_guild("Bench server")
    channel = guild.add_text_channel("general")
    users = [guild.add_member(fake.add_user(f"user{i}")) for i in range(args.concurrency)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ARCHIVE_"))}
    env.update(DISCORD_TOKEN=fake.token, ARCHIVE_DB=str(db), LOG_LEVEL="WARNING")
    env["PYTHONPATH"] = str(ROOT)
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakediscord.launch", fake.base, "run", cwd=work, env=env
    )
    try:
        connected = asyncio.create_task(fake.wait_until_connected(timeout=600))
        exited = asyncio.create_task(bot.wait())
        await asyncio.wait({connected, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            connected.cancel()
            print(f"the bot exited with status {exited.result()}", file=sys.stderr)
            return 1
        exited.cancel()
        await connected
        # One search per user to click on later, and a warm-up of every path.
        results: dict[int, Message] = {}
        for user in users:
            ix = await fake.slash(user, channel, "search", query=rng.choice(QUERIES[:16]))
            results[user.id] = await ix.reply(timeout=60)
        records = await run_load(fake, channel, users, results, args, rng)
        print(f"bot peak RSS: {peak_rss_mb(bot.pid):.0f} MB")
    finally:
        if bot.returncode is None:
            bot.terminate()
            await bot.wait()
        await fake.close()
    report(records, args)
    return 0 if all(r[2] is not None for r in records) else 1


async def run_load(fake, channel, users, results, args, rng):
    """Send the interactions, `concurrency` at a time; (kind, first, answer) per interaction."""
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    plan = [rng.choice(kinds) for _ in range(args.interactions)]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for kind in plan:
        queue.put_nowait(kind)
    records: list[tuple[str, float | None, float | None]] = []

    async def worker(user: User) -> None:
        while not queue.empty():
            kind = queue.get_nowait()
            records.append(await one(fake, channel, user, results, kind, rng))

    started = time.perf_counter()
    await asyncio.gather(*(worker(user) for user in users))
    elapsed = time.perf_counter() - started
    print(f"{len(records)} interactions in {elapsed:.1f} s ({len(records) / elapsed:.0f}/s)")
    return records


async def one(fake, channel, user, results, kind, rng) -> tuple[str, float | None, float | None]:
    ix: Interaction
    if kind == "search":
        ix = await fake.slash(user, channel, "search", query=rng.choice(QUERIES))
    elif kind == "page":
        message = results[user.id]
        labels = {item.get("label"): item for item in message.buttons()}
        label = "Next ▶" if not labels.get("Next ▶", {}).get("disabled", True) else "◀ Previous"
        if labels.get(label, {}).get("disabled", True):  # one page of results, or none
            label = "Next ▶"
            kind = "search"
            ix = await fake.slash(user, channel, "search", query=rng.choice(QUERIES))
        else:
            ix = await fake.click(user, message, label)
    elif kind == "autocomplete":
        typed = rng.choice(TYPED)
        ix = await fake.autocomplete(user, channel, "post", "title", title=typed)
    elif kind == "post":
        ix = await fake.slash(user, channel, "post", title=rng.choice(QUERIES[:10]))
    elif kind == "recent":
        ix = await fake.slash(user, channel, "recent", count=rng.randint(1, 20))
    else:
        ix = await fake.slash(user, channel, "stats")
    try:
        first_event = await ix.first(timeout=30)
        if kind == "autocomplete":
            answered = first_event.at
        else:
            answered = (await ix.wait_for(_answer, timeout=30)).at
    except TimeoutError:
        return kind, ix.latency(), None
    return kind, first_event.at - ix.created, answered - ix.created


def _answer(event) -> bool:
    if event.kind == "callback":
        return event.payload.get("type") in (4, 7)
    return event.kind in ("edit_original", "followup")


def peak_rss_mb(pid: int) -> float:
    """The highest resident set size a running process has had (Linux: VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(records, args) -> None:
    groups: dict[str, list] = defaultdict(list)
    for record in records:
        groups[record[0]].append(record)
        groups["all"].append(record)
    print(f"\n{args.interactions} interactions, {args.concurrency} at a time; milliseconds")
    header = f"{'kind':<13}{'n':>5} | {'first p50':>9} {'p95':>7} {'p99':>7} {'max':>7}"
    header += f" | {'answer p50':>10} {'p95':>7} {'max':>7} | over 3 s"
    print(header)
    print("-" * len(header))
    for kind in [k for k, _ in MIX] + ["all"]:
        rows = groups.get(kind)
        if not rows:
            continue
        first = [r[1] * 1000 for r in rows if r[1] is not None]
        answer = [r[2] * 1000 for r in rows if r[2] is not None]
        late = sum(1 for r in rows if r[1] is None or r[1] > 3)
        print(
            f"{kind:<13}{len(rows):>5} | {statistics.median(first):>9.1f} "
            f"{percentile(first, 95):>7.1f} {percentile(first, 99):>7.1f} {max(first):>7.1f} | "
            f"{statistics.median(answer):>10.1f} {percentile(answer, 95):>7.1f} "
            f"{max(answer):>7.1f} | {late}"
        )


if __name__ == "__main__":
    sys.exit(main())
