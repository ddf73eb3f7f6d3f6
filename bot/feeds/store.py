"""All SQL of the announcement feature: feeds, their visible items, subscriptions and the outbox.

It lives in the archive's file (tables from migration 2) and writes through
`Archive.transaction()`, so posts, feed state and outbox rows change under one writer. Queries a
server makes take its guild_id; the poller's own queries span every guild.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from ..archive.models import from_timestamp
from ..archive.store import Archive
from .compose import DIGEST_AFTER, DIGEST_MAX, plan_groups
from .models import (
    Feed,
    Group,
    OutboxRow,
    OutboxState,
    Subscription,
    normalize_feed_url,
    parse_keywords,
)
from .schedule import PollPolicy

log = logging.getLogger(__name__)

_FEED_COLUMNS = (
    "feeds.id, feeds.url, feeds.title, feeds.etag, feeds.last_modified, feeds.last_poll, "
    "feeds.last_status, feeds.last_success, feeds.polls, feeds.not_modified, "
    "feeds.consecutive_failures, feeds.next_poll, feeds.retry_after_until, feeds.paused_at, "
    "feeds.last_error, feeds.items_at"
)
_SUBSCRIPTION_COLUMNS = (
    "s.id, s.guild_id, s.channel_id, s.feed_id, feeds.url, feeds.title, s.role_id, s.keywords, "
    "s.baseline_pending, s.broken_at, s.broken_reason, s.created_at"
)
_OUTBOX_COLUMNS = (
    "o.id, o.subscription_id, o.post_id, o.notice, o.state, o.nonce, o.attempts, o.message_id, "
    "o.error, o.not_before"
)
_ANNOUNCED = ("pending", "claimed", "sent")  # states that mean "this channel gets/got the post"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A post a feed shows that a subscription has not decided about yet."""

    subscription_id: int
    channel_id: int
    post_id: int
    keywords: tuple[str, ...]
    in_channel: bool  # the channel already has it through another subscription


@dataclass(frozen=True, slots=True)
class GuildStatus:
    """One server's feeds (with their polling health) and subscriptions."""

    feeds: list[Feed]
    subscriptions: list[Subscription]
    waiting: dict[int, int]  # subscription id -> messages not yet sent


