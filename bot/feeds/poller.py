"""The poller: fetch each followed feed once per round, ingest, then announce through the outbox.

A round has two halves. Polling: every due feed is fetched (conditional GET), parsed and ingested
into the archive, and the items it shows are remembered. Announcing (only with an Announcer):
delivery.py decides what each channel gets and sends it exactly once. A failure in one feed or one
channel is logged and the rest go on.

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import aiohttp

from ..archive.feed import FeedError, parse_feed
from ..archive.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_TIMEOUT,
    FetchError,
    fetch,
)
from ..archive.models import SourceDocument
from ..archive.store import Archive
from .addresses import public_socket
from .announcer import Announcer
from .compose import DIGEST_AFTER, DIGEST_MAX, pause_notice
from .delivery import Delivery, DeliveryReport
from .models import Feed
from .schedule import PollPolicy
from .store import FeedStore

log = logging.getLogger(__name__)

# However overdue something is, the loop sleeps this long between rounds (wake() cuts it short):
# a message or feed that fails the same way every round must not spin the loop.
MIN_SLEEP = 30.0


@dataclass(slots=True)
class FeedReport:
    """What polling one feed did."""

    feed: Feed
    outcome: str  # fetched | not_modified | failed | skipped
    status: int | None = None
    items: int = 0  # posts the feed shows
    new: int = 0  # posts new to the archive
    updated: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    paused_now: bool = False


@dataclass(slots=True)
class RoundReport:
    feeds: list[FeedReport]
    delivery: DeliveryReport | None  # None: no announcer, ingest only


class Poller:
    """Polls the followed feeds and announces their new posts through an Announcer."""

    def __init__(
        self,
        archive: Archive,
        *,
        announcer: Announcer | None = None,
        policy: PollPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        concurrency: int = 4,
        digest_after: int = DIGEST_AFTER,
        digest_max: int = DIGEST_MAX,
        clock: Callable[[], float] = time.time,
        public_only: bool = False,
    ):
        """public_only=True refuses to connect to non-public addresses (see addresses.py)."""
        self.archive = archive
        self.store = FeedStore(archive)
        self.announcer = announcer
        self.policy = policy or PollPolicy()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.clock = clock
        self.public_only = public_only
        self.rounds_started = 0  # rounds begun by run() (tests wait on these two)
        self.rounds = 0  # rounds run() has finished, however they went
        self.delivery = (
            None
            if announcer is None
            else Delivery(
                archive,
                self.store,
                announcer,
                clock=clock,
                retry_cap=self.policy.interval,
                digest_after=digest_after,
                digest_max=digest_max,
            )
        )
        self._fetching = asyncio.Semaphore(concurrency)
        self._session: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Run the loop in a background task (kept here, so it is not garbage-collected)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="feed-poller")
            self._task.add_done_callback(_log_exit)
        return self._task

    def wake(self) -> None:
        """Poll and announce now instead of at the next scheduled time (after /announce add)."""
        self._wake.set()

    async def close(self) -> None:
        """Stop the loop and close the HTTP session; safe to call twice."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Poller:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def run(self) -> None:
        """Poll and announce until cancelled; a failing round is logged and the next one comes."""
        log.info("feed poller started (every %g s)", self.policy.interval)
        while True:
            self._wake.clear()
            self.rounds_started += 1
            try:
                await self.run_round()
                delay = await self._seconds_to_next()
            except Exception:
                log.exception("feed round failed; the next round tries again")
                delay = self.policy.interval
            self.rounds += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    # --- one round -----------------------------------------------------------------------------

    async def run_round(
        self, *, extra_urls: Iterable[str] = (), keep_interval: bool = True
    ) -> RoundReport:
        """Poll every due feed once (and `extra_urls`), then announce if there is an announcer.

        keep_interval=False (for `poll --once` from cron) polls feeds whose interval has not
        elapsed yet; a feed backing off after failures or a Retry-After still waits.
        """
        feeds = {feed.id: feed for feed in await self.store.followed_feeds()}
        for url in extra_urls:
            feed = await self.store.ensure_feed(url, self.clock())
            feeds.setdefault(feed.id, feed)
        reports = await asyncio.gather(
            *(self._poll_guarded(feed, keep_interval) for feed in feeds.values())
        )
        delivery = await self.announce() if self.announcer is not None else None
        return RoundReport(list(reports), delivery)

    async def _poll_guarded(self, feed: Feed, keep_interval: bool) -> FeedReport:
        if not self._due(feed, keep_interval):
            return FeedReport(feed, "skipped")
        async with self._fetching:
            try:
                return await self.poll_feed(feed)
            except Exception as exc:  # a bug or a database failure: this feed only
                log.exception("polling %s failed", feed.url)
                return FeedReport(feed, "failed", error=f"internal error: {exc!r}")

    def _due(self, feed: Feed, keep_interval: bool) -> bool:
        if feed.next_poll is None:
            return True
        due = self.clock() >= feed.next_poll.timestamp()
        if keep_interval:
            return due
        return due or feed.consecutive_failures == 0

    async def poll_feed(self, feed: Feed) -> FeedReport:
        """Fetch, parse and ingest one feed now, and record how it went."""
        now = self.clock()
        try:
            result = await fetch(
                feed.url,
                session=self._http(),
                etag=feed.etag,
                last_modified=feed.last_modified,
                timeout=self.timeout,
                max_bytes=self.max_bytes,
                max_redirects=self.max_redirects,
            )
            if result.not_modified:
                await self.store.record_not_modified(
                    feed.id, now=now, next_poll=self.policy.after_success(now)
                )
                log.debug("%s: not modified", feed.url)
                return FeedReport(await self._reload(feed), "not_modified", status=304)
            # Parsing a big feed takes a while; keep it off the loop the bot's gateway shares.
            document = await asyncio.to_thread(parse_feed, result.body, feed.url)
        except (FetchError, FeedError) as exc:
            status = exc.status if isinstance(exc, FetchError) else 200
            retry_after = exc.retry_after if isinstance(exc, FetchError) else None
            return await self._failed(feed, now, status, _reason(exc, feed.url), retry_after)
        try:
            ingest = await self.archive.ingest(document)
        except Exception as exc:  # a bug, or the database locked too long: back off all the same
            log.exception("ingesting %s failed", feed.url)
            return await self._failed(feed, now, result.status, f"internal error: {exc!r}", None)
        post_ids = list(dict.fromkeys(ingest.post_ids))
        warnings = list(ingest.warnings)
        if not post_ids:
            # A feed that suddenly shows nothing is far more often broken than empty. Keeping the
            # last items keeps a new subscription from taking an empty baseline and then
            # announcing the whole backlog when the items come back.
            warnings.append(f"{feed.url}: the feed shows no items; kept the ones it showed before")
            log.warning("%s", warnings[-1])
        # A damaged document may have lost items; without validators the next poll gets it whole
        # instead of a 304 that would hide the lost items until the feed changes.
        damaged = _damaged(document)
        await self.store.record_fetched(
            feed.id,
            now=now,
            status=result.status,
            etag=None if damaged else result.etag,
            last_modified=None if damaged else result.last_modified,
            title=document.title,
            post_ids=post_ids or None,
            next_poll=self.policy.after_success(now),
        )
        if feed.paused:
            log.warning("%s answers again; announcements resume", feed.url)
        return FeedReport(
            await self._reload(feed),
            "fetched",
            status=result.status,
            items=len(post_ids),
            new=ingest.new,
            updated=ingest.updated,
            warnings=warnings,
        )

    async def _failed(
        self, feed: Feed, now: float, status: int | None, error: str, retry_after: float | None
    ) -> FeedReport:
        notice = pause_notice(feed.name, self.policy.pause_after, error, self.policy.paused_retry)
        updated, paused_now = await self.store.record_failure(
            feed.id,
            now=now,
            status=status,
            error=error,
            retry_after=retry_after,
            policy=self.policy,
            pause_notice=notice,
        )
        if paused_now:
            log.error(
                "%s failed %d times in a row; paused, its channels are told: %s",
                feed.url,
                updated.consecutive_failures,
                error,
            )
        else:
            log.warning(
                "feed %s: %s (failure %d in a row; next try at %s)",
                feed.url,
                error,
                updated.consecutive_failures,
                updated.next_poll,
            )
        return FeedReport(updated, "failed", status=status, error=error, paused_now=paused_now)

    async def _reload(self, feed: Feed) -> Feed:
        return await self.store.feed(feed.id) or feed

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                socket_factory=public_socket if self.public_only else None
            )
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    # --- announcing ----------------------------------------------------------------------------

    async def announce(self) -> DeliveryReport:
        """Decide about the posts feeds show, then send what waits in the outbox."""
        if self.delivery is None:
            raise RuntimeError("announce() needs an announcer")
        return await self.delivery.run()

    async def _seconds_to_next(self) -> float:
        """Until the earliest due feed or deferred message, within [MIN_SLEEP, interval]."""
        now = self.clock()
        moments = [
            feed.next_poll.timestamp() if feed.next_poll else now
            for feed in await self.store.followed_feeds()
        ]
        if self.announcer is not None and (retry := await self.store.earliest_retry()) is not None:
            moments.append(retry)
        wait = min(moments, default=now + self.policy.interval) - now
        return min(self.policy.interval, max(min(MIN_SLEEP, self.policy.interval), wait))


def _reason(exc: Exception, url: str) -> str:
    """The error message without the URL it starts with (status shows it per feed anyway)."""
    message = str(exc) or exc.__class__.__name__
    return message.removeprefix(f"{url}: ")


def _damaged(document: SourceDocument) -> bool:
    return any("malformed XML" in warning for warning in document.warnings)


def _log_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("feed poller stopped", exc_info=task.exception())
