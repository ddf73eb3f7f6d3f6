"""The baselines search is measured against, with the same interface as Searcher.search."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.archive.models import StoredPost
from bot.archive.query import fts_any, parse_query
from bot.archive.store import Archive


@dataclass(frozen=True, slots=True)
class BaselineHit:
    post: StoredPost
    paragraph: int
    text: str


class FtsOr:
    """Plain FTS5: every token quoted and OR-ed, BM25 order."""

    def __init__(self, archive: Archive):
        self.archive = archive

    async def search(self, query: str, limit: int = 10) -> list[BaselineHit]:
        terms = parse_query(query).terms
        if not terms:
            return []
        rows = await self.archive.match_paragraphs(terms, limit)
        posts = await self.archive.get_posts(row.post_id for row in rows)
        return [BaselineHit(posts[r.post_id], r.position, r.text) for r in rows]


class FtsPorter:
    """Plain FTS5 with the Porter stemmer: every token quoted and OR-ed, BM25 order. Built in
    memory from the archive's paragraphs (the archive's own index has no stemmer)."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.db = sqlite3.connect(":memory:")

    async def load(self) -> FtsPorter:
        self.db.execute(
            "CREATE VIRTUAL TABLE p USING fts5(text, post_id UNINDEXED, position UNINDEXED,"
            " tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        async with self.archive.reader.execute(
            "SELECT text, post_id, position FROM paragraphs"
        ) as cursor:
            self.db.executemany("INSERT INTO p VALUES (?, ?, ?)", await cursor.fetchall())
        return self

    async def search(self, query: str, limit: int = 10) -> list[BaselineHit]:
        terms = parse_query(query).terms
        if not terms:
            return []
        rows = self.db.execute(
            "SELECT post_id, position, text FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?",
            (fts_any(terms), limit),
        ).fetchall()
        posts = await self.archive.get_posts(row[0] for row in rows)
        return [BaselineHit(posts[pid], position, text) for pid, position, text in rows]


class RapidfuzzScan:
    """rapidfuzz.process.extract (WRatio) over every paragraph, held in memory."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.rows: list[tuple[int, int, str]] = []

    async def load(self) -> RapidfuzzScan:
        async with self.archive.reader.execute(
            "SELECT post_id, position, text FROM paragraphs"
        ) as cursor:
            self.rows = [tuple(row) for row in await cursor.fetchall()]
        return self

    async def search(self, query: str, limit: int = 10) -> list[BaselineHit]:
        texts = [text for _, _, text in self.rows]
        found = process.extract(query, texts, scorer=fuzz.WRatio, limit=limit)
        posts = await self.archive.get_posts(self.rows[i][0] for _, _, i in found)
        return [
            BaselineHit(posts[self.rows[i][0]], self.rows[i][1], self.rows[i][2])
            for _, _, i in found
        ]