class FeedStore:
    """Feeds, subscriptions and the outbox, in the archive's database."""

    def __init__(self, archive: Archive):
        self.archive = archive

    # --- feeds ---------------------------------------------------------------------------------

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
                "INSERT OR IGNORE INTO feed_items (feed_id, post_id, position) VALUES (?, ?, ?)",
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
                    INSERT OR IGNORE INTO outbox
                        (subscription_id, notice_key, notice, state, created_at)
                    SELECT id, ?, ?, 'pending', ? FROM subscriptions
                    WHERE feed_id = ? AND broken_at IS NULL
                    """,
                    (f"paused:{int(now)}", pause_notice, int(now), feed_id),
                )
            return await _feed_where(db, "feeds.id = ?", feed_id), pausing

    # --- subscriptions (a server's view: guild_id in every query) ------------------------------

    async def subscribe(
        self,
        guild_id: int,
        channel_id: int,
        feed_url: str,
        *,
        role_id: int | None = None,
        keywords: Iterable[str] = (),
        now: float,
    ) -> Subscription:
        """Follow a feed in a channel, or update that subscription.

        A new subscription marks what the feed shows now as seen (at once when the feed has been
        read, else at its first successful fetch), so the channel is not flooded with the backlog.
        Subscribing again keeps what was announced, takes the new role and keywords, repairs a
        broken subscription, and asks for a poll now if the feed was paused. Raises ValueError
        (with a message fit for the user) for a bad URL or bad keywords.
        """
        url = normalize_feed_url(feed_url)
        keyword_text = "\n".join(parse_keywords(",".join(keywords)))  # folded, as matching expects
        async with self.archive.transaction() as db:
            await db.execute(
                "INSERT INTO feeds (url, created_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                (url, int(now)),
            )
            async with db.execute(
                """
                INSERT INTO subscriptions
                    (guild_id, channel_id, feed_id, role_id, keywords, created_at)
                VALUES (?, ?, (SELECT id FROM feeds WHERE url = ?), ?, ?, ?)
                ON CONFLICT (guild_id, channel_id, feed_id) DO UPDATE SET
                    role_id = excluded.role_id, keywords = excluded.keywords,
                    broken_at = NULL, broken_reason = NULL
                RETURNING id, feed_id
                """,
                (guild_id, channel_id, url, role_id, keyword_text, int(now)),
            ) as cursor:
                subscription_id, feed_id = await cursor.fetchone()
            await db.execute(
                "UPDATE feeds SET next_poll = ? WHERE id = ? AND paused_at IS NOT NULL",
                (int(now), feed_id),
            )
            await _take_baselines(db, now, subscription_id)
            return await _subscription_where(db, "s.id = ?", subscription_id)

    async def unsubscribe(self, guild_id: int, subscription_id: int) -> bool:
        """Remove one of this server's subscriptions; False if it has none with that id."""
        async with self.archive.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM subscriptions WHERE id = ? AND guild_id = ?",
                (subscription_id, guild_id),
            )
            return cursor.rowcount > 0

    async def unsubscribe_channel(
        self, guild_id: int, channel_id: int, feed_url: str | None = None
    ) -> int:
        """Remove this server's subscriptions in a channel (to one feed, or all); how many."""
        async with self.archive.transaction() as db:
            cursor = await db.execute(
                """
                DELETE FROM subscriptions WHERE guild_id = ? AND channel_id = ?
                AND (? IS NULL OR feed_id = (SELECT id FROM feeds WHERE url = ?))
                """,
                (guild_id, channel_id, feed_url, feed_url and feed_url.strip()),
            )
            return cursor.rowcount

    async def subscriptions(self, guild_id: int) -> list[Subscription]:
        """This server's subscriptions."""
        return await _subscriptions_where(
            self.archive.reader, "s.guild_id = ? ORDER BY s.channel_id, s.id", guild_id
        )

    async def guild_feeds(self, guild_id: int) -> list[Feed]:
        """The feeds this server's subscriptions follow (for /announce status)."""
        async with self.archive.reader.execute(
            f"""
            SELECT {_FEED_COLUMNS} FROM feeds WHERE id IN
                (SELECT feed_id FROM subscriptions WHERE guild_id = ?)
            ORDER BY id
            """,
            (guild_id,),
        ) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def guild_status(self, guild_id: int) -> GuildStatus:
        """Everything /announce status shows for one server, and nothing of other servers."""
        async with self.archive.reader.execute(
            """
            SELECT s.id, count(o.id) FROM subscriptions AS s
            LEFT JOIN outbox AS o ON o.subscription_id = s.id AND o.state IN ('pending', 'claimed')
            WHERE s.guild_id = ? GROUP BY s.id
            """,
            (guild_id,),
        ) as cursor:
            waiting = {sub: count for sub, count in await cursor.fetchall()}
        return GuildStatus(
            feeds=await self.guild_feeds(guild_id),
            subscriptions=await self.subscriptions(guild_id),
            waiting=waiting,
        )

    # --- the poller's view of subscriptions ----------------------------------------------------

    async def subscription(self, subscription_id: int) -> Subscription | None:
        """One subscription by id, whatever its server (for the poller)."""
        found = await _subscriptions_where(self.archive.reader, "s.id = ?", subscription_id)
        return found[0] if found else None

    async def mark_broken(self, subscription_id: int, reason: str, *, now: float) -> None:
        """Stop announcing in this channel until someone subscribes again; keep what waits."""
        async with self.archive.transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET broken_at = ?, broken_reason = ? WHERE id = ?",
                (int(now), reason, subscription_id),
            )

    # --- the outbox ----------------------------------------------------------------------------

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
        async with self.archive.transaction() as db:
            before = db.total_changes
            await db.executemany(
                """
                INSERT OR IGNORE INTO outbox
                    (subscription_id, post_id, state, not_before, created_at)
                VALUES (?, ?, ?, ?, ?)
                """,
                [
                    (sub, post, str(state), not_before, int(now))
                    for sub, post, state, not_before in decisions
                ],
            )
            return db.total_changes - before

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
        async with self.archive.transaction() as db:
            async with db.execute(
                f"""
                SELECT {_OUTBOX_COLUMNS} FROM outbox AS o
                WHERE o.subscription_id = ? AND o.state = 'pending' AND o.not_before <= ?
                ORDER BY o.id
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


# --- helpers -------------------------------------------------------------------------------------


async def _take_baselines(
    db: aiosqlite.Connection, now: float, subscription_id: int | None = None
) -> int:
    """Inside a transaction: what the feed shows becomes seen for subscriptions still waiting."""
    where = "baseline_pending = 1 AND (? IS NULL OR id = ?) AND feed_id IN "
    where += "(SELECT id FROM feeds WHERE items_at IS NOT NULL)"
    async with db.execute(
        f"SELECT id, feed_id FROM subscriptions WHERE {where}", (subscription_id, subscription_id)
    ) as cursor:
        waiting = await cursor.fetchall()
    for sub_id, feed_id in waiting:
        await db.execute(
            """
            INSERT OR IGNORE INTO outbox (subscription_id, post_id, state, created_at)
            SELECT ?, post_id, 'baseline', ? FROM feed_items WHERE feed_id = ?
            """,
            (sub_id, int(now), feed_id),
        )
        await db.execute("UPDATE subscriptions SET baseline_pending = 0 WHERE id = ?", (sub_id,))
    if waiting:
        log.info("took the backlog baseline of %d subscription(s)", len(waiting))
    return len(waiting)


async def _feed_where(db: aiosqlite.Connection, condition: str, *params: Any) -> Feed:
    async with db.execute(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE {condition}", params) as cursor:
        return _feed(await cursor.fetchone())


async def _subscription_where(
    db: aiosqlite.Connection, condition: str, *params: Any
) -> Subscription:
    (found,) = await _subscriptions_where(db, condition, *params)
    return found


async def _subscriptions_where(
    db: aiosqlite.Connection, condition: str, *params: Any
) -> list[Subscription]:
    async with db.execute(
        f"""
        SELECT {_SUBSCRIPTION_COLUMNS}
        FROM subscriptions AS s JOIN feeds ON feeds.id = s.feed_id
        WHERE {condition}
        """,
        params,
    ) as cursor:
        return [_subscription(row) for row in await cursor.fetchall()]


async def _group(db: aiosqlite.Connection, nonce: str) -> Group:
    async with db.execute(
        f"SELECT {_OUTBOX_COLUMNS} FROM outbox AS o WHERE o.nonce = ? ORDER BY o.id", (nonce,)
    ) as cursor:
        return Group(nonce, tuple(_outbox_row(row) for row in await cursor.fetchall()))


def _feed(row: Sequence[Any]) -> Feed:
    (id_, url, title, etag, last_modified, last_poll, last_status, last_success, polls) = row[:9]
    (not_modified, failures, next_poll, retry_until, paused_at, last_error, items_at) = row[9:]
    return Feed(
        id=id_,
        url=url,
        title=title,
        etag=etag,
        last_modified=last_modified,
        last_poll=from_timestamp(last_poll),
        last_status=last_status,
        last_success=from_timestamp(last_success),
        polls=polls,
        not_modified=not_modified,
        consecutive_failures=failures,
        next_poll=from_timestamp(next_poll) if next_poll else None,
        retry_after_until=from_timestamp(retry_until),
        paused_at=from_timestamp(paused_at),
        last_error=last_error,
        items_at=from_timestamp(items_at),
    )


def _subscription(row: Sequence[Any]) -> Subscription:
    (id_, guild, channel, feed_id, url, title, role, keywords, baseline, broken_at) = row[:10]
    reason, created_at = row[10:]
    return Subscription(
        id=id_,
        guild_id=guild,
        channel_id=channel,
        feed_id=feed_id,
        feed_url=url,
        feed_title=title,
        role_id=role,
        keywords=_split_keywords(keywords),
        baseline_pending=bool(baseline),
        broken_at=from_timestamp(broken_at),
        broken_reason=reason,
        created_at=from_timestamp(created_at),
    )


def _outbox_row(row: Sequence[Any]) -> OutboxRow:
    id_, sub, post, notice, state, nonce, attempts, message_id, error, not_before = row
    return OutboxRow(
        id_, sub, post, notice, OutboxState(state), nonce, attempts, message_id, error, not_before
    )


def _split_keywords(text: str) -> tuple[str, ...]:
    return tuple(line for line in text.split("\n") if line)
