"""The archive on a PostgreSQL server, shared by any number of bot processes.

`Archive.open("postgresql://...")` returns one. It is the same Archive (ingest, merging, posts,
feeds and outbox SQL are shared with SQLite); what differs is here: a pool of asyncpg connections
instead of one file, transactions that take turns on an advisory lock as SQLite's writers take
turns on the file (an ingest allocates post and paragraph ids, which needs one writer at a time),
tsvector search (search.py) and its text index (index.py).

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

import asyncpg

from ...query import words_of
from ..connection import TextIndex
from ..leader import Leadership
from ..records import ArchiveError
from ..sqlite import Archive
from .connection import Connection, PooledReader, connect_pool, redacted
from .index import RECOUNT, TsvIndex, lexemes
from .leader import AdvisoryLeadership
from .schema import migrate
from .search import PostgresSearch

log = logging.getLogger(__name__)

WRITE_LOCK = 0x41524348_0002  # pg_advisory_xact_lock key of every write transaction
POOL_SIZE = 10


class PostgresArchive(PostgresSearch, Archive):
    """An open archive in a PostgreSQL database."""

    def __init__(self, url: str, pool: asyncpg.Pool):
        self.url = url
        self.path = redacted(url)  # what messages and stats show
        self._pool = pool
        self._reader = PooledReader(pool)  # type: ignore[assignment]

    @classmethod
    async def connect(cls, url: str) -> PostgresArchive:
        """Connect to the database at `url` and bring its schema up to date."""
        pool = await connect_pool(url, POOL_SIZE)
        try:
            async with pool.acquire() as connection:
                await migrate(connection, redacted(url))
        except BaseException:
            await pool.close()
            raise
        return cls(url, pool)

    @classmethod
    @contextlib.asynccontextmanager
    async def building(cls, url: str) -> AsyncIterator[PostgresArchive]:  # type: ignore[override]
        """A first, large import: into the database itself, which must hold no posts yet (a
        server's database is not a file to build aside and move)."""
        archive = await cls.connect(url)
        try:
            if not await archive.is_empty():
                raise ArchiveError(f"{archive.path}: already holds posts")
            yield archive
        finally:
            await archive.close()

    async def close(self) -> None:
        await self._pool.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:  # type: ignore[override]
        """A connection inside BEGIN ... COMMIT (ROLLBACK on any error), one writer at a time
        across every process sharing the database."""
        async with self._pool.acquire() as raw, raw.transaction():
            await raw.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield Connection(raw)

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Connection]:  # type: ignore[override]
        """One connection in a read-only REPEATABLE READ transaction: every statement sees the
        same committed state."""
        async with (
            self._pool.acquire() as raw,
            raw.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield Connection(raw)

    async def ids_copied(self, db: Connection, tables: Sequence[str]) -> None:  # type: ignore[override]
        """Rows came in with their ids (a copy): move each identity column's sequence past them,
        or the next row added would collide."""
        for table in tables:
            await db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )

    @contextlib.asynccontextmanager
    async def claiming(self) -> AsyncIterator[Connection]:
        """A transaction for claiming outbox rows: no write lock, rows locked one by one (the
        claim selects them FOR UPDATE SKIP LOCKED), so several announcers claim side by side."""
        async with self._pool.acquire() as raw, raw.transaction():
            yield Connection(raw)

    skip_locked = " FOR UPDATE SKIP LOCKED"

    def leadership(self) -> Leadership:  # type: ignore[override]
        """An election among the processes sharing this database (leader.py)."""
        return AdvisoryLeadership(self.url)

    def text_index(self) -> TextIndex:
        return TsvIndex()

    async def index_problems(self) -> list[str]:
        """What is wrong with the tsvectors and the vocabulary, if anything: each paragraph's and
        post's words against a recount, the vocabulary table against a recount (slow)."""
        problems = []
        async with self.transaction() as db:
            for table, text, words in (
                ("paragraphs", "text", "words"),
                ("posts", "title || ' ' || coalesce(author, '')", "NULL"),
            ):
                rows = await (
                    await db.execute(
                        f"SELECT id, {text}, tsvector_to_array(tsv), {words} FROM {table}"
                    )
                ).fetchall()
                stale = [
                    row[0]
                    for row in rows
                    if set(row[2]) != set(lexemes(row[1]))
                    or row[3] not in (None, len(words_of(row[1])))
                ]
                if stale:
                    problems.append(f"{table} whose tsvector is stale: {stale[:10]}")
            stored = await (
                await db.execute("SELECT term, paragraphs, titles FROM vocabulary")
            ).fetchall()
            recounted = await (await db.execute(RECOUNT)).fetchall()
            if {tuple(row) for row in stored} != {tuple(row) for row in recounted}:
                problems.append("the vocabulary table differs from a recount of the index")
            corpus = await (
                await db.execute(
                    "SELECT (SELECT paragraphs FROM corpus) = count(*),"
                    " (SELECT words FROM corpus) = coalesce(sum(words), 0) FROM paragraphs"
                )
            ).fetchone()
            if not all(corpus):
                problems.append("the corpus totals differ from a recount")
        return problems

    async def data_version(self) -> int:
        """Moves whenever the server writes anything (its write-ahead log position)."""
        async with self._reader.execute(
            "SELECT CAST(pg_current_wal_lsn() - CAST('0/0' AS pg_lsn) AS bigint)"
        ) as cursor:
            return (await cursor.fetchone())[0]

    async def size_bytes(self) -> int:
        async with self._reader.execute("SELECT pg_database_size(current_database())") as cursor:
            return (await cursor.fetchone())[0]

    async def __aenter__(self) -> PostgresArchive:
        return self

    def __repr__(self) -> str:
        return f"<PostgresArchive {self.path}>"
