"""Search sessions: what a Discord search asked, kept so its buttons outlive a restart.

A button's `custom_id` has room for 100 characters, not for a query of 2,000, so it carries a
session id and the query lives here, in the archive's SQLite file. Sessions older than
`SESSION_DAYS` are pruned; their buttons then say the search expired.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .archive.models import from_timestamp, to_timestamp
from .archive.store import Archive

log = logging.getLogger(__name__)

SESSION_DAYS = 30
MAX_ID = 2**53  # random ids below this; JSON-safe and well within SQLite's 64-bit integers


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
    """Search sessions in the archive's SQLite file (table `search_sessions`)."""

    def __init__(
        self, archive: Archive, *, days: int = SESSION_DAYS, clock: Callable[[], float] = time.time
    ):
        self.archive = archive
        self.max_age = days * 24 * 3600
        self.clock = clock

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
        for _ in range(5):
            session_id = secrets.randbelow(MAX_ID - 1) + 1
            try:
                async with self.archive.transaction() as db:
                    await db.execute(
                        "INSERT INTO search_sessions "
                        "(id, user_id, query, author, after, before, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (session_id, *row),
                    )
            except sqlite3.IntegrityError:  # the id was taken: one in billions, draw again
                continue
            return session_id
        raise RuntimeError("could not allocate a search session id")

    async def recall(self, session_id: int) -> SearchSession | None:
        """The session with this id, or None if it never existed or has expired."""
        async with self.archive.reader.execute(
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
        async with self.archive.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM search_sessions WHERE created_at < ?",
                (int(self.clock()) - self.max_age,),
            )
            removed = cursor.rowcount
        if removed:
            log.info("pruned %d expired search sessions", removed)
        return removed
