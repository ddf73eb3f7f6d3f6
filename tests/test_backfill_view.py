"""What `archive-bot ingest <forum>` shows while it runs: a bar on a terminal, lines elsewhere."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.archive.backfill import BackfillReport
from bot.archive.forum.crawl import Page
from bot.cli.backfill_view import BackfillProgress, format_backfill


def crawl(origin: datetime) -> SimpleNamespace:
    return SimpleNamespace(location="forum:https://www.lesswrong.com", origin=origin)


def page(position: datetime, phase: str = "posts") -> Page:
    return Page([object()] * 100, "{}", [], 100, phase, position)  # type: ignore[list-item]


def test_the_bar_shows_how_far_through_the_sites_history_the_cursor_is():
    now = datetime.now(UTC)
    origin = now - timedelta(days=1000)
    stream = io.StringIO()
    view = BackfillProgress(crawl(origin), stream=stream, bar=True)
    report = BackfillReport("forum:x", new=100, pages=1)
    view(page(origin + timedelta(days=250)), report)
    assert abs(view.fraction(page(origin + timedelta(days=250))) - 0.25) < 0.001
    assert view.fraction(page(now, "edits")) == 1.0
    view.close()
    shown = stream.getvalue()
    assert "25.0%" in shown and "100 posts (100 new)" in shown and "posts/s" in shown


def test_without_a_terminal_each_page_is_one_line():
    stream = io.StringIO()
    view = BackfillProgress(crawl(datetime(2006, 1, 1, tzinfo=UTC)), stream=stream, bar=False)
    report = BackfillReport("forum:x", new=90, updated=10, pages=3)
    view(page(datetime(2012, 5, 6, tzinfo=UTC)), report)
    view(Page([], "{}", [], 0, "edits", None), report)  # the cursor's last word: no line
    [line] = stream.getvalue().splitlines()
    assert line.startswith(
        "forum:https://www.lesswrong.com: page 3: 100 posts posted up to 2012-05-06"
    )
    assert "100 in all (90 new, 10 updated)" in line


def test_the_summary_says_whether_the_run_is_up_to_date():
    done = BackfillReport("forum:x", new=5, unchanged=2, paragraphs=40, requests=3, seconds=2.0)
    assert format_backfill(done).endswith("3 requests in 2 s; up to date")
    stopped = BackfillReport("forum:x", new=5, outcome="stopped", position=datetime(2020, 1, 2))
    assert "stopped at 2020-01-02 (--max-posts); run the same command again" in format_backfill(
        stopped
    )
