"""Followed feeds: created on first subscription, updated by every poll (validators, health,
backoff, the items the feed shows now).

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...archive.store import Archive
from ..models import (
    Feed,
    normalize_feed_url,
)
from ..schedule import PollPolicy
from .rows import (
    _FEED_COLUMNS,
    _feed,
    _feed_where,
)


class FeedRecords:
    """The followed feeds and what each poll of them found."""

    archive: Archive

    async def ensure_feed(self, url: str, now: float) -> Feed:
        """The feed with this URL, created if new."""
        url = normalize_feed_url(url)
        async with self.archive.transaction() as db:
            await db.execute(
                "INSERT INTO feeds (url, created_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                (url, int(now)),
            )
            return await _feed_where(db, "feeds.url = ?", url)

    async def feed(self, feed_id: int) -> Feed | None:
        """One feed by id."""
        async with self.archive.reader.execute(
            f"SELECT {_FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _feed(row)

    async def feeds(self) -> list[Feed]:
        """Every feed the bot knows, followed or not (for /stats)."""
        async with self.archive.reader.execute(
            f"SELECT {_FEED_COLUMNS} FROM feeds ORDER BY id"
        ) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def followed_feeds(self) -> list[Feed]:
        """Feeds at least one channel follows: what the poller polls."""
        async with self.archive.reader.execute(
            f"""
            SELECT {_FEED_COLUMNS} FROM feeds
            WHERE EXISTS (SELECT 1 FROM subscriptions WHERE subscriptions.feed_id = feeds.id)
            ORDER BY feeds.id
            """
        ) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def record_fetched(
        self,
        feed_id: int,
        *,
        now: float,
        status: int,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
        post_ids: Sequence[int] | None,
        next_poll: int,
    ) -> None:
        """A 200: new validators, healthy again, and the items the feed shows now.

        post_ids=None keeps the items of the last fetch (and takes no baseline from this one).
        """
        async with self.archive.transaction() as db:
            await db.execute(
                """
                UPDATE feeds SET title = coalesce(?, title), etag = ?, last_modified = ?,
                    last_poll = ?, last_status = ?, last_success = ?, polls = polls + 1,
                    consecutive_failures = 0, next_poll = ?, retry_after_until = NULL,
                    paused_at = NULL, last_error = NULL
                WHERE id = ?
                """,
                (title, etag, last_modified, int(now), status, int(now), next_poll, feed_id),
            )
            if post_ids is None:
                return
            await db.execute("UPDATE feeds SET items_at = ? WHERE id = ?", (int(now), feed_id))
            await db.execute("DELETE FROM feed_items WHERE feed_id = ?", (feed_id,))
            await db.executemany(
                "INSERT INTO feed_items (feed_id, post_id, position) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [(feed_id, post_id, position) for position, post_id in enumerate(post_ids)],
            )

    async def record_not_modified(self, feed_id: int, *, now: float, next_poll: int) -> None:
        """A 304: nothing changed; the visible items stay what they were."""
        async with self.archive.transaction() as db:
            await db.execute(
                """
                UPDATE feeds SET last_poll = ?, last_status = 304, last_success = ?,
                    polls = polls + 1, not_modified = not_modified + 1, consecutive_failures = 0,
                    next_poll = ?, retry_after_until = NULL, paused_at = NULL, last_error = NULL
                WHERE id = ?
                """,
                (int(now), int(now), next_poll, feed_id),
            )

    async def record_failure(
        self,
        feed_id: int,
        *,
        now: float,
        status: int | None,
        error: str,
        retry_after: float | None,
        policy: PollPolicy,
        pause_notice: str,
    ) -> tuple[Feed, bool]:
        """A failed poll: count it, back off, pause at the threshold. Returns (feed, paused now).

        The pause and its notice to every healthy subscription of the feed commit together, and
        only on the transition, so the channels are told once per pause, not at every poll.
        """
        async with self.archive.transaction() as db:
            async with db.execute(
                """
                UPDATE feeds SET last_poll = ?, last_status = ?, polls = polls + 1,
                    consecutive_failures = consecutive_failures + 1, last_error = ?
                WHERE id = ? RETURNING consecutive_failures, paused_at
                """,
                (int(now), status, error, feed_id),
            ) as cursor:
                failures, paused_at = await cursor.fetchone()
            next_poll, pause = policy.after_failure(now, failures, retry_after)
            pausing = pause and paused_at is None
            retry_until = None if retry_after is None else int(now + retry_after)
            await db.execute(
                """
                UPDATE feeds SET next_poll = ?, retry_after_until = ?,
                    paused_at = CASE WHEN ? THEN ? ELSE paused_at END
                WHERE id = ?
                """,
                (next_poll, retry_until, pausing, int(now), feed_id),
            )
            if pausing:
                await db.execute(
                    """
                    INSERT INTO outbox (subscription_id, notice_key, notice, state, created_at)
                    SELECT id, ?, ?, 'pending', ? FROM subscriptions
                    WHERE feed_id = ? AND broken_at IS NULL
                    ON CONFLICT DO NOTHING
                    """,
                    (f"paused:{int(now)}", pause_notice, int(now), feed_id),
                )
            return await _feed_where(db, "feeds.id = ?", feed_id), pausing
