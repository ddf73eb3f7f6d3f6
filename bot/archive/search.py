"""Search the archive: the entry point for the CLI and the bot.

    query -> parse (query.py) -> concepts: forms, variants, typo candidates (expand.py)
          -> candidates from FTS5, within a budget of postings (here)
          -> scores (rank.py) -> one post does not fill the page -> hits with excerpts (excerpt.py)

`Searcher.search()` returns `Hit`s; `suggest_titles()` serves autocomplete from memory;
`did_you_mean()` offers corrections when nothing was found. None of them raises on any string a
user can type.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from rapidfuzz import fuzz, process

from .excerpt import Excerpt, make_excerpt
from .expand import Concept, expand
from .models import StoredPost
from .query import ParsedQuery, fold, fts_all, fts_any, parse_query, words_of
from .rank import Scored, looks_like_heading, rank
from .store import Archive, Filters, ParagraphRow

log = logging.getLogger(__name__)

Sort = Literal["relevance", "date"]
CANDIDATES = 100  # paragraphs ranked in Python per query
TITLE_CANDIDATES = 20  # posts found by title or author
TITLE_POSTS_SEARCHED = 3  # of those, posts whose own paragraphs are searched for the other words
OPENING_PARAGRAPHS = 3
HEADINGS_FOLLOWED = 20  # candidate headings whose next paragraph joins the candidates
# BM25 costs about a microsecond per posting; a query whose words are all common would read
# hundreds of thousands. Retrieval ranks with the rarest forms up to this many postings; when even
# the rarest exceeds it, it takes the newest paragraphs holding all the words instead.
POSTINGS_BUDGET = 10_000
TITLE_BUDGET = 2_000  # a form in more titles than this says little about which post is meant
PER_POST = 2  # at most this many paragraphs of one post before every other post had its turn
DATE_SORT_POOL = 50  # with sort="date": the most relevant this many, newest first


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
class _Titles:
    """Every title in memory, for autocomplete; rebuilt when the database changes."""

    version: int
    rows: list[tuple[int, str, str, int]]  # (post id, title, folded title, published)


class Searcher:
    """Search over one archive."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self._titles: _Titles | None = None
        self._refreshing = asyncio.Lock()

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
        limit, offset = max(0, min(limit, 100)), max(0, offset)
        parsed = parse_query(query)
        if parsed.empty or limit == 0:
            return []
        concepts = await expand(parsed, self.archive, await self.archive.paragraph_estimate())
        if not any(concept.matchable for concept in concepts):
            return []
        filters = Filters(author=author, after=after, before=before)
        rows = await self._candidates(concepts, filters)
        posts = await self.archive.get_posts({row.post_id for row in rows}, count_paragraphs=False)
        several = {row.post_id for row in rows} - _single_candidates(rows)
        ledes = {row.post_id: row.text for row in await self.archive.opening_paragraphs(several, 1)}
        ranked = _spread(rank(parsed, concepts, rows, posts, ledes), PER_POST)
        if sort == "date":
            pool = ranked[:DATE_SORT_POOL]
            pool.sort(key=lambda s: posts[s.row.post_id].published or datetime.min, reverse=True)
            ranked = pool + ranked[DATE_SORT_POOL:]
        window = ranked[offset : offset + limit]
        counted = await self.archive.get_posts(scored.row.post_id for scored in window)
        return [_hit(scored, counted, parsed) for scored in window]

    async def _candidates(
        self, concepts: Sequence[Concept], filters: Filters
    ) -> list[ParagraphRow]:
        """Paragraphs worth scoring: FTS5 matches, and the best of the posts the title names."""
        live = [c for c in concepts if c.matchable]
        every_form = [term for c in live for term in c.forms]
        documents = {term: count for c in live for term, count in c.documents.items()}
        chosen, spent = [], 0
        for term in sorted(every_form, key=lambda t: documents.get(t, 0)):
            if chosen and spent + documents.get(term, 0) > POSTINGS_BUDGET:
                break
            chosen.append(term)
            spent += documents.get(term, 0)
        if spent <= POSTINGS_BUDGET:
            rows = await self.archive.match_paragraphs(fts_any(chosen), CANDIDATES, filters)
        else:  # every word is common: the newest paragraphs holding all of them
            rarest = sorted(live, key=lambda c: min(c.documents.values(), default=0))[:3]
            groups = [list(c.forms) for c in rarest]
            rows = await self.archive.match_paragraphs_newest(fts_all(groups), CANDIDATES, filters)
        # Titles are few and short, but a common word is in thousands of them too.
        title_forms = [t for c in live for t, n in c.title_documents.items() if n <= TITLE_BUDGET]
        title_posts = (
            await self.archive.match_posts(fts_any(title_forms), TITLE_CANDIDATES, filters)
            if title_forms
            else []
        )
        searched = [post_id for post_id, _ in title_posts[:TITLE_POSTS_SEARCHED]]
        expression = fts_any(chosen)
        for post_id in searched:
            rows += await self.archive.match_paragraphs_in_post(expression, post_id, 20)
        rows += await self.archive.opening_paragraphs(
            (post_id for post_id, _ in title_posts), OPENING_PARAGRAPHS
        )
        # The paragraph under a matching heading is usually what the heading promises.
        headings = [row for row in rows if looks_like_heading(row.text)][:HEADINGS_FOLLOWED]
        rows += await self.archive.paragraphs_at((r.post_id, r.position + 1) for r in headings)
        unique: dict[int, ParagraphRow] = {}
        for row in rows:
            if row.id not in unique or row.bm25 < unique[row.id].bm25:
                unique[row.id] = row
        return list(unique.values())

    # --- titles ------------------------------------------------------------------------------

    async def _current_titles(self) -> _Titles:
        """The in-memory titles, rebuilt when another connection has committed since."""
        version = await self.archive.data_version()
        if self._titles is not None and self._titles.version == version:
            return self._titles
        async with self._refreshing:
            if self._titles is None or self._titles.version != version:
                rows = [
                    (post_id, title, fold(title), published or 0)
                    for post_id, title, published in await self.archive.titles()
                ]
                self._titles = _Titles(version, rows)
        return self._titles

    async def suggest_titles(self, prefix: str, limit: int = 25) -> list[StoredPost]:
        """Posts whose titles best match what has been typed so far (served from memory)."""
        limit = max(0, min(limit, 25))
        if limit == 0:
            return []
        rows = (await self._current_titles()).rows
        typed = " ".join(words_of(prefix))
        if not typed:
            ordered = sorted(rows, key=lambda row: row[3], reverse=True)[:limit]
        else:
            folded = {index: row[2] for index, row in enumerate(rows)}
            # Prefix and substring matches first; rapidfuzz catches typos and word order.
            exact = [i for i, title in folded.items() if typed in title]
            exact.sort(key=lambda i: (not folded[i].startswith(typed), -rows[i][3]))
            fuzzy = process.extract(typed, folded, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)
            order = list(dict.fromkeys(exact + [index for _, _, index in fuzzy]))[:limit]
            ordered = [rows[i] for i in order]
        posts = await self.archive.get_posts(row[0] for row in ordered)
        return [posts[row[0]] for row in ordered if row[0] in posts]

    async def did_you_mean(self, query: str, limit: int = 3) -> list[str]:
        """Corrected spellings of a query and titles close to it, for a search with no hits."""
        parsed = parse_query(query)
        if parsed.empty:
            return []
        titles = await self._current_titles()
        concepts = await expand(parsed, self.archive, await self.archive.paragraph_estimate())
        suggestions: list[str] = []
        by_word = {c.word: c for c in concepts}
        corrected = []
        for term in parsed.terms:
            concept = by_word.get(term)
            if concept is not None and concept.corrected and concept.forms:
                corrected.append(next(iter(concept.forms)))  # the closest, most common guess
            else:
                corrected.append(term)
        if corrected != list(parsed.terms):
            suggestions.append(" ".join(corrected))
        close = process.extract(
            " ".join(parsed.terms),
            {row[0]: row[2] for row in titles.rows},
            scorer=fuzz.WRatio,
            limit=limit,
            score_cutoff=60,
        )
        names = {row[0]: row[1] for row in titles.rows}
        suggestions += [names[post_id] for _, _, post_id in close]
        return list(dict.fromkeys(suggestions))[:limit]


def _hit(scored: Scored, posts: dict[int, StoredPost], parsed: ParsedQuery) -> Hit:
    row = scored.row
    terms = set(scored.matched) | set(parsed.keywords)
    return Hit(
        post=posts[row.post_id],
        paragraph=row.position,
        text=row.text,
        score=round(scored.score, 4),
        excerpt=make_excerpt(row.text, terms),
    )


def _single_candidates(rows: Sequence[ParagraphRow]) -> set[int]:
    """Posts with exactly one candidate paragraph (nothing to choose between)."""
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row.post_id] += 1
    return {post_id for post_id, count in counts.items() if count == 1}


def _spread(ranked: list[Scored], per_post: int) -> list[Scored]:
    """Keep rank order but let no post have more than `per_post` hits ahead of other posts."""
    taken: dict[int, int] = defaultdict(int)
    first, rest = [], []
    for item in ranked:
        taken[item.row.post_id] += 1
        (first if taken[item.row.post_id] <= per_post else rest).append(item)
    return first + rest
