"""The feed store on a real archive (a SQLite file, a PostgreSQL database): migration, subscriptions, servers kept apart."""

from __future__ import annotations

import asyncio

import pytest

from bot.archive.store import Archive
from bot.archive.store.migrations import MIGRATIONS
from bot.archive.store.postgres.archive import PostgresArchive
from bot.archive.store.postgres.schema import MIGRATIONS as PG_MIGRATIONS
from bot.feeds.announcer import TransientError
from bot.feeds.store import FeedStore

from .lesswrong import item, newest

LW = "https://www.lesswrong.com/feed.xml"


@pytest.fixture
async def store(archive: Archive) -> FeedStore:
    return FeedStore(archive)


async def test_the_migration_creates_the_tables_in_the_archive(archive):
    if isinstance(archive, PostgresArchive):
        version_sql, expected = "SELECT max(version) FROM schema_version", len(PG_MIGRATIONS)
        tables_sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        version_sql, expected = "PRAGMA user_version", len(MIGRATIONS)
        tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    async with archive.reader.execute(version_sql) as cursor:
        (version,) = await cursor.fetchone()
    assert version == expected
    async with archive.reader.execute(tables_sql) as cursor:
        tables = {row[0] for row in await cursor.fetchall()}
    assert {"feeds", "feed_items", "subscriptions", "outbox"} <= tables


async def test_subscribing_again_updates_role_and_keywords_in_place(store):
    first = await store.subscribe(1, 10, LW, role_id=5, keywords=("ai",), now=1000)
    again = await store.subscribe(1, 10, f"  {LW} ", role_id=None, keywords=(), now=2000)
    assert again.id == first.id
    assert (again.role_id, again.keywords) == (None, ())
    assert [s.id for s in await store.subscriptions(1)] == [first.id]
    assert again.created_at == first.created_at


async def test_a_server_sees_and_changes_only_its_own_subscriptions(store):
    ours = await store.subscribe(1, 10, LW, now=1000)
    theirs = await store.subscribe(2, 20, LW, role_id=7, now=1000)
    await store.subscribe(2, 21, "https://example.org/atom.xml", now=1000)

    assert [s.id for s in await store.subscriptions(1)] == [ours.id]
    assert [f.url for f in await store.guild_feeds(1)] == [LW]
    assert not await store.unsubscribe(1, theirs.id)  # another server's id: refused
    assert await store.unsubscribe_channel(1, 20) == 0  # another server's channel: nothing
    assert [s.id for s in await store.subscriptions(2)][:1] == [theirs.id]

    assert await store.unsubscribe(1, ours.id)
    assert await store.subscriptions(1) == []
    assert len(await store.subscriptions(2)) == 2
    assert await store.unsubscribe_channel(2, 21, "https://example.org/atom.xml") == 1
    assert [s.channel_id for s in await store.subscriptions(2)] == [20]


async def test_two_servers_following_one_feed_share_its_fetch_not_their_messages(rig):
    rig.publish(newest([item(1)]))
    await rig.subscribe(101, guild_id=1, role_id=11)
    await rig.subscribe(201, guild_id=2)
    await rig.round()
    rig.announcer.gone.add(101)  # server 1 deleted its channel
    rig.publish(newest([item(1), item(2)]))
    await rig.round()

    assert len(await rig.store.followed_feeds()) == 1
    assert rig.server.hits("feed.xml") == 2
    assert rig.announcer.posts(201) == ["Post number 2"]
    assert [m.announcement.role_id for m in rig.announcer.channels[201]] == [None]
    (mine,) = await rig.store.subscriptions(2)
    assert not mine.broken
    (broken,) = await rig.store.subscriptions(1)
    assert broken.broken


@pytest.mark.parametrize(
    "url, message",
    [("", "empty"), ("ftp://example.org/feed", r"not an http\(s\) URL"), ("lesswrong", "not an")],
)
async def test_bad_feed_urls_are_refused_with_a_reason(store, url, message):
    with pytest.raises(ValueError, match=message):
        await store.subscribe(1, 10, url, now=1000)
    assert await store.subscriptions(1) == []


async def test_status_shows_one_server_its_feeds_health_and_waiting_messages(rig):
    rig.publish(newest([item(1)]))
    rig.publish(newest([item(1)]), path="other.xml")
    await rig.subscribe(101, guild_id=1)
    await rig.subscribe(201, guild_id=2, path="other.xml")
    await rig.round()
    rig.announcer.faults[101].append(TransientError("503"))
    rig.publish(newest([item(1), item(2)]))
    await rig.round()

    status = await rig.store.guild_status(1)
    (feed,) = status.feeds
    assert feed.url == rig.url() and feed.last_status == 200 and feed.polls == 2
    assert feed.next_poll is not None and not feed.paused and feed.last_error is None
    (subscription,) = status.subscriptions
    assert status.waiting == {subscription.id: 1}
    other = await rig.store.guild_status(2)
    assert [f.url for f in other.feeds] == [rig.url("other.xml")]
    assert list(other.waiting.values()) == [0]


async def test_keywords_are_stored_folded_and_bad_ones_refused(store):
    subscription = await store.subscribe(1, 10, LW, keywords=("Naïve AI", "Oracles"), now=1000)
    assert subscription.keywords == ("naive ai", "oracles")
    with pytest.raises(ValueError, match="no letters or digits"):
        await store.subscribe(1, 11, LW, keywords=("!!!",), now=1000)
    assert len(await store.subscriptions(1)) == 1


async def test_two_announcers_claiming_at_once_never_claim_one_row_twice(
    archive, archive_location, shipped_dump
):
    from bot.archive.sources import read_source

    await archive.ingest(await read_source(str(shipped_dump)))
    store = FeedStore(archive)
    subscriptions = [(await store.subscribe(1, 10 + n, LW, now=0)).id for n in range(3)]
    async with archive.reader.execute("SELECT id FROM posts ORDER BY id") as cursor:
        posts = [row[0] for row in await cursor.fetchall()]
    await store.enqueue([(s, p, "pending", 0) for s in subscriptions for p in posts], now=0)
    other = await Archive.open(archive_location)  # a second process's connections

    async def announcer(store: FeedStore) -> list[tuple[str, int]]:
        claimed = []
        for subscription in subscriptions * len(posts):
            group = await store.claim_next(
                subscription, now=1, lease_until=1000, digest_after=10**6
            )
            if group is not None:
                claimed += [(group.nonce, row.id) for row in group.rows]
        return claimed

    try:
        first, second = await asyncio.gather(announcer(store), announcer(FeedStore(other)))
    finally:
        await other.close()
    rows = [row for _, row in first + second]
    assert len(rows) == len(set(rows)) == len(subscriptions) * len(posts)
