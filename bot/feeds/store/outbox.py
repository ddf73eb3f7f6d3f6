"""The outbox: one row per (subscription, post), claimed under a lease, sent once with a nonce.

A row is `pending` until an announcer claims its group, `sent` with the message id, or
`failed`; a claim left by a crash expires after its lease (see claim_next).

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from ...archive.store import Archive
from ..compose import DIGEST_AFTER, DIGEST_MAX, plan_groups
from ..models import (
    Group,
    OutboxRow,
    OutboxState,
    Subscription,
)
from .rows import (
    _ANNOUNCED,
    _OUTBOX_COLUMNS,
    Candidate,
    _group,
    _outbox_row,
    _split_keywords,
    _subscriptions_where,
    _take_baselines,
)


class OutboxRecords:
    """The outbox: what each channel is owed, claimed, sent or given up."""

    archive: Archive

    async def take_baselines(self, now: float) -> int:
        """Mark the backlog seen for subscriptions whose feed has been read; how many took one."""
        async with self.archive.transaction() as db:
            return await _take_baselines(db, now)

    async def candidates(self) -> list[Candidate]:
        """Posts feeds show now that healthy subscriptions have not decided about, oldest first."""
        async with self.archive.reader.execute(
            f"""
            SELECT s.id, s.channel_id, fi.post_id, s.keywords,
                EXISTS (
                    SELECT 1 FROM outbox AS o JOIN subscriptions AS other
                        ON other.id = o.subscription_id
                    WHERE other.channel_id = s.channel_id AND o.post_id = fi.post_id
                    AND o.state IN ({",".join("?" * len(_ANNOUNCED))})
                )
            FROM subscriptions AS s
            JOIN feed_items AS fi ON fi.feed_id = s.feed_id
            WHERE s.broken_at IS NULL AND s.baseline_pending = 0
            AND NOT EXISTS (
                SELECT 1 FROM outbox WHERE subscription_id = s.id AND post_id = fi.post_id
            )
            ORDER BY s.id, fi.position DESC
            """,
            _ANNOUNCED,
        ) as cursor:
            return [
                Candidate(sub, channel, post, _split_keywords(keywords), bool(in_channel))
                for sub, channel, post, keywords, in_channel in await cursor.fetchall()
            ]

    async def enqueue(
        self, decisions: Sequence[tuple[int, int, OutboxState, int]], now: float
    ) -> int:
        """Record (subscription, post, state, not_before) decisions; rows already there are kept
        as they are. A pending row is not claimed before its not_before."""
        added = 0
        async with self.archive.transaction() as db:
            for sub, post, state, not_before in decisions:  # a poll's few, one by one: each counts
                cursor = await db.execute(
                    """
                    INSERT INTO outbox (subscription_id, post_id, state, not_before, created_at)
                    VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """,
                    (sub, post, str(state), not_before, int(now)),
                )
                added += cursor.rowcount
        return added

    async def held(self, subscription_id: int) -> list[OutboxRow]:
        """Pending rows told to wait (not_before set), whether or not their time has come."""
        async with self.archive.reader.execute(
            f"""
            SELECT {_OUTBOX_COLUMNS} FROM outbox AS o
            WHERE o.subscription_id = ? AND o.state = 'pending' AND o.not_before > 0
            ORDER BY o.id
            """,
            (subscription_id,),
        ) as cursor:
            return [_outbox_row(row) for row in await cursor.fetchall()]

    async def release_held(self, row_ids: Sequence[int]) -> None:
        """Pending rows that need wait no longer."""
        async with self.archive.transaction() as db:
            await db.executemany(
                "UPDATE outbox SET not_before = 0 WHERE id = ? AND state = 'pending'",
                [(row_id,) for row_id in row_ids],
            )

    async def waiting_subscriptions(self) -> list[Subscription]:
        """Healthy subscriptions with something to send, or to check was sent."""
        return await _subscriptions_where(
            self.archive.reader,
            """
            s.broken_at IS NULL AND EXISTS (
                SELECT 1 FROM outbox WHERE subscription_id = s.id
                AND state IN ('pending', 'claimed')
            ) ORDER BY s.id
            """,
        )

    async def claimed_groups(self, subscription_id: int) -> list[Group]:
        """Messages claimed but not known to be sent, oldest first (after a crash or a failure)."""
        async with self.archive.reader.execute(
            f"""
            SELECT {_OUTBOX_COLUMNS} FROM outbox AS o
            WHERE o.subscription_id = ? AND o.state = 'claimed' ORDER BY o.id
            """,
            (subscription_id,),
        ) as cursor:
            rows = [_outbox_row(row) for row in await cursor.fetchall()]
        groups: dict[str, list[OutboxRow]] = {}
        for row in rows:
            groups.setdefault(row.nonce or f"row-{row.id}", []).append(row)
        return [Group(nonce, tuple(members)) for nonce, members in groups.items()]

    async def claim_next(
        self,
        subscription_id: int,
        *,
        now: float,
        lease_until: int,
        digest_after: int = DIGEST_AFTER,
        digest_max: int = DIGEST_MAX,
    ) -> Group | None:
        """Claim the next message of a subscription under a new nonce (None: nothing waits, or
        only what must wait until its not_before).

        Claiming commits before the send: from then on, anyone who finds the message claimed
        looks for it in the channel before sending it again, and only after `lease_until`, so a
        second process never resends a message the first is sending right now.
        """
        async with self.archive.claiming() as db:
            # On PostgreSQL the rows are locked, and rows another announcer is claiming right now
            # are skipped, not waited for: two announcers claim different messages, never one
            # twice (UNIQUE(subscription, post) keeps a post from being two messages).
            async with db.execute(
                f"""
                SELECT {_OUTBOX_COLUMNS} FROM outbox AS o
                WHERE o.subscription_id = ? AND o.state = 'pending' AND o.not_before <= ?
                ORDER BY o.id{self.archive.skip_locked}
                """,
                (subscription_id, int(now)),
            ) as cursor:
                rows = [_outbox_row(row) for row in await cursor.fetchall()]
            if not rows:
                return None
            first = plan_groups(rows, digest_after, digest_max)[0]
            nonce = secrets.token_hex(8)  # Discord takes nonces of up to 25 characters
            ids = [row.id for row in first]
            await db.execute(
                f"""
                UPDATE outbox SET state = 'claimed', nonce = ?, attempts = attempts + 1,
                    not_before = ?
                WHERE id IN ({",".join("?" * len(ids))})
                """,
                (nonce, lease_until, *ids),
            )
            return await _group(db, nonce)

    async def count_attempt(self, nonce: str) -> None:
        """One more try at sending a claimed message."""
        async with self.archive.transaction() as db:
            await db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE nonce = ?", (nonce,))

    async def mark_sent(self, nonce: str, message_id: int, *, now: float) -> None:
        """The message is in the channel: never send it again."""
        async with self.archive.transaction() as db:
            await db.execute(
                """
                UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, error = NULL
                WHERE nonce = ? AND state = 'claimed'
                """,
                (message_id, int(now), nonce),
            )

    async def defer(self, nonce: str, error: str, *, not_before: int) -> None:
        """Keep the message claimed (it may have gone out) and try again after `not_before`."""
        async with self.archive.transaction() as db:
            await db.execute(
                "UPDATE outbox SET error = ?, not_before = ? WHERE nonce = ? AND state = 'claimed'",
                (error, not_before, nonce),
            )

    async def release(self, nonce: str, error: str) -> None:
        """The message certainly did not go out (403/404): back to pending, regrouped later."""
        async with self.archive.transaction() as db:
            await db.execute(
                """
                UPDATE outbox SET state = 'pending', nonce = NULL, error = ?, not_before = 0
                WHERE nonce = ? AND state = 'claimed'
                """,
                (error, nonce),
            )

    async def mark_failed(self, nonce: str, error: str) -> None:
        """Discord refused the message itself: stop trying it, keep the row and the reason."""
        async with self.archive.transaction() as db:
            await db.execute(
                """
                UPDATE outbox SET state = 'failed', error = ? WHERE nonce = ? AND state = 'claimed'
                """,
                (error, nonce),
            )

    async def earliest_retry(self) -> int | None:
        """When the first deferred message of a healthy subscription may be tried again."""
        async with self.archive.reader.execute(
            """
            SELECT min(o.not_before) FROM outbox AS o
            JOIN subscriptions AS s ON s.id = o.subscription_id
            WHERE o.state = 'claimed' AND s.broken_at IS NULL
            """
        ) as cursor:
            (moment,) = await cursor.fetchone()
        return moment

    async def outbox(self, subscription_id: int) -> list[OutboxRow]:
        """Every outbox row of a subscription, oldest first (for status and tests)."""
        async with self.archive.reader.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox AS o WHERE o.subscription_id = ? ORDER BY o.id",
            (subscription_id,),
        ) as cursor:
            return [_outbox_row(row) for row in await cursor.fetchall()]

    async def outbox_counts(self) -> dict[str, int]:
        """Outbox rows by state, across all subscriptions."""
        async with self.archive.reader.execute(
            "SELECT state, count(*) FROM outbox GROUP BY state"
        ) as cursor:
            return {state: count for state, count in await cursor.fetchall()}
