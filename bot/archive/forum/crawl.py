"""Paging through a forum's whole archive with a date cursor, resumably, then keeping up with it.

The rules come from ForumMagnum's server (shared/reference/forummagnum-api.md §2.6):
- `view: "old"` sorts by postedAt ascending; `after` is inclusive, so the posts at the cursor come
  back on the next page and are told apart by `_id`;
- a page can be short in the middle of the archive (posts visible to logged-in users only are
  dropped after the limit), so the end is the first page that adds nothing new, never a short one;
- more posts sharing one postedAt than fit on a page are fetched as that instant on its own
  (`after: t, before: t + 1 ms`), since the cursor cannot move past them;
- never `offset` (capped at 2000, and ignored for a year on LessWrong).
Once caught up, the run asks for the posts modified since the previous run (`timeField:
"modifiedAt"` filters without changing the sort, so those are read in time windows, halved while
a window fills a page) and the store updates them in place.

Every page is yielded with the cursor that follows it, as JSON, for the store to commit with the
page: a run killed at any moment resumes after the last committed page.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from ..models import Post
from .client import ForumClient, ForumQueryError
from .records import (
    Record,
    format_date,
    next_millisecond,
    parse_date,
    post_from_record,
    read_record,
)

log = logging.getLogger(__name__)

BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
WHOLE_INSTANT = 5000  # the server's own cap: one instant's posts in one request
# Edits are looked for from a little before the previous run started, in case the site's clock
# and ours disagree; the server's own latest modifiedAt bounds it too.
CLOCK_MARGIN = timedelta(hours=1)
FULL = 0.9  # a window of edits returning this share of a page may hold more: halve it


@dataclass(slots=True)
class ForumCursor:
    """Where a forum source stands, stored as JSON with each page (see the module docstring)."""

    after: str | None = None  # postedAt of the newest stored post
    at_cursor: list[str] = field(default_factory=list)  # ids posted at exactly `after`, stored
    start: str | None = None  # where the backfill began (--since); None: the site's first post
    complete: bool = False  # the newest post has been reached at least once
    edits_since: str | None = None  # edits from then on are still to be fetched
    edits_until: str | None = None  # an unfinished pass over edits got this far
    latest_modified: str | None = None  # the newest modifiedAt seen: the server's own clock
    first_posted: str | None = None  # the site's first post (the progress bar's origin)
    events: bool = False  # events were kept (--events) all the way to `after`

    @classmethod
    def load(cls, text: str | None) -> ForumCursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(**{key: data[key] for key in cls.__slots__ if key in data})
        except (ValueError, TypeError):
            log.warning("unreadable forum cursor %r; starting over", text[:200])
            return cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


@dataclass(slots=True)
class Page:
    """Posts to store, the cursor to store with them, and how far the run has got."""

    posts: list[Post]
    cursor: str
    warnings: list[str]
    fetched: int  # results the API returned for this page (events and repeats included)
    phase: str  # "posts" (new posts) | "edits" (posts modified since the last run)
    position: datetime | None  # the cursor's date, for progress


@dataclass(frozen=True, slots=True)
class CrawlOptions:
    since: datetime | None = None
    max_posts: int | None = None
    events: bool = False


class ForumCrawl:
    """One run over a forum: new posts from the cursor on, then (caught up) recent edits."""

    kind = "forum"  # the store's source kind: a forum's copy outranks a feed's

    def __init__(
        self,
        client: ForumClient,
        cursor: ForumCursor,
        options: CrawlOptions = CrawlOptions(),
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.client = client
        self.cursor = cursor
        self.options = options
        self.now = now
        self.posts_yielded = 0
        self.stopped_early = False  # --max-posts ended the run before it caught up
        self.caught_up = False
        self.origin: datetime | None = None  # where the progress bar starts

    @property
    def location(self) -> str:
        return self.client.site.location

    @property
    def requests(self) -> int:
        return self.client.crawler.requests

    async def pages(self) -> AsyncIterator[Page]:
        """The run's pages, each with the cursor after it; the last one may hold no posts."""
        started = self.now()
        bound = started - CLOCK_MARGIN
        if latest := parse_date(self.cursor.latest_modified):
            bound = min(bound, latest)
        self._position_start()
        if self.cursor.edits_since is None:
            self.cursor.edits_since = format_date(bound)
        async for page in self._new_posts():
            yield page
        if self.stopped_early:
            return
        self.caught_up = True
        self.cursor.complete = True
        async for page in self._edits():
            yield page
        self.cursor.edits_since, self.cursor.edits_until = format_date(bound), None
        yield self._page([], [], 0, "edits", self.now())

    # --- new posts, oldest first -----------------------------------------------------------------

    def _position_start(self) -> None:
        """Continue from the stored cursor, or start (again) where this run asks."""
        cursor = self.cursor
        wanted = format_date(self.options.since) if self.options.since else None
        if cursor.after is None:
            restart = True
        elif _earlier(wanted, cursor.start):
            # An earlier run began at a later --since: go back for what it left out (what is
            # stored already comes again and merges as unchanged).
            log.info("%s: fetching again from %s", self.location, wanted or "the first post")
            restart = True
        elif self.options.events and not cursor.events:
            # Events were skipped so far; they are only found by listing everything again.
            log.info("%s: fetching again from the start, keeping events", self.location)
            restart, wanted = True, cursor.start
        else:
            restart = False
        if restart:
            cursor.after, cursor.at_cursor, cursor.start = wanted, [], wanted
            cursor.complete = False
        cursor.events = self.options.events
        self.origin = parse_date(cursor.start) or parse_date(cursor.first_posted)

    async def _new_posts(self) -> AsyncIterator[Page]:
        cursor = self.cursor
        while True:
            after = parse_date(cursor.after) or BEGINNING
            results, limit = await self.client.posts({"view": "old", "after": format_date(after)})
            records = [read_record(raw) for raw in results]
            _check_order(records, self.location)
            seen = set(cursor.at_cursor)
            fresh = [r for r in records if r.id and r.id not in seen]
            if not fresh:
                if cursor.after is not None and _one_instant(records, after, limit):
                    async for page in self._whole_instant(after):
                        yield page
                    continue
                return
            if self.options.max_posts is not None:
                records, fresh = self._within_budget(records, fresh)
            if cursor.first_posted is None and cursor.start is None and records[0].posted:
                cursor.first_posted = format_date(records[0].posted)
                self.origin = records[0].posted
            newest = max((r.posted for r in records if r.posted), default=after)
            if newest == after:
                cursor.at_cursor = [*cursor.at_cursor, *(r.id for r in fresh if r.id)]
            else:
                cursor.after = format_date(newest)
                cursor.at_cursor = [r.id for r in records if r.posted == newest and r.id]
            nameless = [r for r in records if not r.id]  # skipped with a warning
            yield await self._convert(fresh + nameless, "posts", newest, len(results))
            if self.options.max_posts is not None and self.posts_yielded >= self.options.max_posts:
                self.stopped_early = True
                return

    def _within_budget(
        self, records: list[Record], fresh: list[Record]
    ) -> tuple[list[Record], list[Record]]:
        """The page cut after the post that reaches --max-posts; the cursor then stops there
        (posts sharing its instant but cut off are not in `at_cursor`, so they come next time)."""
        left = self.options.max_posts - self.posts_yielded
        kept, fresh_ids = 0, {r.id for r in fresh}
        for index, record in enumerate(records):
            if record.id in fresh_ids and (self.options.events or not record.is_event):
                kept += 1
                if kept >= left:
                    cut = records[: index + 1]
                    return cut, [r for r in fresh if r in cut]
        return records, fresh

    async def _whole_instant(self, instant: datetime) -> AsyncIterator[Page]:
        """More posts share `instant` than one page holds: fetch that millisecond on its own."""
        results, _ = await self.client.posts(
            {
                "view": "old",
                "after": format_date(instant),
                "before": format_date(next_millisecond(instant)),
                "limit": WHOLE_INSTANT,
            }
        )
        if len(results) >= WHOLE_INSTANT:
            log.warning(
                "%s: %d or more posts share the moment %s; some may be missing",
                self.location,
                WHOLE_INSTANT,
                format_date(instant),
            )
        records = [read_record(raw) for raw in results]
        seen = set(self.cursor.at_cursor)
        fresh = [r for r in records if r.id not in seen or not r.id]
        self.cursor.after, self.cursor.at_cursor = format_date(next_millisecond(instant)), []
        yield await self._convert(fresh, "posts", instant, len(results))

    # --- edits since the last run ----------------------------------------------------------------

    async def _edits(self) -> AsyncIterator[Page]:
        cursor = self.cursor
        low = parse_date(cursor.edits_until) or parse_date(cursor.edits_since) or self.now()
        latest = parse_date(cursor.latest_modified) or self.now()
        high = max(self.now(), latest) + timedelta(days=1)
        windows = [(low, high)]  # a stack, earliest window on top
        while windows:
            low, high = windows.pop()
            results, limit = await self.client.posts(
                {
                    "view": "old",
                    "timeField": "modifiedAt",
                    "after": format_date(low),
                    "before": format_date(high),
                }
            )
            if len(results) >= limit * FULL and high - low > timedelta(milliseconds=2):
                middle = low + (high - low) / 2
                windows += [(middle, high), (low, middle)]
                continue
            cursor.edits_until = format_date(high)
            records = [read_record(raw) for raw in results]
            yield await self._convert(records, "edits", high, len(results))

    # --- records to posts ------------------------------------------------------------------------

    async def _convert(
        self, records: list[Record], phase: str, position: datetime, fetched: int
    ) -> Page:
        """Parse the HTML of a page's records (in a worker thread: it is the slow part)."""
        wanted = [r for r in records if self.options.events or not r.is_event]
        for record in records:
            if record.modified and (
                self.cursor.latest_modified is None
                or format_date(record.modified) > self.cursor.latest_modified
            ):
                self.cursor.latest_modified = format_date(record.modified)
        posts, warnings = await asyncio.to_thread(self._posts, wanted)
        self.posts_yielded += len(posts)
        return self._page(posts, warnings, fetched, phase, position)

    def _posts(self, records: list[Record]) -> tuple[list[Post], list[str]]:
        posts, warnings = [], []
        for record in records:
            try:
                posts.append(post_from_record(record, self.client.site))
            except ValueError as exc:
                warnings.append(f"{self.location}: post {record.id or '?'} skipped: {exc}")
                log.warning("%s", warnings[-1])
        return posts, warnings

    def _page(
        self, posts: list[Post], warnings: list[str], fetched: int, phase: str, position: datetime
    ) -> Page:
        return Page(posts, self.cursor.dump(), warnings, fetched, phase, position)


def _one_instant(records: list[Record], instant: datetime, limit: int) -> bool:
    """Whether a page that added nothing is a crowd of posts at one instant, not the end: full
    enough that more may share it (a page can come back a little short, never half empty)."""
    return len(records) >= max(2, limit // 2) and all(r.posted == instant for r in records)


def _check_order(records: list[Record], location: str) -> None:
    """Refuse to page on when the site did not sort as asked: with another order the cursor
    would jump ahead and silently skip posts."""
    dates = [r.posted for r in records if r.posted is not None]
    if any(later < earlier for earlier, later in itertools.pairwise(dates)):
        raise ForumQueryError(
            f"{location}: the API did not return posts oldest first (view 'old'); stopping"
            " rather than skipping posts"
        )


def _earlier(wanted: str | None, start: str | None) -> bool:
    """Whether a run asking to start at `wanted` reaches back before where the backfill began
    (None: the site's first post)."""
    return start is not None and (wanted is None or wanted < start)
