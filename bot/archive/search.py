"""Search the archive: FTS5 finds candidates, rapidfuzz and a few signals rank them.

`Searcher.search()` returns `Hit`s (a paragraph of a post, an excerpt with highlight spans and a
score); `Searcher.suggest_titles()` serves autocomplete from memory. Neither raises on any string a
user can type.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .excerpt import Excerpt, make_excerpt
from .models import StoredPost
from .query import WORD, ParsedQuery, fold, fts_any, parse_query
from .store import Archive, Filters, ParagraphRow

log = logging.getLogger(__name__)

Sort = Literal["relevance", "date"]
CANDIDATES = 200
TITLE_CANDIDATES = 20
PER_POST = 2  # at most this many paragraphs of one post before every other post had its turn


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: a paragraph of a post."""

    post: StoredPost
    paragraph: int  # 0-based position within the post
    text: str  # the whole paragraph
    score: float
    excerpt: Excerpt

    @property
    def link(self) -> str:
        """The post URL, pointing at the paragraph with a text fragment when the URL is real."""
        if not self.post.url:
            return self.post.link
        words = self.text.split()
        if len(words) < 2:
            return self.post.url
        start, end = " ".join(words[:4]), " ".join(words[-3:]) if len(words) > 8 else ""
        fragment = quote(start, safe="") + ("," + quote(end, safe="") if end else "")
        return f"{self.post.url.split('#')[0]}#:~:text={fragment}"


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What search keeps in memory: titles for autocomplete, words for spelling suggestions."""

    version: int
    titles: list[tuple[int, str, str, int]]  # (post id, title, folded title, published)
    words: dict[str, int]  # word -> number of paragraphs holding it


class Searcher:
    """Search over one archive. Keeps an in-memory snapshot that follows the database."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self._snapshot: _Snapshot | None = None
        self._refreshing = asyncio.Lock()

    async def snapshot(self) -> _Snapshot:
        """The in-memory snapshot, rebuilt when the database has changed since it was taken."""
        version = await self.archive.data_version()
        if self._snapshot is not None and self._snapshot.version == version:
            return self._snapshot
        async with self._refreshing:
            if self._snapshot is None or self._snapshot.version != version:
                titles = [
                    (post_id, title, fold(title), published or 0)
                    for post_id, title, published in await self.archive.titles()
                ]
                words = dict(await self.archive.vocabulary())
                self._snapshot = _Snapshot(version, titles, words)
        return self._snapshot

    async def did_you_mean(self, query: str, limit: int = 3) -> list[str]:
        """Corrected spellings of a query and titles close to it, for a search with no hits."""
        parsed = parse_query(query)
        if parsed.empty:
            return []
        snapshot = await self.snapshot()
        suggestions: list[str] = []
        corrected = [_closest_word(term, snapshot.words) or term for term in parsed.terms]
        if corrected != list(parsed.terms):
            suggestions.append(" ".join(corrected))
        matches = process.extract(
            parsed.text.casefold(),
            {post_id: folded for post_id, _, folded, _ in snapshot.titles},
            scorer=fuzz.WRatio,
            limit=limit,
            score_cutoff=60,
        )
        titles = {post_id: title for post_id, title, _, _ in snapshot.titles}
        suggestions += [titles[post_id] for _, _, post_id in matches]
        return list(dict.fromkeys(suggestions))[:limit]

    async def search(
        self,
        query: str,
        limit: int = 10,
        *,
        author: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        sort: Sort = "relevance",
        offset: int = 0,
    ) -> list[Hit]:
        """The best paragraphs for `query`, at most `limit`, skipping the first `offset`."""
        limit = max(0, min(limit, 100))
        parsed = parse_query(query)
        if parsed.empty or limit == 0:
            return []
        filters = Filters(author=author, after=after, before=before)
        expression = fts_any(parsed.keywords)
        rows = await self.archive.match_paragraphs(expression, CANDIDATES, filters)
        title_rows = await self.archive.match_posts(expression, TITLE_CANDIDATES, filters)
        title_scores = _normalise_bm25(dict(title_rows))
        rows += await self._opening_paragraphs(title_scores, {row.post_id for row in rows})
        if not rows:
            return []
        ranked = _rank(parsed, rows, title_scores)
        ranked = _spread(ranked, PER_POST)
        if sort == "date":
            posts_order = await self.archive.get_posts(r.post_id for r, _ in ranked)
            ranked.sort(
                key=lambda item: posts_order[item[0].post_id].published or datetime.min,
                reverse=True,
            )
        window = ranked[offset : offset + limit]
        posts = await self.archive.get_posts(row.post_id for row, _ in window)
        return [
            Hit(
                post=posts[row.post_id],
                paragraph=row.position,
                text=row.text,
                score=round(score, 4),
                excerpt=make_excerpt(row.text, parsed.terms),
            )
            for row, score in window
        ]

    async def suggest_titles(self, prefix: str, limit: int = 25) -> list[StoredPost]:
        """Posts whose titles best match what has been typed so far (served from memory)."""
        limit = max(0, min(limit, 25))
        titles = (await self.snapshot()).titles
        typed = fold(" ".join(WORD.findall(prefix)))
        if not typed:
            ordered = sorted(titles, key=lambda row: row[3], reverse=True)
        else:
            scored = []
            for row in titles:
                folded = row[2]
                score = 200 if folded.startswith(typed) else 100 if typed in folded else 0
                scored.append((score + fuzz.partial_ratio(typed, folded), row[3], row))
            scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
            ordered = [row for _, _, row in scored]
        chosen = [row[0] for row in ordered[:limit]]
        posts = await self.archive.get_posts(chosen)
        return [posts[post_id] for post_id in chosen if post_id in posts]

    async def _opening_paragraphs(
        self, title_scores: dict[int, float], seen: set[int]
    ) -> list[ParagraphRow]:
        """First paragraphs of posts found by title alone, so they can be ranked with the rest."""
        missing = [post_id for post_id in title_scores if post_id not in seen]
        texts = await self.archive.paragraphs_at((post_id, 0) for post_id in missing)
        return [
            ParagraphRow(id=0, post_id=post_id, position=0, text=texts[(post_id, 0)], bm25=0.0)
            for post_id in missing
            if (post_id, 0) in texts
        ]


