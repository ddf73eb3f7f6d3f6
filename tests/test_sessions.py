"""Search sessions in their own SQLite file: stored, recalled, expired, pruned."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.archive.store import Archive
from bot.services.sessions import SessionStore, sessions_location


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(archive_location):
    sessions = await SessionStore.open(sessions_location(archive_location))
    yield sessions
    await sessions.close()


def test_the_file_sits_beside_a_sqlite_archive_and_in_a_postgresql_one():
    assert sessions_location(Path("data/archive.db")) == Path("data/archive-sessions.db")
    url = "postgresql://bot@db.example/archive"
    assert sessions_location(url) == url


async def test_a_session_is_recalled_with_its_filters(store):
    after = datetime(2026, 6, 4, tzinfo=UTC)
    sid = await store.remember(42, "activation oracles", "Zvi", after, None)
    session = await store.recall(sid)
    assert (session.user_id, session.query, session.author) == (42, "activation oracles", "Zvi")
    assert session.after == after and session.before is None
    assert await store.recall(sid + 1) is None


async def test_ids_are_random_not_sequential(store):
    ids = [await store.remember(1, f"q{i}") for i in range(5)]
    assert len(set(ids)) == 5
    assert sorted(ids) != list(range(min(ids), min(ids) + 5))


async def test_sessions_expire_and_are_pruned(store):
    store.clock = clock = Clock()
    old = await store.remember(1, "old")
    clock.now += 20 * 86400
    fresh = await store.remember(1, "fresh")
    clock.now += 11 * 86400  # old is 31 days old, fresh 11
    assert await store.recall(old) is None
    assert (await store.recall(fresh)).query == "fresh"
    assert await store.prune() == 1
    assert await store.prune() == 0


async def test_sessions_survive_reopening(archive_location):
    path = sessions_location(archive_location)
    first = await SessionStore.open(path)
    sid = await first.remember(7, "kept")
    await first.close()
    second = await SessionStore.open(path)
    assert (await second.recall(sid)).query == "kept"
    await second.close()


async def test_a_sqlite_archive_file_is_left_alone_by_sessions(tmp_path):
    # The searcher rebuilds its in-memory lists when the archive file changes; sessions must not
    # make it do that on every search.
    archive = await Archive.open(tmp_path / "archive.db")
    store = await SessionStore.open(sessions_location(archive.path))
    before = await archive.data_version()
    await store.remember(1, "a query")
    assert await archive.data_version() == before
    await store.close()
    await archive.close()
