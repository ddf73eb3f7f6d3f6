"""Search sessions: what a Discord search asked, kept so its buttons outlive a restart.

A button's `custom_id` has room for 100 characters, not for a query of 2,000, so it carries a
session id and the query lives here. Sessions older than `SESSION_DAYS` are pruned; their buttons
then say the search expired.

Beside a SQLite archive they live in a small SQLite file of their own (`archive.db` ->
`archive-sessions.db`), not in the archive: every search writes one, and a write to the archive
file would make the searcher check its in-memory title and word lists (it watches
`PRAGMA data_version`). Nor does a long ingest holding the archive's write lock then hold up
searches. With a PostgreSQL archive they are a table of the same database (every bot process
must see every session: a button may be pressed on any shard), written without the archive's
write lock.

May import: bot.archive, bot.feeds, bot.services; never discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite
import asyncpg

from ..archive.models import from_timestamp, to_timestamp
from ..archive.store import Location, is_database_url
from ..archive.store.connection import Connection
from ..archive.store.postgres.connection import PooledReader, connect_pool, redacted
from ..archive.store.postgres.schema import migrate

log = logging.getLogger(__name__)

SESSION_DAYS = 30
POOL_SIZE = 2  # connections to a PostgreSQL archive's database, beside the archive's own
DUPLICATE = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)
MAX_ID = 2**53  # random ids below this; JSON-safe and well within SQLite's 64-bit integers
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS search_sessions (
    id INTEGER PRIMARY KEY,             -- random: a button's custom_id holds it, unguessable
    user_id INTEGER NOT NULL,           -- the Discord user who searched; only they may page
    query TEXT NOT NULL,
    author TEXT,
    after INTEGER,                      -- unix seconds, UTC
    before INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS search_sessions_created_at ON search_sessions(created_at);
"""


def sessions_location(archive: Location) -> Location:
    """Where the sessions of an archive are kept: a file beside a SQLite archive, or the same
    PostgreSQL database."""
    if is_database_url(archive):
        return archive
    archive = Path(archive)
    return archive.with_name(f"{archive.stem}-sessions.db")


@dataclass(frozen=True, slots=True)
class SearchSession:
    """One search someone ran: who, and with which query and filters."""

    id: int
    user_id: int
    query: str
    author: str | None
    after: datetime | None
    before: datetime | None
    created_at: datetime


class SessionStore:
    """Search sessions (table `search_sessions`) in their own SQLite file or the PostgreSQL
    archive's database."""

    def __init__(
        self,
        db: Connection,
        path: Location,
        *,
        days: int = SESSION_DAYS,
        clock: Callable[[], float] = time.time,
    ):
        self.db = db
        self.path = path
        self.max_age = days * 24 * 3600
        self.clock = clock
        self._write = asyncio.Lock()

    @classmethod
    async def open(cls, path: Location, **options) -> SessionStore:
        """Open (creating if needed) the sessions file at `path`, or the table in a database."""
        if is_database_url(path):
            pool = await connect_pool(path, POOL_SIZE)
            try:
                async with pool.acquire() as connection:
                    await migrate(connection, redacted(path))  # the archive's: it has the table
            except BaseException:
                await pool.close()
                raise
            return cls(PooledReader(pool), redacted(path), **options)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute("PRAGMA busy_timeout = 10000")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            async with db.execute("PRAGMA user_version") as cursor:
                (version,) = await cursor.fetchone()
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{path}: sessions schema {version} is newer than this bot")
            await db.executescript(SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION:d};")
        except BaseException:
            await db.close()
            raise
        return cls(db, path, **options)

    async def close(self) -> None:
        """Close the file or the connections; safe to call twice."""
        with contextlib.suppress(ValueError):
            await self.db.close()

    async def remember(
        self,
        user_id: int,
        query: str,
        author: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
    ) -> int:
        """Store a search and return its new, random id."""
        row = (user_id, query, author, to_timestamp(after), to_timestamp(before), int(self.clock()))
        async with self._write:
            for _ in range(5):
                session_id = secrets.randbelow(MAX_ID - 1) + 1
                try:
                    await self.db.execute(
                        "INSERT INTO search_sessions "
                        "(id, user_id, query, author, after, before, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (session_id, *row),
                    )
                except DUPLICATE:  # the id was taken: one in billions, draw again
                    continue
                return session_id
        raise RuntimeError("could not allocate a search session id")

    async def recall(self, session_id: int) -> SearchSession | None:
        """The session with this id, or None if it never existed or has expired."""
        async with self.db.execute(
            "SELECT id, user_id, query, author, after, before, created_at "
            "FROM search_sessions WHERE id = ? AND created_at >= ?",
            (session_id, int(self.clock()) - self.max_age),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return SearchSession(
            id=row[0],
            user_id=row[1],
            query=row[2],
            author=row[3],
            after=from_timestamp(row[4]),
            before=from_timestamp(row[5]),
            created_at=from_timestamp(row[6]),
        )

    async def prune(self) -> int:
        """Delete expired sessions; returns how many went."""
        async with self._write:
            cursor = await self.db.execute(
                "DELETE FROM search_sessions WHERE created_at < ?",
                (int(self.clock()) - self.max_age,),
            )
            removed = cursor.rowcount
        if removed:
            log.info("pruned %d expired search sessions", removed)
        return removed
