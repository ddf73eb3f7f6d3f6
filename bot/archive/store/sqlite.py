"""The SQLite archive: one file, one writer connection and one reader connection.

Transactions are `BEGIN IMMEDIATE`, so a second process waits instead of failing; in WAL mode the
reader sees the last committed state, never half of an ingest. Reading posts (posts.py) and the
search primitives (queries.py) are mixed in; ingesting is ingest.py's.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path

import aiosqlite

from ..models import (
    SourceDocument,
    from_timestamp,
    to_timestamp,
)
from . import vocabulary
from .connection import TextIndex
from .files import is_database_url, make_folder, publish, remove_database
from .fts import FtsIndex
from .ingest import INGEST_BATCH, Ingestion, in_batches
from .leader import Leadership, SoleLeadership
from .posts import PostReads
from .queries import SearchQueries
from .records import ArchiveError, IngestReport, SyncStatus
from .schema import READER_CACHE_KB, WRITER_CACHE_KB, Journal, connect, migrate

log = logging.getLogger(__name__)


class Archive(PostReads, SearchQueries):
    """An open archive database."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, *, journal: Journal = "WAL") -> Archive:
        """Open (creating if needed) the archive at `path` and bring its schema up to date; a
        postgresql:// URL opens the archive in that database (postgres/archive.py)."""
        if is_database_url(path):
            from .postgres.archive import PostgresArchive

            return await PostgresArchive.connect(str(path))
        path = Path(path)
        make_folder(path)
        writer = await connect(path, journal)
        try:
            await writer.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KB}")  # bulk ingests
            await migrate(writer, path)
            await vocabulary.prepare(writer)
            reader = await connect(path, journal)
            await reader.execute(f"PRAGMA cache_size = -{READER_CACHE_KB}")  # hot index pages
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    @classmethod
    @contextlib.asynccontextmanager
    async def building(cls, path: Path | str) -> AsyncIterator[Archive]:
        """A new archive for a first, large import: built beside `path` and moved there when the
        block ends without an error. On an error it is deleted; if `path` appeared meanwhile (a bot
        started on it), it is kept beside it and the ArchiveError says where.

        Nobody can read it while it is built, so it needs no write-ahead log: each page is written
        once instead of once to the log and again at the checkpoint (at 1M paragraphs, 3 s of 25).
        Opened again later, it is an ordinary WAL archive.
        """
        if is_database_url(path):
            from .postgres.archive import PostgresArchive

            async with PostgresArchive.building(str(path)) as archive:
                yield archive
            return
        path = Path(path)
        if path.exists():
            raise ArchiveError(f"{path}: already exists")
        staging = path.with_name(path.name + ".building")
        make_folder(path)
        remove_database(staging)  # left by an import that was killed
        archive = await cls.open(staging, journal="MEMORY")
        try:
            yield archive
        except BaseException:
            await archive.close()
            remove_database(staging)
            raise
        await archive.close()
        if not publish(staging, path):
            raise ArchiveError(
                f"{path} was created while the import ran, so the import is kept as {staging}: "
                f"stop whatever uses {path} and move {staging.name} in its place"
            )
        remove_database(staging)  # the archive lives on under its real name

    async def close(self) -> None:
        """Close both connections; safe to call twice."""
        for connection in (self._reader, self._writer):
            with contextlib.suppress(ValueError):  # already closed
                await connection.close()

    async def __aenter__(self) -> Archive:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer connection inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error).

        One writer at a time in this process (a lock) and across processes (SQLite's write lock,
        waited for up to busy_timeout).
        """
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                await self._writer.execute("COMMIT")
            except BaseException:
                if self._writer.in_transaction:
                    await self._writer.execute("ROLLBACK")
                raise

    async def size_bytes(self) -> int:
        """The file's size with its write-ahead log."""
        files = (self.path, Path(f"{self.path}-wal"))
        return sum(file.stat().st_size for file in files if file.exists())

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """The reader inside one read transaction: every statement sees the same committed state
        (a copy reads table after table while a bot may be writing)."""
        await self._reader.execute("BEGIN")
        try:
            yield self._reader
        finally:
            await self._reader.execute("COMMIT")

    async def ids_copied(self, db: aiosqlite.Connection, tables: Sequence[str]) -> None:
        """Rows came in with their ids (a copy): on SQLite the next id follows by itself."""

    @contextlib.asynccontextmanager
    async def claiming(self) -> AsyncIterator[aiosqlite.Connection]:
        """A transaction for claiming outbox rows (on SQLite, any write transaction)."""
        async with self.transaction() as db:
            yield db

    # What a claim's SELECT appends to lock its rows (PostgreSQL: FOR UPDATE SKIP LOCKED).
    skip_locked = ""

    def text_index(self) -> TextIndex:
        """How an ingest keeps this backend's full-text index and vocabulary (one per ingest)."""
        return FtsIndex()

    def leadership(self) -> Leadership:
        """Whether this process runs the background duties (leader.py): on SQLite, always (the
        run lock keeps a second process away)."""
        return SoleLeadership()

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read-only connection: sees the last committed state, never an open transaction."""
        return self._reader

    async def ingest(
        self,
        document: SourceDocument,
        *,
        progress: Callable[[int], None] | None = None,
        cursor: str | None = None,
    ) -> IngestReport:
        """Add or update the document's posts, all or nothing.

        A post already in the archive (same guid, same URL, or same title published within a day)
        is merged into the existing row rather than added twice. `cursor` (a resumable source's
        position after this document) is stored in the same transaction: a page and the cursor
        past it are committed together or not at all.
        """
        started = time.perf_counter()
        report = IngestReport(document.location)
        batches = in_batches(document.posts, INGEST_BATCH)
        async with self.transaction() as db:
            run = await Ingestion.begin(db, self.text_index(), document, report)
            # Batch by batch, so that a large file is read as it is written, never whole.
            try:
                for batch in batches:
                    await run.ingest_batch(batch)
                    if progress is not None:
                        progress(len(batch))
            finally:
                await run.index.settled()
            if run.text_changed:
                await run.index.finish(db, rebuild=run.rebuild_vocabulary)
            if cursor is not None:
                await db.execute(
                    "UPDATE sources SET cursor = ? WHERE id = ?", (cursor, run.source_id)
                )
        report.warnings[:0] = document.warnings  # complete now that every post has been read
        report.seconds = time.perf_counter() - started
        log.info(
            "ingested %s: %d new, %d updated, %d unchanged, %d paragraphs in %.2fs",
            document.location,
            report.new,
            report.updated,
            report.unchanged,
            report.paragraphs,
            report.seconds,
        )
        return report

    async def source_cursor(self, location: str) -> str | None:
        """The cursor a resumable source stored with its last committed page, if any."""
        async with self._reader.execute(
            "SELECT cursor FROM sources WHERE location = ?", (location,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else row[0]

    async def sync_status(self, location: str) -> SyncStatus | None:
        """How the last run of a resumable source went; None if it never ran."""
        async with self._reader.execute(
            "SELECT sync_started, sync_finished, sync_outcome, sync_message FROM sources"
            " WHERE location = ? AND sync_started IS NOT NULL",
            (location,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        started, finished, outcome, message = row
        return SyncStatus(from_timestamp(started), from_timestamp(finished), outcome, message)

    async def record_sync(
        self,
        location: str,
        kind: str,
        *,
        started: datetime,
        finished: datetime | None = None,
        outcome: str | None = None,
        message: str | None = None,
    ) -> None:
        """Note that a run of a resumable source began (no `finished`) or how it ended."""
        async with self.transaction() as db:
            await db.execute(
                """
                INSERT INTO sources (location, kind, sync_started, sync_finished, sync_outcome,
                                     sync_message)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (location) DO UPDATE SET
                    sync_started = excluded.sync_started,
                    sync_finished = excluded.sync_finished,
                    sync_outcome = excluded.sync_outcome,
                    sync_message = excluded.sync_message
                """,
                (
                    location,
                    kind,
                    to_timestamp(started),
                    to_timestamp(finished),
                    outcome,
                    message,
                ),
            )

    async def index_problems(self) -> list[str]:
        """What is wrong with the full-text index and the vocabulary, if anything: FTS5's own
        integrity check, and the vocabulary table against a recount (slow: for tests and checks)."""
        problems = []
        async with self.transaction() as db:
            for table in ("paragraphs_fts", "posts_fts"):
                try:
                    await db.execute(
                        f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)"
                    )
                except aiosqlite.DatabaseError as exc:
                    problems.append(f"{table}: {exc}")
            stored = await db.execute_fetchall("SELECT term, paragraphs, titles FROM vocabulary")
            recounted = await db.execute_fetchall(vocabulary.RECOUNT)
        if {tuple(row) for row in stored} != {tuple(row) for row in recounted}:
            problems.append("the vocabulary table differs from a recount of the index")
        return problems

    async def data_version(self) -> int:
        """A number that changes whenever any connection commits a change (for cache checks)."""
        async with self._reader.execute("PRAGMA data_version") as cursor:
            return (await cursor.fetchone())[0]

    async def is_empty(self) -> bool:
        """True when no post has been ingested yet."""
        async with self._reader.execute("SELECT NOT EXISTS (SELECT 1 FROM posts)") as cursor:
            return bool((await cursor.fetchone())[0])
