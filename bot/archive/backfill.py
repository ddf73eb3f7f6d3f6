"""Resumable sources: a forum's whole archive (forum/) or a feed's archive pages (history.py),
run into the archive page by page, each page committed with the cursor that follows it.

`open_crawl()` names the source and loads its cursor; `run_backfill()` drives it, stores every
page, records how the run went (for /stats and `archive-bot stats`) and returns a report. The CLI
(`archive-bot ingest lesswrong`) and the bot's background sync both come through here.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import aiohttp

from .forum.client import ForumBlocked, ForumClient
from .forum.crawl import CrawlOptions, ForumCrawl, ForumCursor, Page
from .forum.sites import parse_site
from .history import FeedHistory, HistoryCursor
from .models import SourceDocument
from .polite import DEFAULT_PACE, DEFAULT_TIMEOUT, Crawler, CrawlError, Politeness
from .store import Archive

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BackfillOptions:
    """What `archive-bot ingest` (or ARCHIVE_SYNC) asks of a resumable source."""

    since: datetime | None = None
    max_posts: int | None = None
    pace: float = DEFAULT_PACE
    timeout: float = DEFAULT_TIMEOUT
    events: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)  # FORUM_API_HEADERS; never logged


class Crawl(Protocol):
    """A run over a resumable source (ForumCrawl, FeedHistory)."""

    location: str
    kind: str  # the store's source kind: "forum" | "feed"
    origin: datetime | None  # where progress starts
    caught_up: bool  # the run reached the newest post

    @property
    def requests(self) -> int: ...

    def pages(self) -> AsyncIterator[Page]: ...


@dataclass(slots=True)
class BackfillReport:
    """What one run did, and how it ended."""

    location: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    paragraphs: int = 0
    pages: int = 0
    requests: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    outcome: str = "ok"  # ok | stopped (--max-posts, or interrupted) | failed | blocked
    error: str | None = None
    position: datetime | None = None  # the cursor's date after the last stored page

    @property
    def posts(self) -> int:
        return self.new + self.updated + self.unchanged

    def summary(self) -> str:
        """One line: what the run stored."""
        return (
            f"{self.posts:,} posts ({self.new:,} new, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged), {self.paragraphs:,} paragraphs, "
            f"{self.requests:,} requests in {self.seconds:,.0f} s"
        )


def is_resumable(spec: str, *, history: bool) -> bool:
    """Whether `archive-bot ingest SPEC` runs through here (ValueError: a bad `forum:` spec)."""
    return parse_site(spec) is not None or (
        history and spec.lower().startswith(("http://", "https://"))
    )


@contextlib.asynccontextmanager
async def open_crawl(archive: Archive, spec: str, options: BackfillOptions) -> AsyncIterator[Crawl]:
    """The crawl a source names (a forum, else a feed URL whose history to follow), positioned
    at its stored cursor, with an HTTP session."""
    politeness = Politeness(pace=options.pace, timeout=options.timeout)
    crawler = Crawler(politeness)
    async with aiohttp.ClientSession() as session:
        site = parse_site(spec)
        if site is not None:
            client = ForumClient(site, crawler, session, headers=options.headers)
            cursor = ForumCursor.load(await archive.source_cursor(site.location))
            crawl_options = CrawlOptions(options.since, options.max_posts, options.events)
            yield ForumCrawl(client, cursor, crawl_options)
        else:
            cursor = HistoryCursor.load(await archive.source_cursor(spec))
            yield FeedHistory(spec, crawler, session, archive, cursor, max_posts=options.max_posts)


ProgressCallback = Callable[[Page, BackfillReport], None]


async def run_backfill(
    archive: Archive, crawl: Crawl, *, progress: ProgressCallback | None = None
) -> BackfillReport:
    """Run `crawl` to its end (or its first lasting failure), storing page after page."""
    report = BackfillReport(crawl.location)
    began, started = datetime.now(UTC), time.perf_counter()
    await archive.record_sync(crawl.location, crawl.kind, started=began)
    try:
        async for page in _ahead(crawl.pages()):
            # Both crawls' parsers (records.py, feed.py) run every paragraph through clean_text.
            document = SourceDocument(
                crawl.location, crawl.kind, page.posts, warnings=list(page.warnings), cleaned=True
            )
            ingested = await archive.ingest(document, cursor=page.cursor)
            report.new += ingested.new
            report.updated += ingested.updated
            report.unchanged += ingested.unchanged
            report.paragraphs += ingested.paragraphs
            report.warnings += ingested.warnings
            report.pages += 1
            report.position = page.position
            report.requests, report.seconds = crawl.requests, time.perf_counter() - started
            if progress is not None:
                progress(page, report)
        report.outcome = "ok" if crawl.caught_up else "stopped"
    except CrawlError as exc:
        report.outcome = "blocked" if isinstance(exc, ForumBlocked) else "failed"
        report.error = str(exc)
        log.error("%s", exc)
    except (asyncio.CancelledError, KeyboardInterrupt):
        report.outcome, report.error = "stopped", "interrupted"
        await _finish(archive, crawl, report, began, started)
        raise
    except Exception as exc:  # a bug, a full disk: recorded, then raised
        report.outcome, report.error = "failed", f"internal error: {exc!r}"
        await _finish(archive, crawl, report, began, started)
        raise
    await _finish(archive, crawl, report, began, started)
    return report


async def _finish(
    archive: Archive, crawl: Crawl, report: BackfillReport, began: datetime, started: float
) -> None:
    report.requests, report.seconds = crawl.requests, time.perf_counter() - started
    message = report.summary() if report.error is None else f"{report.error} ({report.summary()})"
    with contextlib.suppress(Exception):  # the run's own error matters more than this note
        await archive.record_sync(
            crawl.location,
            crawl.kind,
            started=began,
            finished=datetime.now(UTC),
            outcome=report.outcome,
            message=message,
        )


async def _ahead(pages: AsyncIterator[Page]) -> AsyncIterator[Page]:
    """The same pages, the next one already being fetched while the caller stores this one (still
    one request in flight: the crawl awaits each answer before it asks again)."""
    iterator = aiter(pages)
    pending = asyncio.ensure_future(anext(iterator))
    try:
        while True:
            try:
                page = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(anext(iterator))
            yield page
    finally:
        if not pending.done():
            pending.cancel()
        with contextlib.suppress(BaseException):
            await pending
        await iterator.aclose()  # type: ignore[attr-defined]
