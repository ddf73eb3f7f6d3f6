"""How `archive-bot ingest` shows a forum backfill or a feed's history: on a terminal a progress
bar (the cursor's date between the site's first post and now, posts, posts/s, ETA), elsewhere one
line per page on stderr; then a summary. No discord here.

May import: bot.archive, bot.feeds, bot.services, bot.config; bot.discordbot lazily.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from ..archive.backfill import BackfillReport, Crawl
from ..archive.forum.crawl import Page

BAR_STEPS = 10_000  # the bar's resolution: a hundredth of a percent


class BackfillProgress:
    """The callback run_backfill() calls after each stored page."""

    def __init__(self, crawl: Crawl, *, stream: TextIO = sys.stderr, bar: bool | None = None):
        self.crawl = crawl
        self.stream = stream
        self.started = time.monotonic()
        self.fetched = 0
        self._bar = None
        if stream.isatty() if bar is None else bar:
            from tqdm import tqdm

            self._bar = tqdm(
                total=BAR_STEPS,
                desc=crawl.location.removeprefix("forum:").removeprefix("https://")[:32],
                bar_format="{desc} {percentage:5.1f}%|{bar}| {postfix} [{elapsed}<{remaining}]",
                file=stream,
                leave=False,
            )

    def __call__(self, page: Page, report: BackfillReport) -> None:
        self.fetched += page.fetched
        if not page.fetched and self._bar is None:
            return  # the cursor's last word, or a window of edits with none in it
        rate = report.posts / max(1e-9, time.monotonic() - self.started)
        when = page.position.strftime("%Y-%m-%d") if page.position else "?"
        if self._bar is not None:
            self._bar.n = round(self.fraction(page) * BAR_STEPS)
            self._bar.set_postfix_str(
                f"{when}, {report.posts:,} posts ({report.new:,} new), {rate:,.1f} posts/s",
                refresh=True,
            )
            return
        what = "edited since the last run" if page.phase == "edits" else "posted up to " + when
        print(
            f"{self.crawl.location}: page {report.pages}: {len(page.posts)} posts {what}; "
            f"{report.posts:,} in all ({report.new:,} new, {report.updated:,} updated), "
            f"{rate:,.1f} posts/s",
            file=self.stream,
            flush=True,
        )

    def fraction(self, page: Page) -> float:
        """How far through the site's history the cursor is (edits: done)."""
        origin = self.crawl.origin
        if page.phase == "edits" or page.position is None or origin is None:
            return 1.0 if page.phase == "edits" else 0.0
        now = datetime.now(UTC)
        span = (now - origin).total_seconds()
        return min(1.0, max(0.0, (page.position - origin).total_seconds() / span)) if span else 1.0

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def format_backfill(report: BackfillReport) -> str:
    """The summary printed at the end of a run, with its warnings."""
    head = f"{report.location}: {report.summary()}"
    if report.outcome == "ok":
        head += "; up to date"
    elif report.outcome == "stopped" and report.error is None:
        when = report.position.strftime("%Y-%m-%d") if report.position else "the start"
        head += f"; stopped at {when} (--max-posts); run the same command again to go on"
    lines = [head, *(f"  warning: {warning}" for warning in report.warnings)]
    return "\n".join(lines)


def format_failure(report: BackfillReport) -> str:
    """The one-line error of a run that could not finish, and how to go on."""
    kept = f"{report.new:,} new posts stored" if report.new else "nothing new stored"
    return f"error: {report.error} [{kept}; run the same command again to continue]"
