"""The search primitives on PostgreSQL: the full-text matches that FTS5 answers on SQLite.

Candidates come from the GIN index on each paragraph's tsvector; they are ordered by BM25 as
FTS5 computes it: a word's frequency is the number of positions its lexeme holds, the inverse
document frequencies come from the vocabulary table and the average length from `corpus`.
As on SQLite the score is negative, lower is better, and rank.py only uses it relative to the best
candidate. The vocabulary look-ups and the rest are the shared SQL of ../queries.py.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..queries import SearchQueries, _where
from ..records import Filters, ParagraphRow
from .index import all_of, any_of, folded, quoted

# BM25's constants, as FTS5's bm25() has them.
K1, B = 1.2, 0.75

# Each query term with its IDF: $terms and $queries (one tsquery per term) go in as arrays.
_TERMS = """
    WITH q AS (
        SELECT u.term, CAST(u.query AS tsquery) AS query,
               ln(1 + (c.paragraphs - v.paragraphs + 0.5) / (v.paragraphs + 0.5))::float8 AS idf,
               CAST(c.words AS float8) / greatest(c.paragraphs, 1) AS average
        FROM unnest(CAST(? AS text[]), CAST(? AS text[])) AS u(term, query)
        JOIN vocabulary AS v ON v.term = u.term
        CROSS JOIN corpus AS c
    )
"""
# BM25 of paragraph p: each query word's frequency is how many positions its lexeme holds. Its
# one parameter is the query's words again: only their lexemes are unnested (setweight marks them,
# ts_filter keeps what it marked, both in C), not the paragraph's fifty others, which at 1M
# paragraphs halves the time a search spends scoring its candidates.
_BM25 = f"""
    -(SELECT coalesce(sum(q.idf * cardinality(w.positions) * {K1 + 1}
                          / (cardinality(w.positions)
                             + {K1} * ({1 - B} + {B} * p.words / q.average))), 0)
      FROM unnest(ts_filter(setweight(p.tsv, 'A', CAST(? AS text[])), '{{a}}')) AS w
      JOIN q ON q.term = w.lexeme)
"""


def _term_arrays(terms: Sequence[str]) -> tuple[list[str], list[str]]:
    words = folded(terms)
    return words, [quoted(word) for word in words]


class PostgresSearch(SearchQueries):
    """search.py's questions answered with tsvector matches (mixed into PostgresArchive)."""

    like = "ILIKE"  # SQLite's LIKE ignores ASCII case; PostgreSQL's does not

    async def match_paragraphs(
        self, terms: Sequence[str], limit: int, filters: Filters | None = None
    ) -> list[ParagraphRow]:
        where, params = _where(filters, like=self.like)
        join = "JOIN posts ON posts.id = p.post_id" if where else ""
        async with self._reader.execute(
            f"""
            {_TERMS}
            SELECT p.id, p.post_id, p.position, p.text, {_BM25} AS score
            FROM paragraphs AS p {join}
            WHERE p.tsv @@ CAST(? AS tsquery) {"AND " + where if where else ""}
            ORDER BY score, p.id LIMIT ?
            """,
            [*_term_arrays(terms), folded(terms), any_of(terms), *params, limit],
        ) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def match_paragraphs_newest(
        self, groups: Sequence[Sequence[str]], limit: int, filters: Filters | None = None
    ) -> list[ParagraphRow]:
        where, params = _where(filters, like=self.like)
        join = "JOIN posts ON posts.id = p.post_id" if where else ""
        async with self._reader.execute(
            f"""
            SELECT p.id, p.post_id, p.position, p.text, CAST(0 AS float8)
            FROM paragraphs AS p {join}
            WHERE p.tsv @@ CAST(? AS tsquery) {"AND " + where if where else ""}
            ORDER BY p.id DESC LIMIT ?
            """,
            [all_of(groups), *params, limit],
        ) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def match_paragraphs_in_post(
        self, terms: Sequence[str], post_id: int, limit: int
    ) -> list[ParagraphRow]:
        async with self._reader.execute(
            f"""
            {_TERMS}
            SELECT p.id, p.post_id, p.position, p.text, {_BM25} AS score
            FROM paragraphs AS p
            WHERE p.post_id = ? AND p.tsv @@ CAST(? AS tsquery)
            ORDER BY score, p.id LIMIT ?
            """,
            [*_term_arrays(terms), folded(terms), post_id, any_of(terms), limit],
        ) as cursor:
            return [ParagraphRow(*row) for row in await cursor.fetchall()]

    async def match_posts(
        self, terms: Sequence[str], limit: int, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """(post id, score) of posts whose title (weight 1) or author (0.5) hold the terms."""
        where, params = _where(filters, like=self.like)
        words = folded(terms)
        async with self._reader.execute(
            f"""
            WITH q AS (
                SELECT CAST(u.title AS tsquery) AS title, CAST(u.author AS tsquery) AS author,
                       ln(1 + (n.posts - v.titles + 0.5) / (v.titles + 0.5))::float8 AS idf
                FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]))
                     AS u(term, title, author)
                JOIN vocabulary AS v ON v.term = u.term
                CROSS JOIN (SELECT coalesce(max(id), 0) AS posts FROM posts) AS n
            )
            SELECT posts.id, -(
                SELECT coalesce(sum(q.idf * CASE WHEN posts.tsv @@ q.title THEN 1.0
                                                 WHEN posts.tsv @@ q.author THEN 0.5
                                                 ELSE 0 END), 0)
                FROM q
            ) AS score
            FROM posts
            WHERE posts.tsv @@ CAST(? AS tsquery) {"AND " + where if where else ""}
            ORDER BY score, posts.id LIMIT ?
            """,
            [
                words,
                [quoted(word) + ":A" for word in words],
                [quoted(word) + ":B" for word in words],
                any_of(terms),
                *params,
                limit,
            ],
        ) as cursor:
            return [(row[0], float(row[1])) for row in await cursor.fetchall()]
