"""Subscriptions: which channel announces which feed, asked by a server (its guild_id in every
query) or by the poller (every guild).

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...archive.store import Archive
from ..models import (
    Feed,
    Subscription,
    normalize_feed_url,
    parse_keywords,
)
from .rows import (
    _FEED_COLUMNS,
    GuildStatus,
    _feed,
    _subscription_where,
    _subscriptions_where,
    _take_baselines,
)


class SubscriptionRecords:
    """A server's subscriptions (guild_id in every query), and the poller's view of them."""

    archive: Archive

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
            where, params = "guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            if feed_url is not None:
                where += " AND feed_id = (SELECT id FROM feeds WHERE url = ?)"
                params += (feed_url.strip(),)
            cursor = await db.execute(f"DELETE FROM subscriptions WHERE {where}", params)
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
