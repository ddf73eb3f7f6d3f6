"""Crawling someone else's site politely: one request at a time, a pause between requests, and
patience with passing trouble (backoff, Retry-After) that gives up with a clear message.

The forum backfill (forum/) and a feed's archive pages (history.py) both crawl through `Crawler`.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_PACE = 3.0  # seconds between requests: LessWrong's robots.txt says Crawl-Delay: 3
DEFAULT_TIMEOUT = 30.0
DEFAULT_ATTEMPTS = 5  # one request and four retries
LONGEST_WAIT = 15 * 60.0  # a Retry-After asking for longer than this ends the run instead


class CrawlError(Exception):
    """A crawl cannot go on; the message says why, for the person running it."""


class Transient(Exception):
    """Trouble that may pass (a 5xx, a 429, a timeout, a cut connection): try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None, smaller: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.smaller = smaller  # a smaller request might succeed (a 5xx, a timeout)


class GaveUp(CrawlError):
    """Transient trouble that lasted through every attempt."""


@dataclass(frozen=True, slots=True)
class Politeness:
    pace: float = DEFAULT_PACE
    timeout: float = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS


class Crawler:
    """Runs requests one after another, `pace` seconds apart, retrying transient failures."""

    def __init__(
        self,
        politeness: Politeness,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.politeness = politeness
        self.requests = 0  # sent, retries included
        self.retries = 0
        self._clock = clock
        self._sleep = sleep
        self._last_end: float | None = None
        self._lock = asyncio.Lock()  # one request in flight, whoever asks

    async def request(
        self, send: Callable[[], Awaitable[T]], *, on_smaller: Callable[[], None] | None = None
    ) -> T:
        """`send()` once politeness allows, again after transient failures; GaveUp at the end.

        `on_smaller` is called after a failure that a smaller request might avoid (the caller
        halves its page size).
        """
        async with self._lock:
            failure: Transient | None = None
            for attempt in range(self.politeness.attempts):
                if failure is not None:
                    await self._sleep(self._backoff(attempt, failure))
                await self._keep_pace()
                self.requests += 1
                try:
                    return await send()
                except Transient as exc:
                    failure = exc
                    self.retries += 1
                    log.warning("%s (attempt %d of %d)", exc, attempt + 1, self.politeness.attempts)
                    if exc.smaller and on_smaller is not None:
                        on_smaller()
                finally:
                    self._last_end = self._clock()
            raise GaveUp(f"{failure}; gave up after {self.politeness.attempts} attempts")

    async def _keep_pace(self) -> None:
        if self._last_end is not None:
            wait = self.politeness.pace - (self._clock() - self._last_end)
            if wait > 0:
                await self._sleep(wait)

    def _backoff(self, attempt: int, failure: Transient) -> float:
        """Exponential from the pace (0.2 s at pace 0), with jitter; Retry-After if longer."""
        base = max(self.politeness.pace, 0.2) * 2 ** (attempt - 1)
        wait = base * random.uniform(0.8, 1.2)
        if failure.retry_after is not None:
            if failure.retry_after > LONGEST_WAIT:
                raise GaveUp(
                    f"{failure}; the site asks to wait {failure.retry_after / 60:.0f} minutes"
                )
            wait = max(wait, failure.retry_after)
        return wait
