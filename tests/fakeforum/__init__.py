"""A fake ForumMagnum site (LessWrong, the Alignment Forum, the EA Forum) for tests and benchmarks.

    async with FakeForum([FakePost("abcdefghijklmnopq", "A title", when, html="<p>Hi</p>")]) as forum:
        forum.faults.append("checkpoint")           # the next request meets the bot wall
        ... archive-bot ingest forum.source ...     # forum:http://127.0.0.1:PORT

`python -m tests.fakeforum --posts 100000` serves a generated archive in its own process (for
bench/backfill.py). The contract it follows is in server.py and views.py.
"""

from .server import FAULTS, FakeForum, Request
from .views import FakePost

__all__ = ["FAULTS", "FakeForum", "FakePost", "Request"]
