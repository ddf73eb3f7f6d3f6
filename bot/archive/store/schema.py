"""Opening a SQLite archive file: connection settings, and bringing its schema up to date.

The schema itself is migrations.py, one numbered script per version (PRAGMA user_version).

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Literal

import aiosqlite

from .migrations import MIGRATIONS
from .records import ArchiveError

log = logging.getLogger(__name__)


WRITER_CACHE_KB = 64 * 1024  # the writer's page cache: index B-trees stay in memory while ingesting


READER_CACHE_KB = 48 * 1024  # the reader's: the index pages searches keep touching


Journal = Literal["WAL", "MEMORY"]  # MEMORY only while no other connection can see the file


async def connect(path: Path, journal: Journal = "WAL") -> aiosqlite.Connection:
    try:
        db = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:  # a folder, a file we may not read
        raise ArchiveError(f"{path}: cannot open ({exc})") from None
    db.row_factory = aiosqlite.Row
    try:
        await db.execute("PRAGMA busy_timeout = 10000")
        await db.execute(f"PRAGMA journal_mode = {journal}")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
    except aiosqlite.DatabaseError as exc:
        await db.close()
        raise ArchiveError(f"{path}: not an archive database ({exc})") from None
    return db


async def migrate(db: aiosqlite.Connection, path: Path) -> None:
    """Apply pending migrations, each atomically with its version bump."""
    async with db.execute("PRAGMA user_version") as cursor:
        (version,) = await cursor.fetchone()
    if version > len(MIGRATIONS):
        raise ArchiveError(
            f"{path}: schema version {version} is newer than this archive-bot knows "
            f"({len(MIGRATIONS)}); upgrade archive-bot"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        log.info("migrating %s to schema version %d", path, number)
        await db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {number:d}")
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ArchiveError(f"incomplete SQL statement in migration: {pending.strip()[:80]!r}")
    return statements