def _normalise_bm25(scores: dict[int, float]) -> dict[int, float]:
    """BM25 (negative, lower is better) -> 0..1 relative to the best."""
    if not scores:
        return {}
    best = min(scores.values())
    return {key: (value / best if best < 0 else 0.0) for key, value in scores.items()}


def _rank(
    parsed: ParsedQuery, rows: list[ParagraphRow], title_scores: dict[int, float]
) -> list[tuple[ParagraphRow, float]]:
    """Score candidates: BM25, share of query words present, fuzzy similarity, title match."""
    best = min((row.bm25 for row in rows), default=0.0)
    keywords = set(parsed.keywords)
    scored = []
    for row in rows:
        words = {fold(word) for word in WORD.findall(row.text)}
        coverage = len(keywords & words) / len(keywords)
        bm25 = row.bm25 / best if best < 0 else 0.0
        similarity = fuzz.token_set_ratio(parsed.text, row.text, processor=str.casefold) / 100
        score = (
            0.45 * bm25
            + 0.35 * coverage
            + 0.20 * similarity
            + 0.30 * title_scores.get(row.post_id, 0.0)
        )
        scored.append((row, score))
    scored.sort(key=lambda item: (-item[1], item[0].post_id, item[0].position))
    return scored


def _spread(
    ranked: list[tuple[ParagraphRow, float]], per_post: int
) -> list[tuple[ParagraphRow, float]]:
    """Keep rank order but let no post have more than `per_post` hits ahead of other posts."""
    taken: dict[int, int] = defaultdict(int)
    first, rest = [], []
    for item in ranked:
        post_id = item[0].post_id
        taken[post_id] += 1
        (first if taken[post_id] <= per_post else rest).append(item)
    return first + rest


def _closest_word(term: str, words: dict[str, int]) -> str | None:
    """The most frequent indexed word within a small edit distance of an unknown term."""
    if term in words or len(term) < 3 or term.isdigit():
        return None
    cutoff = 1 if len(term) <= 4 else 2
    candidates = process.extract(
        term, words.keys(), scorer=OSA.distance, score_cutoff=cutoff, limit=20
    )
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[1], -words[c[0]]))[0]
