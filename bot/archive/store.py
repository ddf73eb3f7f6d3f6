"""The archive's SQLite file: schema, ingestion and every query the rest of the bot needs.

One writer connection (transactions are `BEGIN IMMEDIATE`, so a second process waits instead of
failing) and one reader connection; in WAL mode readers see the last committed state, never half of
an ingest. All SQL lives here; every value goes in as a `?` parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import aiosqlite

from . import vocabulary
from .integrity import admit, losses, plausible
from .migrations import MIGRATIONS
from .models import (
    Post,
    SourceDocument,
    StoredPost,
    from_timestamp,
    guid_from_url,
    to_timestamp,
)
from .text import REPLACEMENT, title_key

log = logging.getLogger(__name__)

# Which source kinds may overwrite a post's body. A forum's API is the post itself, with karma, tags
# and coauthors; a live feed carries the full HTML and real links; a JSONL backup is whatever was
# exported; the dump is a lossy text copy. A lower rank only fills in what is missing, so
# re-ingesting the dump after the feed never reverts the feed's text, nor the feed the forum's.
AUTHORITY = {"dump": 0, "jsonl": 1, "feed": 2, "forum": 3}
SAME_POST_WINDOW = 24 * 3600  # titles match only if published within a day of each other
WRITER_CACHE_KB = 64 * 1024  # the writer's page cache: index B-trees stay in memory while ingesting
READER_CACHE_KB = 48 * 1024  # the reader's: the index pages searches keep touching

Journal = Literal["WAL", "MEMORY"]  # MEMORY only while no other connection can see the file


class ArchiveError(RuntimeError):
    """The database cannot be used (newer schema, not an archive file, ...)."""


@dataclass(slots=True)
class IngestReport:
    """What one ingest did."""

    location: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    paragraphs: int = 0  # paragraphs written (new and replaced posts)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    new_post_ids: list[int] = field(default_factory=list)
    # The archive id of every post of the document, in document order (new or matched): what a
    # feed shows now, for the announcer, whichever copy of each post the archive already had.
    post_ids: list[int] = field(default_factory=list)

    @property
    def posts(self) -> int:
        return self.new + self.updated + self.unchanged


@dataclass(frozen=True, slots=True)
class SourceStats:
    location: str
    kind: str
    title: str | None
    posts: int
    last_ingested: datetime | None
    sync: SyncStatus | None = None  # resumable sources (forums, feed archives) only


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """How the last run of a resumable source went (see Archive.record_sync)."""

    started: datetime | None
    finished: datetime | None  # None while a run is under way (or was killed)
    outcome: str | None  # ok | stopped | failed | blocked
    message: str | None


@dataclass(frozen=True, slots=True)
class ArchiveStats:
    posts: int
    paragraphs: int
    first_published: datetime | None
    last_published: datetime | None
    sources: list[SourceStats]
    path: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class ParagraphRow:
    """A paragraph found by full-text search, with its BM25 score (lower is better)."""

    id: int
    post_id: int
    position: int
    text: str
    bm25: float


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on which posts a query may return."""

    author: str | None = None
    after: datetime | None = None
    before: datetime | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """A WHERE fragment over `posts` and its parameters ("" when there is no filter)."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.author:
            clauses.append(
                "(posts.author LIKE ? ESCAPE '\\' OR posts.coauthors LIKE ? ESCAPE '\\')"
            )
            params += ["%" + _like_escape(self.author.strip()) + "%"] * 2
        if self.after is not None:
            clauses.append("posts.published >= ?")
            params.append(to_timestamp(self.after))
        if self.before is not None:
            clauses.append("posts.published < ?")
            params.append(to_timestamp(self.before))
        return " AND ".join(clauses), params


_POST_COLUMNS = (
    "posts.id, posts.title, posts.url, posts.guid, posts.author, posts.published, "
    "posts.coauthors, posts.karma, posts.comments, posts.af, posts.link_url"
)


class Archive:
    """An open archive database."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    # --- lifecycle -----------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str, *, journal: Journal = "WAL") -> Archive:
        """Open (creating if needed) the archive at `path` and bring its schema up to date."""
        path = Path(path)
        _make_folder(path)
        writer = await _connect(path, journal)
        try:
            await writer.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KB}")  # bulk ingests
            await _migrate(writer, path)
            await vocabulary.prepare(writer)
            reader = await _connect(path, journal)
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
        path = Path(path)
        if path.exists():
            raise ArchiveError(f"{path}: already exists")
        staging = path.with_name(path.name + ".building")
        _make_folder(path)
        _remove_database(staging)  # left by an import that was killed
        archive = await cls.open(staging, journal="MEMORY")
        try:
            yield archive
        except BaseException:
            await archive.close()
            _remove_database(staging)
            raise
        await archive.close()
        if not _publish(staging, path):
            raise ArchiveError(
                f"{path} was created while the import ran, so the import is kept as {staging}: "
                f"stop whatever uses {path} and move {staging.name} in its place"
            )
        _remove_database(staging)  # the archive lives on under its real name

    async def close(self) -> None:
        """Close both connections; safe to call twice."""
        for connection in (self._reader, self._writer):
            with contextlib.suppress(ValueError):  # already closed
                await connection.close()

    async def __aenter__(self) -> Archive:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- access for the stores of other features (subscriptions, outbox) in the same file ------

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

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read-only connection: sees the last committed state, never an open transaction."""
        return self._reader

    # --- ingestion -----------------------------------------------------------------------------

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
        batches = _batches(document.posts, INGEST_BATCH)
        async with self.transaction() as db:
            run = await _Ingestion.begin(db, document, report)
            # Batch by batch, so that a large file is read as it is written, never whole.
            try:
                for batch in batches:
                    await run.ingest_batch(batch)
                    if progress is not None:
                        progress(len(batch))
            finally:
                await run.indexed()
            if run.text_changed:
                await vocabulary.apply(db, rebuild=run.rebuild_vocabulary)
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

    # --- resumable sources (forum backfills, feed archives) -----------------------------------

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

    # --- reading -------------------------------------------------------------------------------

    async def data_version(self) -> int:
        """A number that changes whenever any connection commits a change (for cache checks)."""
        async with self._reader.execute("PRAGMA data_version") as cursor:
            return (await cursor.fetchone())[0]

    async def is_empty(self) -> bool:
        """True when no post has been ingested yet."""
        async with self._reader.execute("SELECT NOT EXISTS (SELECT 1 FROM posts)") as cursor:
            return bool((await cursor.fetchone())[0])

    async def stats(self) -> ArchiveStats:
        """Counts, date range and sources."""
        db = self._reader
        async with db.execute(
            "SELECT count(*), min(published), max(published) FROM posts"
        ) as cursor:
            posts, first, last = await cursor.fetchone()
        async with db.execute("SELECT count(*) FROM paragraphs") as cursor:
            (paragraphs,) = await cursor.fetchone()
        async with db.execute(
            """
            SELECT sources.location, sources.kind, sources.title, sources.last_ingested_at,
                   (SELECT count(*) FROM post_sources WHERE source_id = sources.id),
                   sync_started, sync_finished, sync_outcome, sync_message
            FROM sources ORDER BY sources.id
            """
        ) as cursor:
            sources = [
                SourceStats(
                    location,
                    kind,
                    title,
                    count,
                    from_timestamp(ingested),
                    None
                    if started is None
                    else SyncStatus(
                        from_timestamp(started), from_timestamp(finished), outcome, message
                    ),
                )
                for location, kind, title, ingested, count, started, finished, outcome, message in (
                    await cursor.fetchall()
                )
            ]
        size = sum(
            candidate.stat().st_size
            for candidate in (self.path, Path(f"{self.path}-wal"))
            if candidate.exists()
        )
        return ArchiveStats(
            posts=posts,
            paragraphs=paragraphs,
            first_published=from_timestamp(first),
            last_published=from_timestamp(last),
            sources=sources,
            path=str(self.path),
            size_bytes=size,
        )

    async def iter_posts(self) -> AsyncIterator[Post]:
        """Every post with its paragraphs and tags, oldest first, streamed (for export)."""
        cursor = await self._reader.execute(
            f"""
            SELECT {_POST_COLUMNS},
                   (SELECT group_concat(tag, char(10)) FROM post_tags WHERE post_id = posts.id),
                   paragraphs.text
            FROM posts JOIN paragraphs ON paragraphs.post_id = posts.id
            ORDER BY posts.published IS NULL, posts.published, posts.id, paragraphs.position
            """
        )
        cursor.arraysize = 2000
        current: tuple[Any, ...] | None = None
        texts: list[str] = []
        async for row in cursor:
            if current is not None and row[0] != current[0]:
                yield _post_from_row(current, texts)
                texts = []
            current = tuple(row)[:-1]
            texts.append(row[-1])
        await cursor.close()
        if current is not None:
            yield _post_from_row(current, texts)

    async def get_post(self, post_id: int) -> StoredPost | None:
        """One post's metadata."""
        posts = await self.get_posts([post_id])
        return posts.get(post_id)

    async def get_posts(
        self, post_ids: Iterable[int], *, count_paragraphs: bool = True
    ) -> dict[int, StoredPost]:
        """Metadata of several posts, by id (paragraph_count stays 0 unless counted)."""
        ids = list(dict.fromkeys(post_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        count = (
            "(SELECT count(*) FROM paragraphs WHERE paragraphs.post_id = posts.id)"
            if count_paragraphs
            else "0"
        )
        async with self._reader.execute(
            f"SELECT {_POST_COLUMNS}, {count} FROM posts WHERE posts.id IN ({marks})", ids
        ) as cursor:
            return {row[0]: _stored_post(row) for row in await cursor.fetchall()}

    async def posts_at(self, urls: Sequence[str]) -> list[int]:
        """The stored posts these URLs point at (by URL, or by the LessWrong post id in it), in
        the order of the URLs."""
        found: list[int] = []
        for url in urls:
            bare = url.split("#")[0]
            async with self._reader.execute(
                "SELECT id FROM posts WHERE guid = ? OR url IN (?, ?, ?) ORDER BY id LIMIT 1",
                (guid_from_url(url) or "", url, bare, bare.rstrip("/")),
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] not in found:
                found.append(row[0])
        return found

    async def known_posts(self, posts: Iterable[Post]) -> int:
        """How many of these posts the archive holds already (by guid or URL)."""
        count = 0
        for post in posts:
            guid = post.guid or guid_from_url(post.url)
            async with self._reader.execute(
                "SELECT EXISTS (SELECT 1 FROM posts WHERE guid = ? OR url = ?)",
                (guid or "", post.url or ""),
            ) as cursor:
                count += (await cursor.fetchone())[0]
        return count

    async def get_paragraphs(self, post_id: int, start: int = 0, count: int = -1) -> list[str]:
        """Paragraphs `start`, `start + 1`, ... of a post (`count` < 0: to the end)."""
        async with self._reader.execute(
            """
            SELECT text FROM paragraphs WHERE post_id = ? AND position >= ?
            ORDER BY position LIMIT ?
            """,
            (post_id, start, count),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def recent_posts(self, count: int) -> list[StoredPost]:
        """The newest posts, newest first."""
        async with self._reader.execute(
            f"""
            SELECT {_POST_COLUMNS},
                   (SELECT count(*) FROM paragraphs WHERE paragraphs.post_id = posts.id)
            FROM posts ORDER BY published IS NULL, published DESC, id DESC LIMIT ?
            """,
            (count,),
        ) as cursor:
            return [_stored_post(row) for row in await cursor.fetchall()]

    async def random_post(self) -> StoredPost | None:
        """A post picked uniformly at random."""
        async with self._reader.execute(
            """
            SELECT id FROM posts
            LIMIT 1 OFFSET abs(random()) % max(1, (SELECT count(*) FROM posts))
            """
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else await self.get_post(row[0])

    async def titles_fingerprint(self) -> tuple[int, int, int]:
        """Changes when a post is added, removed or retitled: (count, highest id, last update)."""
        async with self._reader.execute(
            "SELECT count(*), coalesce(max(id), 0), coalesce(max(updated_at), 0) FROM posts"
        ) as cursor:
            return tuple(await cursor.fetchone())

    async def titles(self) -> list[tuple[int, str, int | None]]:
        """(id, title, published) of every post, for in-memory title lookup."""
        async with self._reader.execute("SELECT id, title, published FROM posts") as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def term_counts(self, terms: Iterable[str]) -> dict[str, tuple[int, int]]:
        """term -> (paragraphs holding it, titles or authors holding it), for indexed terms."""
        terms = list(dict.fromkeys(terms))
        if not terms:
            return {}
        async with self._reader.execute(
            f"SELECT term, paragraphs, titles FROM vocabulary "
            f"WHERE term IN ({','.join('?' * len(terms))})",
            terms,
        ) as cursor:
            return {
                term: (paragraphs, titles) for term, paragraphs, titles in await cursor.fetchall()
            }

    async def terms_with_prefixes(
        self, prefixes: Iterable[str], *, extra_chars: int = 6, limit: int = 200
    ) -> dict[str, list[tuple[str, int, int]]]:
        """For each prefix, (term, paragraphs, titles) of indexed terms starting with it and at
        most `extra_chars` longer: one round trip for a whole query's word families."""
        prefixes = list(dict.fromkeys(prefixes))
        result: dict[str, list[tuple[str, int, int]]] = {prefix: [] for prefix in prefixes}
        if not prefixes:
            return result
        one = """
            SELECT * FROM (
                SELECT ?, term, paragraphs, titles FROM vocabulary
                WHERE term >= ? AND term < ? AND length(term) <= ? LIMIT ?
            )
        """
        params = []
        for prefix in prefixes:
            params += [prefix, prefix, prefix + "\U0010ffff", len(prefix) + extra_chars, limit]
        async with self._reader.execute(" UNION ALL ".join([one] * len(prefixes)), params) as cur:
            for prefix, term, paragraphs, titles in await cur.fetchall():
                result[prefix].append((term, paragraphs, titles))
        return result

    async def terms_between(
        self, low: str, high: str, *, min_length: int = 1, max_length: int = 64, limit: int = 20_000
    ) -> list[tuple[str, int, int]]:
        """(term, paragraphs, titles) for indexed terms with low <= term < high, within a length."""
        async with self._reader.execute(
            """
            SELECT term, paragraphs, titles FROM vocabulary
            WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?
            LIMIT ?
            """,
            (low, high, min_length, max_length, limit),
        ) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    # --- full-text search primitives (query building and ranking live in search.py) -------------

    async def match_paragraphs(
        self, expression: str, limit: int, filters: Filters | None = None
    ) -> list[ParagraphRow]:
        """Paragraphs matching an FTS5 expression, best BM25 first."""
        where, params = (filters or Filters()).sql()
        if where:
            sql = f"""
                SELECT p.id, p.post_id, p.position, p.text, bm25(paragraphs_fts)
                FROM paragraphs_fts
                JOIN paragraphs AS p ON p.id = paragraphs_fts.rowid
                JOIN posts ON posts.id = p.post_id
                WHERE paragraphs_fts MATCH ? AND {where}
                ORDER BY bm25(paragraphs_fts) LIMIT ?
            """
        else:
            sql = """
                SELECT p.id, p.post_id, p.position, p.text, f.score
                FROM (SELECT rowid, bm25(paragraphs_fts) AS score FROM paragraphs_fts
                      WHERE paragraphs_fts MATCH ? ORDER BY score LIMIT ?) AS f
                JOIN paragraphs AS p ON p.id = f.rowid
                ORDER BY f.score
            """
        args = [expression, *params, limit] if where else [expression, limit]
        async with self._reader.execute(sql, args) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def match_paragraphs_newest(
        self, expression: str, limit: int, filters: Filters | None = None
    ) -> list[ParagraphRow]:
        """Paragraphs matching an FTS5 expression, newest first, without ranking (cheap when the
        expression matches a large share of the archive)."""
        where, params = (filters or Filters()).sql()
        async with self._reader.execute(
            f"""
            SELECT p.id, p.post_id, p.position, p.text, 0.0
            FROM paragraphs_fts
            JOIN paragraphs AS p ON p.id = paragraphs_fts.rowid
            JOIN posts ON posts.id = p.post_id
            WHERE paragraphs_fts MATCH ? {"AND " + where if where else ""}
            ORDER BY paragraphs_fts.rowid DESC LIMIT ?
            """,
            [expression, *params, limit],
        ) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def match_paragraphs_in_post(
        self, expression: str, post_id: int, limit: int
    ) -> list[ParagraphRow]:
        """Paragraphs of one post matching an FTS5 expression, best BM25 first.

        A post's paragraphs are always written together, so their ids form one range, which FTS5
        can seek to instead of walking every posting of a common word.
        """
        async with self._reader.execute(
            "SELECT min(id), max(id) FROM paragraphs WHERE post_id = ?", (post_id,)
        ) as cursor:
            low, high = await cursor.fetchone()
        if low is None:
            return []
        async with self._reader.execute(
            """
            SELECT p.id, p.post_id, p.position, p.text, f.score
            FROM (SELECT rowid, bm25(paragraphs_fts) AS score FROM paragraphs_fts
                  WHERE paragraphs_fts MATCH ? AND rowid BETWEEN ? AND ?
                  ORDER BY score LIMIT ?) AS f
            JOIN paragraphs AS p ON p.id = f.rowid
            """,
            (expression, low, high, limit),
        ) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def opening_paragraphs(self, post_ids: Iterable[int], count: int) -> list[ParagraphRow]:
        """The first `count` paragraphs of each post."""
        ids = list(dict.fromkeys(post_ids))
        if not ids:
            return []
        async with self._reader.execute(
            f"""
            SELECT id, post_id, position, text, 0.0 FROM paragraphs
            WHERE post_id IN ({",".join("?" * len(ids))}) AND position < ?
            """,
            [*ids, count],
        ) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def paragraphs_at(self, keys: Iterable[tuple[int, int]]) -> list[ParagraphRow]:
        """Paragraphs given as (post id, position) pairs; missing ones are skipped."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return []
        values = ",".join("(?, ?)" for _ in keys)
        # A join, not "(post_id, position) IN (VALUES ...)", which SQLite answers by a full scan.
        async with self._reader.execute(
            f"""
            WITH wanted (post_id, position) AS (VALUES {values})
            SELECT p.id, p.post_id, p.position, p.text, 0.0
            FROM wanted JOIN paragraphs AS p
                ON p.post_id = wanted.post_id AND p.position = wanted.position
            """,
            [value for key in keys for value in key],
        ) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def paragraph_estimate(self) -> int:
        """About how many paragraphs the archive holds (the highest id: instant, and close)."""
        async with self._reader.execute("SELECT coalesce(max(id), 0) FROM paragraphs") as cursor:
            return (await cursor.fetchone())[0]

    async def match_posts(
        self, expression: str, limit: int, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """(post id, BM25) of posts whose title or author match, best first."""
        where, params = (filters or Filters()).sql()
        async with self._reader.execute(
            f"""
            SELECT posts.id, bm25(posts_fts, 1.0, 0.5) AS score
            FROM posts_fts JOIN posts ON posts.id = posts_fts.rowid
            WHERE posts_fts MATCH ? {"AND " + where if where else ""}
            ORDER BY score LIMIT ?
            """,
            [expression, *params, limit],
        ) as cursor:
            return [(row[0], row[1]) for row in await cursor.fetchall()]


# --- ingestion ---------------------------------------------------------------------------------

INGEST_BATCH = 500  # posts looked up and written per round trip to the database thread
_META_COLUMNS = ("coauthors", "karma", "comments", "af", "link_url")  # what forums add
_MERGE_COLUMNS = (
    "id, guid, url, title, title_key, author, published, authority, body_hash, "
    + ", ".join(_META_COLUMNS)
    + ", (SELECT group_concat(tag, char(10)) FROM post_tags WHERE post_id = posts.id) AS tags"
)


class _Ingestion:
    """One ingest inside an open write transaction: matches posts, batches the writes.

    Ids are allocated here (the transaction holds the write lock), so a batch's posts,
    paragraphs and FTS rows go in as a few statements instead of one per paragraph.
    """

    def __init__(self, db: aiosqlite.Connection, authority: int, report: IngestReport):
        self.db = db
        self.authority = authority
        self.report = report
        self.now = int(time.time())
        self.source_id = 0
        self.next_post_id = 0
        self.next_paragraph_id = 0
        self.known = _KnownPosts()
        self.text_changed = False  # whether the vocabulary table needs bringing up to date
        # The paragraphs the archive held at the start. An ingest writing more than that rebuilds
        # the vocabulary at its end (cheaper than recording every change); a smaller one records
        # its changes (see vocabulary.py).
        self.paragraphs_before = 0
        self.check_paragraphs = True  # for control characters (integrity.admit)
        # Writes waiting for the end of the batch.
        self.new_posts: dict[int, tuple[Any, ...]] = {}
        self.tags: list[tuple[int, str]] = []  # of the new posts
        self.paragraphs: list[tuple[int, int, int, str]] = []
        self.links: list[tuple[int, int]] = []
        # The last batch's full-text indexing, still running in the database thread.
        self.indexing: list[asyncio.Future[Any]] = []

    @property
    def rebuild_vocabulary(self) -> bool:
        """Whether this ingest has written enough to rebuild the vocabulary rather than patch it."""
        return self.report.paragraphs >= self.paragraphs_before

    @classmethod
    async def begin(
        cls, db: aiosqlite.Connection, document: SourceDocument, report: IngestReport
    ) -> _Ingestion:
        run = cls(db, AUTHORITY[document.kind], report)
        run.check_paragraphs = not document.cleaned
        async with db.execute(
            """
            INSERT INTO sources (location, kind, title, last_ingested_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (location) DO UPDATE SET
                kind = excluded.kind,
                title = coalesce(excluded.title, sources.title),
                last_ingested_at = excluded.last_ingested_at
            RETURNING id
            """,
            (document.location, document.kind, document.title, run.now),
        ) as cursor:
            (run.source_id,) = await cursor.fetchone()
        async with db.execute(
            "SELECT coalesce(max(id), 0) FROM posts UNION ALL "
            "SELECT coalesce(max(id), 0) FROM paragraphs"
        ) as cursor:
            (posts,), (paragraphs,) = await cursor.fetchall()
        run.next_post_id, run.next_paragraph_id = posts + 1, paragraphs + 1
        run.paragraphs_before = paragraphs  # the highest id: close enough, and instant
        return run

    async def ingest_batch(self, posts: Sequence[Post]) -> None:
        posts = self._admit(posts)
        await self._load_candidates(posts)
        for post in posts:
            guid = post.guid or guid_from_url(post.url)
            body_hash = _body_hash(post.paragraphs)
            existing = self.known.find(guid, post.url, title_key(post.title), post.published)
            if existing is None:
                row = self._new_row(post, guid, body_hash)
                self.text_changed = True  # its title and author join the vocabulary
                self.known.add(row)
                self.new_posts[row["id"]] = tuple(row[column] for column in _NEW_POST_COLUMNS)
                self._add_paragraphs(row["id"], post.paragraphs)
                self.report.new += 1
                self.report.new_post_ids.append(row["id"])
            else:
                if existing["id"] in self.new_posts:  # a second copy within one batch
                    await self._flush()
                await self._update(existing, post, guid, body_hash)
                row = existing
            self.report.post_ids.append(row["id"])
            self.links.append((row["id"], self.source_id))
        await self._flush()

    def _admit(self, posts: Sequence[Post]) -> list[Post]:
        """The posts as the archive may hold them, whatever their source (integrity.admit)."""
        now = datetime.fromtimestamp(self.now, UTC)
        admitted = []
        for post in posts:
            checked, warnings = admit(post, now, check_paragraphs=self.check_paragraphs)
            self.report.warnings += warnings
            if checked is not None:
                admitted.append(checked)
        return admitted

    async def _flush(self) -> None:
        """Write the pending posts, paragraphs (and their FTS rows) and source links.

        The FTS rows are written last and not waited for: SQLite tokenises them in the database
        thread without the GIL while this thread parses the next batch (at 1M paragraphs, 3 of
        the 28 seconds). The database thread runs statements in order, so nothing overtakes it;
        `indexed()` collects its outcome before the next flush and at the end of the ingest.
        """
        await self.indexed()
        db = self.db
        if self.new_posts:
            await db.executemany(
                f"INSERT INTO posts ({', '.join(_NEW_POST_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_NEW_POST_COLUMNS))})",
                self.new_posts.values(),
            )
            if not self.rebuild_vocabulary:
                title, author = _NEW_POST_COLUMNS.index("title"), _NEW_POST_COLUMNS.index("author")
                await vocabulary.titles_changed(
                    db, added=((row[title], row[author]) for row in self.new_posts.values())
                )
        if self.paragraphs:
            await db.executemany(
                "INSERT INTO paragraphs (id, post_id, position, text) VALUES (?, ?, ?, ?)",
                self.paragraphs,
            )
        if self.tags:
            await db.executemany("INSERT INTO post_tags (post_id, tag) VALUES (?, ?)", self.tags)
        if self.links:
            await db.executemany(
                "INSERT OR IGNORE INTO post_sources (post_id, source_id) VALUES (?, ?)", self.links
            )
        if self.paragraphs:
            first, last = self.paragraphs[0][0], self.paragraphs[-1][0]
            statements = [
                (
                    "INSERT INTO paragraphs_fts (rowid, text) "
                    "SELECT id, text FROM paragraphs WHERE id BETWEEN ? AND ?",
                    (first, last),
                )
            ]
            if not self.rebuild_vocabulary:
                statements.append(vocabulary.added_paragraphs(first, last))
            self.indexing = [asyncio.ensure_future(db.execute(*each)) for each in statements]
            await asyncio.sleep(0)  # lets the statements reach the database thread's queue
        self.new_posts, self.tags, self.paragraphs, self.links = {}, [], [], []

    async def indexed(self) -> None:
        """Wait for the pending FTS writes, raising the first error if one failed."""
        pending, self.indexing = self.indexing, []
        outcomes = await asyncio.gather(*pending, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _load_candidates(self, posts: Sequence[Post]) -> None:
        """Fetch the stored posts any of these could be a copy of into the in-memory index."""
        guids = {post.guid or guid_from_url(post.url) for post in posts} - {None}
        urls = {post.url for post in posts} - {None}
        keys = {title_key(post.title) for post in posts}
        clauses, params = [], []
        for column, values in (("guid", guids), ("url", urls), ("title_key", keys)):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        async with self.db.execute(
            f"SELECT {_MERGE_COLUMNS} FROM posts WHERE {' OR '.join(clauses)}", params
        ) as cursor:
            for row in await cursor.fetchall():
                self.known.add(dict(row), replace=False)

    def _new_row(self, post: Post, guid: str | None, body_hash: str) -> dict[str, Any]:
        row = {
            "id": self.next_post_id,
            "guid": guid,
            "url": post.url,
            "title": post.title,
            "title_key": title_key(post.title),
            "author": post.author,
            "published": to_timestamp(post.published),
            "authority": self.authority,
            "body_hash": body_hash,
            "first_seen": self.now,
            "updated_at": self.now,
            **_meta(post),
            "tags": _joined(post.tags),
        }
        self.tags.extend((row["id"], tag) for tag in dict.fromkeys(post.tags))
        self.next_post_id += 1
        return row

    def _add_paragraphs(self, post_id: int, texts: Sequence[str]) -> None:
        self.text_changed = True
        for position, text in enumerate(texts):
            self.paragraphs.append((self.next_paragraph_id, post_id, position, text))
            self.next_paragraph_id += 1
        self.report.paragraphs += len(texts)

    async def _update(
        self,
        existing: dict[str, Any],
        post: Post,
        guid: str | None,
        body_hash: str,
    ) -> None:
        """Merge another copy of a stored post into it; count it as updated or unchanged."""
        changes = await self._merge(existing, post, guid)
        if "tags" in changes:
            await self._replace_tags(existing["id"], post.tags)
            existing["tags"] = changes.pop("tags")
            if not changes:
                changes["updated_at"] = self.now  # the tags changed: the post did
        if (
            self.authority >= existing["authority"]
            and body_hash != existing["body_hash"]
            and not await self._lossier_body(existing, post)
        ):
            changes.update(authority=self.authority, body_hash=body_hash)
            if not self.rebuild_vocabulary:
                await vocabulary.removing_paragraphs(self.db, existing["id"])
            # The delete trigger removes the old rows from the FTS index.
            await self.db.execute("DELETE FROM paragraphs WHERE post_id = ?", (existing["id"],))
            self._add_paragraphs(existing["id"], post.paragraphs)
        if not changes:
            self.report.unchanged += 1
            return
        if changes.keys() & {"title", "author"}:
            self.text_changed = True
            if not self.rebuild_vocabulary:
                title = changes.get("title", existing["title"])
                author = changes.get("author", existing["author"])
                await vocabulary.titles_changed(
                    self.db,
                    added=[(title, author)],
                    removed=[(existing["title"], existing["author"])],
                )
        changes["updated_at"] = self.now
        assignments = ", ".join(f"{column} = ?" for column in changes)
        await self.db.execute(
            f"UPDATE posts SET {assignments} WHERE id = ?", (*changes.values(), existing["id"])
        )
        self.known.update(existing, changes)
        self.report.updated += 1

    async def _merge(
        self, existing: dict[str, Any], post: Post, guid: str | None
    ) -> dict[str, Any]:
        """Column changes that bring `existing` up to date with another copy of the same post."""
        changes: dict[str, Any] = {}
        if self.authority >= existing["authority"]:
            # A copy that lost characters in decoding (U+FFFD) never replaces a better one.
            if post.title != existing["title"] and not self._lossier(
                post, "title", losses(post.title), losses(existing["title"])
            ):
                changes.update(title=post.title, title_key=title_key(post.title))
            if (
                post.author
                and post.author != existing["author"]
                and not self._lossier(
                    post, "author", losses(post.author), losses(existing["author"])
                )
            ):
                changes["author"] = post.author
            if (
                post.url
                and post.url != existing["url"]
                and (
                    self.authority > existing["authority"] or _same_site(post.url, existing["url"])
                )
            ):
                # A new slug on the same site; but the Alignment Forum's copy of a LessWrong post
                # (the same post) does not move it to alignmentforum.org and back at each sync.
                changes["url"] = post.url
        else:
            if post.author and not existing["author"]:
                changes["author"] = post.author
            if post.url and not existing["url"]:
                changes["url"] = post.url
        if guid and not existing["guid"]:
            changes["guid"] = guid
        higher = self.authority >= existing["authority"]
        for column, value in _meta(post).items():
            if (
                value is not None
                and value != existing[column]
                and (higher or existing[column] is None)
            ):
                changes[column] = value
        tags = _joined(post.tags)
        if tags and tags != existing["tags"] and (higher or not existing["tags"]):
            changes["tags"] = tags
        # A post re-dated by its feed (LessWrong re-dates posts crossing a karma threshold) keeps
        # the date it was first archived with; only a missing date is filled in, or one that
        # cannot be right (stored before such dates were refused), which is never kept.
        stored = from_timestamp(existing["published"])
        if (
            stored is None or not plausible(stored, datetime.fromtimestamp(self.now, UTC))
        ) and to_timestamp(post.published) != existing["published"]:
            changes["published"] = to_timestamp(post.published)
        for column in ("guid", "url"):
            if column in changes and await self._taken(column, changes[column], existing["id"]):
                self.report.warnings.append(
                    f"{post.title!r}: {column} {changes[column]!r} already belongs to another"
                    " post; kept the old one"
                )
                del changes[column]
        return changes

    async def _replace_tags(self, post_id: int, tags: Sequence[str]) -> None:
        await self.db.execute("DELETE FROM post_tags WHERE post_id = ?", (post_id,))
        await self.db.executemany(
            "INSERT INTO post_tags (post_id, tag) VALUES (?, ?)",
            [(post_id, tag) for tag in dict.fromkeys(tags)],
        )

    def _lossier(self, post: Post, field: str, lost: int, stored: int) -> bool:
        """Whether this copy's `field` lost more characters in decoding (U+FFFD) than the stored
        one; if so it is kept out, with a warning."""
        if lost <= stored:
            return False
        self.report.warnings.append(
            f"{post.title!r}: this copy's {field} lost characters (U+FFFD); kept the stored one"
        )
        return True

    async def _lossier_body(self, existing: dict[str, Any], post: Post) -> bool:
        lost = losses(*post.paragraphs)
        if not lost:
            return False
        async with self.db.execute(
            "SELECT text FROM paragraphs WHERE post_id = ? AND instr(text, ?)",
            (existing["id"], REPLACEMENT),
        ) as cursor:
            stored = losses(*(row[0] for row in await cursor.fetchall()))
        return self._lossier(post, "text", lost, stored)

    async def _taken(self, column: str, value: str, post_id: int) -> bool:
        """Whether another post, stored or about to be, already has this guid or URL."""
        owner = self.known.owner(column, value)
        if owner is not None:
            return owner != post_id
        async with self.db.execute(
            f"SELECT 1 FROM posts WHERE {column} = ? AND id != ?", (value, post_id)
        ) as cursor:
            return await cursor.fetchone() is not None


_NEW_POST_COLUMNS = (
    "id",
    "guid",
    "url",
    "title",
    "title_key",
    "author",
    "published",
    "authority",
    "body_hash",
    "first_seen",
    "updated_at",
    *_META_COLUMNS,
)


class _KnownPosts:
    """Posts this ingest has seen (loaded or added), indexed the ways a copy can match them."""

    def __init__(self) -> None:
        self.by_id: dict[int, dict[str, Any]] = {}
        self.by_guid: dict[str, dict[str, Any]] = {}
        self.by_url: dict[str, dict[str, Any]] = {}
        self.by_title: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, row: dict[str, Any], *, replace: bool = True) -> None:
        if not replace and row["id"] in self.by_id:
            return  # keep the copy this ingest may already have changed
        self.by_id[row["id"]] = row
        if row["guid"]:
            self.by_guid[row["guid"]] = row
        if row["url"]:
            self.by_url[row["url"]] = row
        self.by_title[row["title_key"]].append(row)

    def update(self, row: dict[str, Any], changes: dict[str, Any]) -> None:
        if "title_key" in changes:
            self.by_title[row["title_key"]].remove(row)
            self.by_title[changes["title_key"]].append(row)
        row.update(changes)
        if changes.get("guid"):
            self.by_guid[row["guid"]] = row
        if changes.get("url"):
            self.by_url[row["url"]] = row

    def owner(self, column: str, value: str) -> int | None:
        row = (self.by_guid if column == "guid" else self.by_url).get(value)
        return None if row is None else row["id"]

    def find(
        self, guid: str | None, url: str | None, key: str, published: datetime | None
    ) -> dict[str, Any] | None:
        """The post a copy with these identifiers is: by guid, then URL, then title and date."""
        if guid and guid in self.by_guid:
            return self.by_guid[guid]
        if url and url in self.by_url:
            return self.by_url[url]
        moment = to_timestamp(published)
        for row in sorted(self.by_title.get(key, ()), key=lambda r: r["id"]):
            if guid and row["guid"] and row["guid"] != guid:
                continue  # same title, different post (an "Open Thread", say)
            if (
                moment is None
                or row["published"] is None
                or abs(row["published"] - moment) <= SAME_POST_WINDOW
            ):
                return row
        return None


# --- helpers -----------------------------------------------------------------------------------


def _publish(staging: Path, path: Path) -> bool:
    """Give the finished archive its real name unless that name was taken meanwhile."""
    if path.exists():
        return False
    try:
        os.link(staging, path)  # unlike a rename, never replaces a file made meanwhile
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links
        os.replace(staging, path)
    return True


def _make_folder(path: Path) -> None:
    """Create the folder a database file goes in, or say in an ArchiveError why it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ArchiveError(f"{path}: {path.parent} is a file, not a folder") from None
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot create its folder ({exc.strerror})") from None


def _remove_database(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _connect(path: Path, journal: Journal = "WAL") -> aiosqlite.Connection:
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


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
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


def _batches(posts: Iterable[Post], size: int) -> Iterator[list[Post]]:
    iterator = iter(posts)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _meta(post: Post) -> dict[str, Any]:
    """The forum's columns of a post, as stored (None where the source does not say)."""
    return {
        "coauthors": _joined(post.coauthors),
        "karma": post.karma,
        "comments": post.comments,
        "af": None if post.af is None else int(post.af),
        "link_url": post.link_url,
    }


def _joined(names: Sequence[str]) -> str | None:
    return "\n".join(dict.fromkeys(names)) or None


def _same_site(url: str, other: str | None) -> bool:
    return other is None or urlsplit(url).netloc.lower() == urlsplit(other).netloc.lower()


def _body_hash(paragraphs: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(paragraphs).encode(), digest_size=16).hexdigest()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _stored_post(row: Sequence[Any]) -> StoredPost:
    post_id, title, url, guid, author, published, coauthors, karma, comments, af, link, count = row
    return StoredPost(
        post_id,
        title,
        url,
        guid,
        author,
        from_timestamp(published),
        count,
        coauthors=_names(coauthors),
        karma=karma,
        comments=comments,
        af=None if af is None else bool(af),
        link_url=link,
    )


def _post_from_row(row: Sequence[Any], texts: list[str]) -> Post:
    _, title, url, guid, author, published, coauthors, karma, comments, af, link, tags = row
    return Post(
        title,
        tuple(texts),
        from_timestamp(published),
        url=url,
        guid=guid,
        author=author,
        coauthors=_names(coauthors),
        tags=_names(tags),
        karma=karma,
        comments=comments,
        af=None if af is None else bool(af),
        link_url=link,
    )


def _names(joined: str | None) -> tuple[str, ...]:
    """A newline-joined column (coauthors, tags) as a tuple."""
    return tuple(joined.split("\n")) if joined else ()
