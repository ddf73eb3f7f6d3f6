"""SQLite's text index: FTS5 rows for new paragraphs, and the vocabulary kept in step
(vocabulary.py). Titles and deletions reach FTS5 through triggers (migrations.py).

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from . import vocabulary
from .connection import Connection


class FtsIndex:
    """The TextIndex of a SQLite archive (see connection.TextIndex)."""

    def __init__(self) -> None:
        # The last batch's full-text indexing, still running in the database thread.
        self._indexing: list[asyncio.Future[Any]] = []

    async def write_paragraphs(
        self, db: Connection, rows: Sequence[tuple[int, int, int, str]], *, record: bool
    ) -> None:
        """Insert the rows, then index them in one INSERT ... SELECT, not waited for: SQLite
        tokenises them in the database thread without the GIL while the ingest parses the next
        batch (at 1M paragraphs, 3 of the 28 seconds). The database thread runs statements in
        order, so nothing overtakes it; `settled()` collects the outcome."""
        await db.executemany(
            "INSERT INTO paragraphs (id, post_id, position, text) VALUES (?, ?, ?, ?)", rows
        )
        first, last = rows[0][0], rows[-1][0]
        statements = [
            (
                "INSERT INTO paragraphs_fts (rowid, text) "
                "SELECT id, text FROM paragraphs WHERE id BETWEEN ? AND ?",
                (first, last),
            )
        ]
        if record:
            statements.append(vocabulary.added_paragraphs(first, last))
        self._indexing = [asyncio.ensure_future(db.execute(*each)) for each in statements]
        await asyncio.sleep(0)  # lets the statements reach the database thread's queue

    async def removing_paragraphs(self, db: Connection, post_id: int) -> None:
        await vocabulary.removing_paragraphs(db, post_id)  # the delete trigger updates FTS5

    async def titles_changed(
        self,
        db: Connection,
        posts: Sequence[tuple[int, str, str | None]],
        removed: Sequence[tuple[str, str | None]] = (),
        *,
        record: bool,
    ) -> None:
        if record:  # posts_fts itself follows by trigger
            added = [(title, author) for _, title, author in posts]
            await vocabulary.titles_changed(db, added=added, removed=removed)

    async def settled(self) -> None:
        pending, self._indexing = self._indexing, []
        outcomes = await asyncio.gather(*pending, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def finish(self, db: Connection, *, rebuild: bool) -> None:
        await vocabulary.apply(db, rebuild=rebuild)
