"""SQLite search primitives: vocabulary look-ups and full-text matches (FTS5), each one query.

Building the query and ranking the results live in bot/archive/search.py and rank.py; this module
only answers them. Terms arrive as plain words (search.py never writes FTS5 syntax) and become
quoted FTS5 strings here; every value goes in as a `?` parameter. The PostgreSQL backend answers
the same questions in postgres/search.py.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from ..models import (
    to_timestamp,
)
from ..query import fts_all, fts_any
from .records import Filters, ParagraphRow


class SearchQueries:
    """The queries search.py asks (mixed into Archive)."""

    _reader: aiosqlite.Connection

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
            ) AS family
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

    async def match_paragraphs(
        self, terms: Sequence[str], limit: int, filters: Filters | None = None
    ) -> list[ParagraphRow]:
        """Paragraphs holding any of the terms, best BM25 first (lower is better)."""
        expression = fts_any(terms)
        where, params = _where(filters)
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
        self, groups: Sequence[Sequence[str]], limit: int, filters: Filters | None = None
    ) -> list[ParagraphRow]:
        """Paragraphs holding, for every group, one of its terms, newest first, without ranking
        (cheap when the terms are in a large share of the archive)."""
        expression = fts_all(groups)
        where, params = _where(filters)
        async with self._reader.execute(
            f"""
            SELECT p.id, p.post_id, p.position, p.text, CAST(0 AS DOUBLE PRECISION)
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
        self, terms: Sequence[str], post_id: int, limit: int
    ) -> list[ParagraphRow]:
        """Paragraphs of one post holding any of the terms, best BM25 first.

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
            (fts_any(terms), low, high, limit),
        ) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def opening_paragraphs(self, post_ids: Iterable[int], count: int) -> list[ParagraphRow]:
        """The first `count` paragraphs of each post."""
        ids = list(dict.fromkeys(post_ids))
        if not ids:
            return []
        async with self._reader.execute(
            f"""
            SELECT id, post_id, position, text, CAST(0 AS DOUBLE PRECISION) FROM paragraphs
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
        values = ",".join("(CAST(? AS BIGINT), CAST(? AS BIGINT))" for _ in keys)
        # A join, not "(post_id, position) IN (VALUES ...)", which SQLite answers by a full scan.
        async with self._reader.execute(
            f"""
            WITH wanted (post_id, position) AS (VALUES {values})
            SELECT p.id, p.post_id, p.position, p.text, CAST(0 AS DOUBLE PRECISION)
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
        self, terms: Sequence[str], limit: int, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """(post id, BM25) of posts whose title or author hold any of the terms, best first."""
        expression = fts_any(terms)
        where, params = _where(filters)
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


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(filters: Filters | None, *, like: str = "LIKE") -> tuple[str, list[Any]]:
    """A WHERE fragment over `posts` and its parameters ("" when there is no filter); `like`:
    the operator that ignores case (ILIKE on PostgreSQL)."""
    if filters is None:
        return "", []
    clauses: list[str] = []
    params: list[Any] = []
    if filters.author:
        clauses.append(
            f"(posts.author {like} ? ESCAPE '\\' OR posts.coauthors {like} ? ESCAPE '\\')"
        )
        params += ["%" + _like_escape(filters.author.strip()) + "%"] * 2
    if filters.after is not None:
        clauses.append("posts.published >= ?")
        params.append(to_timestamp(filters.after))
    if filters.before is not None:
        clauses.append("posts.published < ?")
        params.append(to_timestamp(filters.before))
    return " AND ".join(clauses), params
