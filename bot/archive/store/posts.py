"""Reading posts: one or many by id or URL, the newest, a random one, every one (export), stats.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..models import (
    Post,
    StoredPost,
    from_timestamp,
    guid_from_url,
)
from .connection import Connection
from .records import ArchiveStats, SourceStats, SyncStatus

_POST_COLUMNS = (
    "posts.id, posts.title, posts.url, posts.guid, posts.author, posts.published, "
    "posts.coauthors, posts.karma, posts.comments, posts.af, posts.link_url"
)


class PostReads:
    """The queries that read posts (mixed into Archive, which sets these)."""

    path: Path | str
    _reader: Connection

    async def size_bytes(self) -> int:
        """How much room the archive takes."""
        raise NotImplementedError

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
        size = await self.size_bytes()
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
                   (SELECT group_concat(tag, '\n') FROM post_tags WHERE post_id = posts.id),
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
            (post_id, start, count if count >= 0 else 2**62),
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
        async with self._reader.execute("SELECT count(*) FROM posts") as cursor:
            (count,) = await cursor.fetchone()
        async with self._reader.execute(
            "SELECT id FROM posts ORDER BY id LIMIT 1 OFFSET ?", (random.randrange(max(1, count)),)
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
