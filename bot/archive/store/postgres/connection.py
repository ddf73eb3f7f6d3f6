"""An asyncpg connection speaking the small part of aiosqlite's interface the store uses.

The store's portable SQL (posts, sources, feeds, subscriptions, the outbox) is written once, with
`?` placeholders, and runs on both backends: `execute()` returns a cursor that can be awaited or
used with `async with`, with `fetchone()`, `fetchall()` and `rowcount`; `executemany()` runs one
statement over many rows. Here each `?` becomes `$1`, `$2`, ... (outside string literals and
quoted names) before asyncpg prepares the statement; asyncpg caches prepared statements per
connection, so the translation is cached too.

What differs between the engines (full-text search, the vocabulary, schema) is not translated:
each backend has its own code for it.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from ..records import ArchiveError

_PASSWORD = re.compile(r"(://[^:/?#@]*:)[^@/?#]*@")


def redacted(url: str) -> str:
    """The URL as it may be printed: without its password."""
    return _PASSWORD.sub(r"\1***@", url)


async def connect_pool(url: str, size: int) -> asyncpg.Pool:
    """A pool of up to `size` connections to the database at `url`; ArchiveError if it cannot
    be reached."""
    try:
        return await asyncpg.create_pool(url, min_size=1, max_size=size)
    except (OSError, asyncpg.PostgresError, ValueError) as exc:
        raise ArchiveError(f"{redacted(url)}: cannot connect ({exc})") from None


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """`sql` with each `?` placeholder as PostgreSQL's `$n`."""
    out: list[str] = []
    number = 0
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _returns_rows(sql: str) -> bool:
    words = sql.split(None, 1)
    head = words[0].upper() if words else ""
    return head in ("SELECT", "WITH", "VALUES", "SHOW") or "RETURNING" in sql.upper()


def _count(status: str) -> int:
    """Rows a command touched, from its status ("UPDATE 3", "INSERT 0 1"); -1 if none given."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class Cursor:
    """The result of one statement: rows (if it returned any) and the rows it changed."""

    def __init__(self, connection: Connection, sql: str, params: Sequence[Any]):
        self._connection = connection
        self._sql = sql
        self._params = tuple(params)
        self._rows: list[asyncpg.Record] | None = None
        self._position = 0
        self.rowcount = -1

    async def _run(self) -> Cursor:
        if self._rows is None:
            raw, sql = self._connection.raw, numbered(self._sql)
            if _returns_rows(sql):
                self._rows = await raw.fetch(sql, *self._params)
                self.rowcount = len(self._rows)
            else:
                self._rows = []
                self.rowcount = _count(await raw.execute(sql, *self._params))
        return self

    def __await__(self):
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        return await self._run()

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def fetchone(self) -> asyncpg.Record | None:
        await self._run()
        assert self._rows is not None
        if self._position >= len(self._rows):
            return None
        self._position += 1
        return self._rows[self._position - 1]

    async def fetchall(self) -> list[asyncpg.Record]:
        await self._run()
        assert self._rows is not None
        rows, self._position = self._rows[self._position :], len(self._rows)
        return rows

    def __aiter__(self) -> Cursor:
        return self

    async def __anext__(self) -> asyncpg.Record:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self) -> None:
        self._rows = []


class Connection:
    """One asyncpg connection (the writer inside a transaction, or a reader)."""

    def __init__(self, raw: asyncpg.Connection):
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return Cursor(self, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(row) for row in rows]
        if rows:
            await self.raw.executemany(numbered(sql), rows)


class PooledReader:
    """Reads on whichever pooled connection is free: each statement borrows one.

    Statements that must see each other's writes go through `Archive.transaction()` instead.
    """

    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _PooledCursor:
        return _PooledCursor(self.pool, sql, params)

    async def close(self) -> None:
        await self.pool.close()


class _PooledCursor(Cursor):
    def __init__(self, pool: asyncpg.Pool, sql: str, params: Sequence[Any]):
        super().__init__(None, sql, params)  # type: ignore[arg-type]
        self._pool = pool

    async def _run(self) -> Cursor:
        if self._rows is None:
            async with self._pool.acquire() as raw:
                self._connection = Connection(raw)
                try:
                    await super()._run()
                finally:
                    self._connection = None  # type: ignore[assignment]
        return self
