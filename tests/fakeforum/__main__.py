"""Serve a generated forum archive until killed: `python -m tests.fakeforum --posts 100000`.

Prints `ready <base-url> <posts>` on stdout once it listens (bench/backfill.py waits for it).
"""

from __future__ import annotations

import argparse
import asyncio

from .corpus import generate
from .server import FakeForum


async def serve(count: int, port: int, seed: int) -> None:
    forum = FakeForum(generate(count, seed), static=True)
    await forum.start(port)
    print(f"ready {forum.base} {len(forum.posts)}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    asyncio.run(serve(args.posts, args.port, args.seed))


if __name__ == "__main__":
    main()
