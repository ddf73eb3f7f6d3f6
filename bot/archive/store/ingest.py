"""Ingestion: how a document's posts enter the archive; the one place that knows how they merge.

A post already stored (same guid, same URL, or same title within a day: matching.py) is merged
into its row: a source of higher authority replaces text and metadata, a lower one only fills in
what is missing, and a copy that lost characters in decoding never replaces a cleaner one.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from ..integrity import admit, losses
from ..models import (
    Post,
    SourceDocument,
    guid_from_url,
    to_timestamp,
)
from ..text import REPLACEMENT, title_key
from .connection import Connection, TextIndex
from .matching import KnownPosts
from .merge import AUTHORITY, META_COLUMNS, joined, lossier, merged, meta
from .records import IngestReport

INGEST_BATCH = 500  # posts looked up and written per round trip to the database thread


_MERGE_COLUMNS = (
    "id, guid, url, title, title_key, author, published, authority, body_hash, "
    + ", ".join(META_COLUMNS)
    + ", (SELECT group_concat(tag, '\n') FROM post_tags WHERE post_id = posts.id) AS tags"
)


class Ingestion:
    """One ingest inside an open write transaction: matches posts, batches the writes.

    Ids are allocated here (the transaction holds the write lock), so a batch's posts,
    paragraphs and FTS rows go in as a few statements instead of one per paragraph.
    """

    def __init__(self, db: Connection, index: TextIndex, authority: int, report: IngestReport):
        self.db = db
        self.index = index
        self.authority = authority
        self.report = report
        self.now = int(time.time())
        self.source_id = 0
        self.next_post_id = 0
        self.next_paragraph_id = 0
        self.known = KnownPosts()
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

    @property
    def rebuild_vocabulary(self) -> bool:
        """Whether this ingest has written enough to rebuild the vocabulary rather than patch it."""
        return self.report.paragraphs >= self.paragraphs_before

    @classmethod
    async def begin(
        cls, db: Connection, index: TextIndex, document: SourceDocument, report: IngestReport
    ) -> Ingestion:
        run = cls(db, index, AUTHORITY[document.kind], report)
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
        """Write the pending posts, paragraphs (with their index entries) and source links."""
        await self.index.settled()
        db = self.db
        record = not self.rebuild_vocabulary  # else the vocabulary is rebuilt at the end
        if self.new_posts:
            await db.executemany(
                f"INSERT INTO posts ({', '.join(_NEW_POST_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_NEW_POST_COLUMNS))})",
                self.new_posts.values(),
            )
            title, author = _NEW_POST_COLUMNS.index("title"), _NEW_POST_COLUMNS.index("author")
            await self.index.titles_changed(
                db,
                [(row[0], row[title], row[author]) for row in self.new_posts.values()],
                record=record,
            )
        if self.tags:
            await db.executemany("INSERT INTO post_tags (post_id, tag) VALUES (?, ?)", self.tags)
        if self.links:
            await db.executemany(
                "INSERT INTO post_sources (post_id, source_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                self.links,
            )
        if self.paragraphs:
            await self.index.write_paragraphs(db, self.paragraphs, record=record)
        self.new_posts, self.tags, self.paragraphs, self.links = {}, [], [], []

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
            **meta(post),
            "tags": joined(post.tags),
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
                await self.index.removing_paragraphs(self.db, existing["id"])
            await self.db.execute("DELETE FROM paragraphs WHERE post_id = ?", (existing["id"],))
            self._add_paragraphs(existing["id"], post.paragraphs)
        if not changes:
            self.report.unchanged += 1
            return
        if changes.keys() & {"title", "author"}:
            self.text_changed = True
            title = changes.get("title", existing["title"])
            author = changes.get("author", existing["author"])
            await self.index.titles_changed(
                self.db,
                [(existing["id"], title, author)],
                removed=[(existing["title"], existing["author"])],
                record=not self.rebuild_vocabulary,
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
        """Column changes that bring `existing` up to date with another copy of the same post,
        less a guid or URL that another post holds already."""
        now = datetime.fromtimestamp(self.now, UTC)
        changes = merged(existing, post, guid, self.authority, now, self.report.warnings)
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

    async def _lossier_body(self, existing: dict[str, Any], post: Post) -> bool:
        lost = losses(*post.paragraphs)
        if not lost:
            return False
        async with self.db.execute(
            "SELECT text FROM paragraphs WHERE post_id = ? AND instr(text, ?) > 0",
            (existing["id"], REPLACEMENT),
        ) as cursor:
            stored = losses(*(row[0] for row in await cursor.fetchall()))
        return lossier(post, "text", lost, stored, self.report.warnings)

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
    *META_COLUMNS,
)


def in_batches(posts: Iterable[Post], size: int) -> Iterator[list[Post]]:
    iterator = iter(posts)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _body_hash(paragraphs: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(paragraphs).encode(), digest_size=16).hexdigest()
