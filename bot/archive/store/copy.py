"""Copying a whole archive into another, SQLite to PostgreSQL or back (`archive-bot copy`).

Every table the bot keeps moves row for row, ids included, so the outbox still points at its
subscriptions and posts and announcements stay exactly once across the move: sources and their
cursors, posts with their tags and sources, paragraphs, feeds and their items, subscriptions, the
outbox. The destination's own text index is built as the rows arrive (FTS5 on SQLite, tsvectors on
PostgreSQL) and its vocabulary rebuilt at the end. Search sessions (the "more" buttons of searches
made in the last hours) are not copied: they expire, and an expired button says so.

The source is read in one snapshot, table by table in batches in key order; the destination is
written in one transaction, so an interrupted copy leaves it as empty as it was. A destination
holding anything already is refused: a copy never merges.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .connection import Connection
from .records import ArchiveError
from .sqlite import Archive

log = logging.getLogger(__name__)

COPY_BATCH = 2000  # rows read and written per round trip


@dataclass(frozen=True)
class Table:
    """A table as the copy moves it: its portable columns and the key it is read in order of."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...] = ("id",)


# In an order that keeps every foreign key satisfied. paragraphs go through the text index.
TABLES = (
    Table(
        "sources",
        (
            "id", "location", "kind", "title", "last_ingested_at", "cursor", "sync_started",
            "sync_finished", "sync_outcome", "sync_message",
        ),
    ),
    Table(
        "posts",
        (
            "id", "guid", "url", "title", "title_key", "author", "published", "authority",
            "body_hash", "first_seen", "updated_at", "coauthors", "karma", "comments", "af",
            "link_url",
        ),
    ),
    Table("post_sources", ("post_id", "source_id"), key=("post_id", "source_id")),
    Table("post_tags", ("post_id", "tag"), key=("post_id", "tag")),
    Table("paragraphs", ("id", "post_id", "position", "text")),
    Table(
        "feeds",
        (
            "id", "url", "title", "etag", "last_modified", "last_poll", "last_status",
            "last_success", "polls", "not_modified", "consecutive_failures", "next_poll",
            "retry_after_until", "paused_at", "last_error", "items_at", "created_at",
        ),
    ),
    Table("feed_items", ("feed_id", "post_id", "position"), key=("feed_id", "post_id")),
    Table(
        "subscriptions",
        (
            "id", "guild_id", "channel_id", "feed_id", "role_id", "keywords", "baseline_pending",
            "broken_at", "broken_reason", "created_at",
        ),
    ),
    Table(
        "outbox",
        (
            "id", "subscription_id", "post_id", "notice_key", "notice", "state", "nonce",
            "attempts", "message_id", "error", "not_before", "created_at", "sent_at",
        ),
    ),
)  # fmt: skip

# Any row in one of these and the destination is not empty (every other table hangs off them).
_OWNERS = ("sources", "posts", "feeds")

Progress = Callable[[str, int, int], None]  # (table, rows copied so far, rows in all)


@dataclass
class CopyReport:
    """Rows copied per table, in the order copied."""

    rows: dict[str, int]
    seconds: float = 0.0


async def copy_archive(
    source: Archive, destination: Archive, *, progress: Progress | None = None
) -> CopyReport:
    """Copy everything `source` holds into `destination`, which must hold nothing yet."""
    started = time.perf_counter()
    copied: dict[str, int] = {}
    async with source.snapshot() as reading, destination.transaction() as writing:
        if held := await _holding(writing):
            raise ArchiveError(
                f"{destination.path} is not empty: it already holds {held}; copy into a new or "
                "empty archive"
            )
        index = destination.text_index()
        for table in TABLES:
            total = await _count(reading, table.name)
            done = 0
            if progress is not None:
                progress(table.name, done, total)
            async for rows in _batches(reading, table):
                if table.name == "paragraphs":
                    await index.write_paragraphs(writing, rows, record=False)
                    await index.settled()
                else:
                    await _insert(writing, table, rows)
                if table.name == "posts":
                    title, author = table.columns.index("title"), table.columns.index("author")
                    await index.titles_changed(
                        writing, [(row[0], row[title], row[author]) for row in rows], record=False
                    )
                done += len(rows)
                if progress is not None:
                    progress(table.name, done, total)
            copied[table.name] = done
        await index.finish(writing, rebuild=True)
        await destination.ids_copied(writing, [t.name for t in TABLES if t.key == ("id",)])
    report = CopyReport(copied, time.perf_counter() - started)
    log.info(
        "copied %s into %s: %s in %.1fs",
        source.path,
        destination.path,
        ", ".join(f"{count} {name}" for name, count in copied.items()),
        report.seconds,
    )
    return report


async def _holding(db: Connection) -> str | None:
    """What makes an archive non-empty, in words; None if it holds nothing."""
    for table in _OWNERS:
        count = await _count(db, table)
        if count:
            return f"{table} ({count:,})"
    return None


async def _count(db: Connection, table: str) -> int:
    async with db.execute(f"SELECT count(*) FROM {table}") as cursor:
        return (await cursor.fetchone())[0]


async def _batches(db: Connection, table: Table) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The table's rows in key order, COPY_BATCH at a time (keyset paging: each batch starts
    after the last key of the one before, so no batch rereads the table from its start)."""
    columns, key = ", ".join(table.columns), ", ".join(table.key)
    first = f"SELECT {columns} FROM {table.name} ORDER BY {key} LIMIT ?"
    placeholders = ", ".join("?" * len(table.key))
    after = (
        f"SELECT {columns} FROM {table.name} WHERE ({key}) > ({placeholders}) "
        f"ORDER BY {key} LIMIT ?"
    )
    positions = [table.columns.index(column) for column in table.key]
    last: tuple[Any, ...] | None = None
    while True:
        sql, params = (first, ()) if last is None else (after, last)
        async with db.execute(sql, (*params, COPY_BATCH)) as cursor:
            rows = [tuple(row) for row in await cursor.fetchall()]
        if not rows:
            return
        yield rows
        if len(rows) < COPY_BATCH:
            return
        last = tuple(rows[-1][position] for position in positions)


async def _insert(db: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    await db.executemany(
        f"INSERT INTO {table.name} ({', '.join(table.columns)}) "
        f"VALUES ({', '.join('?' * len(table.columns))})",
        rows,
    )
