"""Copying a whole archive between backends (store/copy.py): every row, a working index, ids that
keep counting, a refused non-empty destination, an interrupted copy that leaves nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.archive.search import Searcher
from bot.archive.sources import read_source
from bot.archive.store import Archive, ArchiveError
from bot.archive.store import copy as copying
from bot.archive.store.copy import TABLES, copy_archive
from bot.feeds.store import FeedStore

from ..cli import archive_bot, cli_environment

LW = "https://www.lesswrong.com/feed.xml"
QUERIES = ("activation oracles", "alignmnet", "how many parameters", "Zvi")


@pytest.fixture(params=["sqlite->postgresql", "postgresql->sqlite", "sqlite->sqlite"])
def locations(request, tmp_path: Path) -> tuple[Path | str, Path | str]:
    """(source, destination) of a copy, for each direction."""

    def where(kind: str, name: str) -> Path | str:
        return (
            tmp_path / f"{name}.db" if kind == "sqlite" else request.getfixturevalue("postgres_url")
        )

    source, destination = request.param.split("->")
    return where(source, "source"), where(destination, "destination")


async def filled(location: Path | str, shipped_dump: Path) -> Archive:
    """An archive holding the shipped posts, a resumable source's cursor, two subscriptions and
    an outbox with a pending, a sent and a baseline row."""
    archive = await Archive.open(location)
    await archive.ingest(await read_source(str(shipped_dump)))
    await archive.record_sync("lesswrong", "forum", started=datetime(2026, 6, 4, tzinfo=UTC))
    store = FeedStore(archive)
    first = await store.subscribe(1, 10, LW, role_id=5, keywords=("ai",), now=1000)
    await store.subscribe(2, 20, LW, now=1000)
    posts = await post_ids(archive)
    await store.enqueue(
        [(first.id, posts[0], "pending", 0), (first.id, posts[1], "baseline", 0)], now=1000
    )
    group = await store.claim_next(first.id, now=2000, lease_until=2100)
    assert group is not None
    await store.mark_sent(group.nonce, 999, now=2001)
    await store.enqueue([(first.id, posts[2], "pending", 0)], now=3000)
    return archive


async def post_ids(archive: Archive) -> list[int]:
    async with archive.reader.execute("SELECT id FROM posts ORDER BY id") as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def rows_of(archive: Archive) -> dict[str, list[tuple]]:
    tables = {}
    for table in TABLES:
        key = ", ".join(table.key)
        async with archive.reader.execute(
            f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {key}"
        ) as cursor:
            tables[table.name] = [tuple(row) for row in await cursor.fetchall()]
    return tables


async def test_a_copy_holds_every_row_and_searches_as_the_source(
    locations, shipped_dump, monkeypatch
):
    monkeypatch.setattr(copying, "COPY_BATCH", 7)  # many batches, composite keys included
    source_location, destination_location = locations
    source = await filled(source_location, shipped_dump)
    destination = await Archive.open(destination_location)
    try:
        seen: dict[str, tuple[int, int]] = {}
        report = await copy_archive(
            source, destination, progress=lambda t, done, total: seen.__setitem__(t, (done, total))
        )
        expected = await rows_of(source)
        assert await rows_of(destination) == expected
        assert report.rows == {table: len(rows) for table, rows in expected.items()}
        assert all(done == total for done, total in seen.values())
        assert report.rows["paragraphs"] > 7 and report.rows["outbox"] == 3
        assert await destination.index_problems() == []
        stats, source_stats = await destination.stats(), await source.stats()
        assert (stats.posts, stats.paragraphs, stats.sources) == (
            source_stats.posts,
            source_stats.paragraphs,
            source_stats.sources,
        )
        for query in QUERIES:
            before = await Searcher(source).search(query, limit=5)
            after = await Searcher(destination).search(query, limit=5)
            assert [(h.post.id, h.paragraph) for h in after] == [
                (h.post.id, h.paragraph) for h in before
            ], query
        assert await destination.source_cursor("lesswrong") == await source.source_cursor(
            "lesswrong"
        )
    finally:
        await source.close()
        await destination.close()


async def test_the_copy_goes_on_counting_ids_where_the_source_stopped(
    locations, shipped_dump, fixture_path
):
    source_location, destination_location = locations
    source = await filled(source_location, shipped_dump)
    destination = await Archive.open(destination_location)
    try:
        await copy_archive(source, destination)
        store = FeedStore(destination)
        # New feeds, subscriptions and outbox rows take fresh ids (PostgreSQL's identity
        # sequences must have moved past the copied ones), and new posts too.
        added = await store.subscribe(3, 30, "https://example.org/atom.xml", now=5000)
        assert added.id == 3
        posts = await post_ids(destination)
        assert await store.enqueue([(added.id, posts[0], "pending", 0)], now=5000) == 1
        report = await destination.ingest(await read_source(str(fixture_path("atom-feed.xml"))))
        assert report.new >= 1
        assert min(report.post_ids) > max(posts)
        assert await destination.index_problems() == []
    finally:
        await source.close()
        await destination.close()


async def test_a_destination_holding_anything_is_refused_and_left_alone(
    archive_location, tmp_path, shipped_dump
):
    source = await filled(tmp_path / "source.db", shipped_dump)
    destination = await Archive.open(archive_location)
    try:
        await FeedStore(destination).subscribe(1, 10, LW, now=1000)  # a feed, no post
        before = await rows_of(destination)
        with pytest.raises(ArchiveError, match=r"not empty: it already holds feeds \(1\)"):
            await copy_archive(source, destination)
        assert await rows_of(destination) == before
    finally:
        await source.close()
        await destination.close()


async def test_an_interrupted_copy_leaves_the_destination_empty(
    archive_location, tmp_path, shipped_dump, monkeypatch
):
    monkeypatch.setattr(copying, "COPY_BATCH", 50)
    source = await filled(tmp_path / "source.db", shipped_dump)
    destination = await Archive.open(archive_location)

    def interrupt(table: str, done: int, total: int) -> None:
        if table == "paragraphs" and done >= 100:
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            await copy_archive(source, destination, progress=interrupt)
        assert await destination.is_empty()
        assert all(rows == [] for rows in (await rows_of(destination)).values())
        assert await destination.index_problems() == []
        await copy_archive(source, destination)  # and the copy can simply run again
        assert await rows_of(destination) == await rows_of(source)
    finally:
        await source.close()
        await destination.close()


async def test_the_command_copies_into_a_new_file_and_says_what_it_moved(tmp_path, shipped_dump):
    env = cli_environment(tmp_path)
    source = await filled(tmp_path / "source.db", shipped_dump)
    await source.close()
    status, out, err = await archive_bot(
        env, tmp_path, "copy", str(tmp_path / "source.db"), str(tmp_path / "new" / "copy.db")
    )
    assert status == 0, err
    assert f"into {tmp_path / 'new' / 'copy.db'}: " in out  # its real name, not the one aside
    assert "19 posts" in out and "3 outbox" in out
    assert "posts: 19 rows" in err  # progress, one line per table off a terminal
    status, out, _ = await archive_bot(
        env, tmp_path, "search", "activation oracles", "--db", str(tmp_path / "new" / "copy.db")
    )
    assert status == 0 and "Activation Oracles" in out

    status, _, err = await archive_bot(
        env, tmp_path, "copy", str(tmp_path / "source.db"), str(tmp_path / "new" / "copy.db")
    )
    assert status == 1 and "not empty" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("source", "destination", "message"),
    [
        ("missing.db", "copy.db", "missing.db: no archive there"),
        ("same.db", "same.db", "the same archive"),
    ],
)
async def test_the_command_refuses_what_it_cannot_copy(tmp_path, source, destination, message):
    (tmp_path / "same.db").touch()
    status, _, err = await archive_bot(
        cli_environment(tmp_path), tmp_path, "copy", source, destination
    )
    assert status == 2 and message in err
    assert not (tmp_path / "copy.db").exists()


async def test_the_command_refuses_a_file_a_running_bot_serves(tmp_path, shipped_dump):
    from bot.archive.store import run_lock

    source = await filled(tmp_path / "source.db", shipped_dump)
    await source.close()
    with run_lock(tmp_path / "source.db"):
        status, _, err = await archive_bot(
            cli_environment(tmp_path), tmp_path, "copy", "source.db", "copy.db"
        )
    assert status == 1 and "stop it, then copy" in err
    assert not (tmp_path / "copy.db").exists()
