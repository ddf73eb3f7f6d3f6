"""Search sessions in the archive file: stored, recalled, expired, pruned."""

from datetime import UTC, datetime

from bot.archive.store import Archive
from bot.sessions import SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_session_is_recalled_with_its_filters(archive):
    store = SessionStore(archive)
    after = datetime(2026, 6, 4, tzinfo=UTC)
    sid = await store.remember(42, "activation oracles", "Zvi", after, None)
    session = await store.recall(sid)
    assert (session.user_id, session.query, session.author) == (42, "activation oracles", "Zvi")
    assert session.after == after and session.before is None
    assert await store.recall(sid + 1) is None


async def test_ids_are_random_not_sequential(archive):
    store = SessionStore(archive)
    ids = [await store.remember(1, f"q{i}") for i in range(5)]
    assert len(set(ids)) == 5
    assert sorted(ids) != list(range(min(ids), min(ids) + 5))


async def test_sessions_expire_and_are_pruned(archive):
    clock = Clock()
    store = SessionStore(archive, days=30, clock=clock)
    old = await store.remember(1, "old")
    clock.now += 20 * 86400
    fresh = await store.remember(1, "fresh")
    clock.now += 11 * 86400  # old is 31 days old, fresh 11
    assert await store.recall(old) is None
    assert (await store.recall(fresh)).query == "fresh"
    assert await store.prune() == 1
    assert await store.prune() == 0


async def test_sessions_survive_reopening_the_file(tmp_path):
    async with await Archive.open(tmp_path / "a.db") as archive:
        sid = await SessionStore(archive).remember(7, "kept")
    async with await Archive.open(tmp_path / "a.db") as archive:
        assert (await SessionStore(archive).recall(sid)).query == "kept"
