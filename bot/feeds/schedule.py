"""When to poll a feed next: the interval, exponential backoff with jitter, Retry-After, pausing.

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Timing rules of the poller; all durations in seconds."""

    interval: float = 600.0
    backoff_cap: float = 6 * 3600.0  # a failing feed is still tried at least this often
    jitter: float = 0.2  # +-20 %: feeds that failed together do not retry in lockstep
    pause_after: int = 6  # consecutive failures; ~5 h of failing at the default interval
    paused_retry: float = 6 * 3600.0  # a paused feed is probed this often, resuming on success
    max_retry_after: float = 24 * 3600.0  # a server's Retry-After is honoured up to this
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def after_success(self, now: float) -> int:
        """Next poll after a 200 or 304."""
        return int(now + self.interval)

    def backoff(self, failures: int) -> float:
        """The delay after `failures` consecutive failures, before jitter."""
        if failures >= self.pause_after:
            return self.paused_retry
        return min(self.backoff_cap, self.interval * 2 ** max(0, failures - 1))

    def after_failure(
        self, now: float, failures: int, retry_after: float | None
    ) -> tuple[int, bool]:
        """(next poll, whether the feed is now paused) after its `failures`-th failure in a row."""
        delay = self.backoff(failures) * self.rng.uniform(1 - self.jitter, 1 + self.jitter)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return int(now + delay), failures >= self.pause_after
