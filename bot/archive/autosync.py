"""Keeping resumable sources current from inside the bot (ARCHIVE_SYNC, every ARCHIVE_SYNC_HOURS).

A background task runs each source's backfill (backfill.py) when its last run is old enough: the
first run is the whole backfill, later ones fetch what is new or edited. It shares the bot's event
loop, so it stays out of the way: requests are paced, HTML is parsed in a worker thread, and each
page is one short write transaction, between which searches and announcements go on. A failure is
logged and recorded (see /stats) and the source is tried again later; it never stops the bot.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from .backfill import BackfillOptions, open_crawl, run_backfill
from .forum.sites import parse_site
from .store import Archive

log = logging.getLogger(__name__)

RETRY_FAILED = timedelta(hours=1)  # a run that failed (not a bot wall) is tried again this soon


class AutoSync:
    """Runs each source's sync when due, one source at a time, until closed."""

    def __init__(
        self,
        archive: Archive,
        sources: Sequence[str],
        *,
        hours: float,
        options: BackfillOptions,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.archive = archive
        self.sources = list(sources)
        self.interval = timedelta(hours=hours)
        self.options = options
        self.now = now
        self.runs = 0  # finished runs, however they went (tests wait on it)
        self._not_before: dict[str, datetime] = {}  # after a run that raised
        self._task: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        """Start the background task (kept here, so it is not garbage-collected)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="archive-sync")
            self._task.add_done_callback(_log_exit)
        return self._task

    async def close(self) -> None:
        """Stop, abandoning a run in progress (its committed pages stay; the next start goes on)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        log.info(
            "archive sync of %s every %g hours",
            ", ".join(self.sources),
            self.interval / timedelta(hours=1),
        )
        while True:
            for source in self.sources:
                if await self.due(source) <= self.now():
                    await self.sync(source)
            wake = min([await self.due(source) for source in self.sources])
            await asyncio.sleep(max(1.0, (wake - self.now()).total_seconds()))

    async def due(self, source: str) -> datetime:
        """When `source` should next be synced: at once if never, else after its interval."""
        status = await self.archive.sync_status(_location(source))
        floor = self._not_before.get(source, self.now())
        if status is None or status.started is None or status.finished is None:
            return floor  # never synced, or killed mid-run: carry on now
        wait = self.interval
        if status.outcome == "failed":
            wait = min(wait, RETRY_FAILED)
        return max(floor, status.finished + wait)

    async def sync(self, source: str) -> None:
        """One run of one source; every failure is logged and recorded, never raised."""
        try:
            async with open_crawl(self.archive, source, self.options) as crawl:
                report = await run_backfill(self.archive, crawl)
            if report.error is None:
                log.info("synced %s: %s", source, report.summary())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("syncing %s failed; trying again later", source)
            self._not_before[source] = self.now() + RETRY_FAILED
        finally:
            self.runs += 1


def _location(source: str) -> str:
    site = parse_site(source)
    return site.location if site is not None else source


def _log_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("archive sync stopped", exc_info=task.exception())
