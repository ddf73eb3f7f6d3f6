"""Which process runs the archive's background duties: the feed poller, the announcer, the sync.

Several `archive-bot run` processes may serve one archive (a PostgreSQL one); exactly one of them
at a time should poll and announce. A Leadership says when this process may (`elected()`) and
when it must stop (`lost()`). A SQLite archive has one process by construction (files.run_lock
refuses a second), so it is always elected; PostgreSQL elects with an advisory lock
(postgres/leader.py).

Exactly-once announcements do not rest on this: two announcers at once cost work, never a
duplicate (the outbox's claims do that). Leadership only keeps the work from being done twice.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol


class Leadership(Protocol):
    async def elected(self) -> None:
        """Return once this process leads (wait while another one does)."""

    async def lost(self) -> None:
        """Return when this process can no longer be sure that it leads."""

    async def close(self) -> None:
        """Step down (another process may then be elected)."""

    async def listen(self, wake: Callable[[], None]) -> None:
        """While this process leads, call `wake` when another process has work for the leader
        (see wake_leader())."""

    async def wake_leader(self) -> None:
        """Tell the leading process, whichever it is, that there is work now (a new
        subscription to poll). Never raises: at worst the leader finds the work at its next
        round."""


class SoleLeadership:
    """The only process there is: elected at once, never deposed."""

    async def elected(self) -> None:
        return None

    async def lost(self) -> None:
        await asyncio.Event().wait()  # forever, until cancelled

    async def close(self) -> None:
        return None

    async def listen(self, wake: Callable[[], None]) -> None:
        return None  # no other process: this one wakes its own poller

    async def wake_leader(self) -> None:
        return None
