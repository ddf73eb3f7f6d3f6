"""The rows of the announcement tables: their columns, how a row becomes a Feed, Subscription or
OutboxRow, and the few queries the other modules of this package share.

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from ...archive.models import from_timestamp
from ..models import (
    Feed,
    Group,
    OutboxRow,
    OutboxState,
    Subscription,
)

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


async def _take_baselines(
    db: aiosqlite.Connection, now: float, subscription_id: int | None = None
) -> int:
    """Inside a transaction: what the feed shows becomes seen for subscriptions still waiting."""
    where = "baseline_pending = 1 AND feed_id IN (SELECT id FROM feeds WHERE items_at IS NOT NULL)"
    params: tuple[int, ...] = ()
    if subscription_id is not None:
        where, params = f"{where} AND id = ?", (subscription_id,)
    async with db.execute(f"SELECT id, feed_id FROM subscriptions WHERE {where}", params) as cursor:
        waiting = await cursor.fetchall()
    for sub_id, feed_id in waiting:
        await db.execute(
            """
            INSERT INTO outbox (subscription_id, post_id, state, created_at)
            SELECT ?, post_id, 'baseline', ? FROM feed_items WHERE feed_id = ?
            ON CONFLICT DO NOTHING
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
