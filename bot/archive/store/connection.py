"""What the store's code needs of a database connection, whichever backend is behind it.

SQLite's connections are aiosqlite's own; PostgreSQL's (postgres/connection.py) speak the same
small interface, so the SQL both engines understand is written once. `TextIndex` is what each
backend does its own way: keeping the full-text index and the vocabulary table in step with the
paragraphs and titles an ingest writes (fts.py on SQLite, postgres/index.py on PostgreSQL).

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class Cursor(Protocol):
    rowcount: int

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Sequence[Any]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, *exc_info: object) -> Any: ...


class Connection(Protocol):
    """`execute(sql, params)` with `?` placeholders, awaited or used with `async with`; rows are
    read by position or by column name."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...


class TextIndex(Protocol):
    """How an ingest's text reaches the full-text index and the vocabulary table.

    `record`: note the change in the vocabulary now (False when the ingest rebuilds it at the end
    with `finish(rebuild=True)`).
    """

    async def write_paragraphs(
        self, db: Connection, rows: Sequence[tuple[int, int, int, str]], *, record: bool
    ) -> None:
        """Insert (id, post id, position, text) rows, ids ascending, and index them."""

    async def removing_paragraphs(self, db: Connection, post_id: int) -> None:
        """A post's paragraphs are about to be deleted: their words leave the vocabulary."""

    async def titles_changed(
        self,
        db: Connection,
        posts: Sequence[tuple[int, str, str | None]],
        removed: Sequence[tuple[str, str | None]] = (),
        *,
        record: bool,
    ) -> None:
        """(post id, title, author) now stored (new posts, or retitled ones whose old
        (title, author) are `removed`)."""

    async def settled(self) -> None:
        """Wait for index writes still running, raising the first error."""

    async def finish(self, db: Connection, *, rebuild: bool) -> None:
        """Bring the vocabulary up to date at the end of the ingest."""
