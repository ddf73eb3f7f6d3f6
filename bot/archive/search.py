"""Search the archive: the entry point for the CLI and the bot.

    query -> parse (query.py) -> concepts: forms, variants, typo candidates (expand.py)
          -> candidates from FTS5, within a budget of postings (here)
          -> scores (rank.py) -> one post does not fill the page -> hits with excerpts (excerpt.py)

`Searcher.search()` returns `Hit`s; `unmatched()` names the query's words no post mentions and
`weak()` says when no hit answers the query well; `suggest_titles()` serves autocomplete from
memory; `did_you_mean()` offers corrections when nothing was found. None of them raises on any
string a user can type.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple
from urllib.parse import quote

from .excerpt import Excerpt, make_excerpt
from .expand import Concept, expand
from .models import StoredPost
from .query import ParsedQuery, parse_query, words_of
from .rank import Scored, coverage, looks_like_heading, rank
from .store import Archive, Filters, ParagraphRow
from .titles import TitleIndex

log = logging.getLogger(__name__)

Sort = Literal["relevance", "date"]
CANDIDATES = 100  # paragraphs ranked in Python per query
TITLE_CANDIDATES = 20  # posts found by title or author
TITLE_POSTS_SEARCHED = 3  # of those, posts whose own paragraphs are searched for the other words
OPENING_PARAGRAPHS = 3
TITLE_OPENINGS = 8  # posts found by title whose opening paragraphs join the candidates
HEADINGS_FOLLOWED = 20  # candidate headings whose next paragraph joins the candidates
# BM25 costs about a microsecond per posting; a query whose words are all common would read
# hundreds of thousands. Retrieval ranks with the rarest forms up to this many postings; when even
# the rarest exceeds it, it takes the newest paragraphs holding all the words instead.
POSTINGS_BUDGET = 4_500
TITLE_BUDGET = 1_500  # title postings; a word in thousands of titles says little about which post
MAX_CONCEPTS = 8  # words (with their forms) OR-ed in one FTS5 query
PER_POST = 2  # at most this many paragraphs of one post before every other post had its turn
DATE_SORT_POOL = 50  # with sort="date": the most relevant this many, newest first
# Up to this many posts the title index is rebuilt before answering (a few ms); beyond, the old
# index answers while a new one is built.
INLINE_TITLE_REBUILD = 5_000
# Below this share of the query (rank.coverage: keywords weighted by rarity) that the best hit's
# paragraph, title and author hold, the hits are shown as the closest, not as answers. Chosen on
# tests/search/queries.tsv and offtopic.tsv (bench/weak.py); the sealed set only reports it.
WEAK_COVERAGE = 0.5
EXPANDED_QUERIES = 64  # queries whose concepts are kept: unmatched() and weak() reuse search()'s


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


class RankingInputs(NamedTuple):
    """rank()'s arguments after the query: what search found to score."""

    concepts: list[Concept]
    rows: list[ParagraphRow]
    posts: dict[int, StoredPost]
    ledes: dict[int, str]


class Searcher:
    """Search over one archive."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self._titles: TitleIndex | None = None
        self._titles_seen: tuple[int, tuple[int, int, int]] | None = None  # data version, posts
        self._building = asyncio.Lock()
        self._rebuild: asyncio.Task[TitleIndex] | None = None
        self._expanded: OrderedDict[tuple, tuple[list[Concept], int]] = OrderedDict()

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
        if limit == 0:
            return []
        if parsed.links and (linked := await self.archive.posts_at(parsed.links)):
            return (await self._within_linked(parsed, linked))[offset : offset + limit]
        found = await self._ranking_inputs(
            parsed, Filters(author=author, after=after, before=before)
        )
        if found is None:
            return []
        posts = found.posts
        ranked = _spread(rank(parsed, *found), PER_POST)
        if sort == "date":
            pool = ranked[:DATE_SORT_POOL]
            pool.sort(key=lambda s: posts[s.row.post_id].published or datetime.min, reverse=True)
            ranked = pool + ranked[DATE_SORT_POOL:]
        window = ranked[offset : offset + limit]
        counted = await self.archive.get_posts(scored.row.post_id for scored in window)
        return [_hit(scored, counted, parsed) for scored in window]

    async def unmatched(self, query: str, hits: Sequence[Hit]) -> list[str]:
        """The query's words that no post mentions: not in the archive in any form, or only as a
        guessed correction that none of `hits` holds ("mesa" in "mesa optimization")."""
        parsed = parse_query(query)
        if parsed.empty:
            return []
        concepts = await self._concepts(parsed)
        shown = {word for hit in hits for word in words_of(f"{hit.text} {hit.post.title}")}
        return [
            concept.word
            for concept in concepts
            if not concept.forms or (concept.corrected and hits and shown.isdisjoint(concept.forms))
        ]

    async def weak(self, query: str, hits: Sequence[Hit]) -> bool:
        """True when hits were found but none answers the query well: the best of them holds less
        than WEAK_COVERAGE of it (see coverage())."""
        return bool(hits) and await self.coverage(query, hits) < WEAK_COVERAGE

    async def coverage(self, query: str, hits: Sequence[Hit]) -> float:
        """How much of the query the best of `hits` holds, 0..1: its keywords, weighted by rarity,
        in the paragraph, the post's title or its authors, in any indexed form (rank.coverage).
        1.0 for a query with no words, or with a link to a post the archive holds (the link
        says which post is meant)."""
        parsed = parse_query(query)
        if parsed.empty:
            return 1.0
        if not hits:
            return 0.0
        if parsed.links and await self.archive.posts_at(parsed.links):
            return 1.0
        concepts, total = await self._expansion(parsed)
        return max(coverage(concepts, _words_shown(hit), total) for hit in hits)

    async def _concepts(self, parsed: ParsedQuery) -> list[Concept]:
        """The query's keywords with their indexed forms and weights (expand.py)."""
        return (await self._expansion(parsed))[0]

    async def _expansion(self, parsed: ParsedQuery) -> tuple[list[Concept], int]:
        """The query's concepts and the paragraph count they were weighed against, kept for the
        next calls about the same query (a search, then unmatched() and weak() on its hits)
        until the archive changes."""
        last = parsed.terms[-1] if parsed.open_ended and parsed.terms else None
        key = (await self.archive.data_version(), parsed.keywords, last)
        if (kept := self._expanded.get(key)) is not None:
            self._expanded.move_to_end(key)
            return kept
        total = await self.archive.paragraph_estimate()
        kept = self._expanded[key] = (await expand(parsed, self.archive, total), total)
        while len(self._expanded) > EXPANDED_QUERIES:
            self._expanded.popitem(last=False)
        return kept

    async def _ranking_inputs(self, parsed: ParsedQuery, filters: Filters) -> RankingInputs | None:
        """What rank() scores for a query: its concepts, the candidate paragraphs, their posts and
        the opening paragraph of posts with several candidates (None when nothing can match).
        bench/fit.py fits the ranking's weights on these."""
        if parsed.empty:
            return None
        concepts = await self._concepts(parsed)
        if not any(concept.matchable for concept in concepts):
            return None
        rows = await self._candidates(concepts, filters)
        posts = await self.archive.get_posts({row.post_id for row in rows}, count_paragraphs=False)
        several = {row.post_id for row in rows} - _single_candidates(rows)
        ledes = {row.post_id: row.text for row in await self.archive.opening_paragraphs(several, 1)}
        return RankingInputs(concepts, rows, posts, ledes)

    async def matches_in_post(self, query: str, post_id: int, limit: int = 25) -> list[Hit]:
        """The paragraphs of one post that hold the query's words, in the order they appear."""
        parsed = parse_query(query)
        if parsed.empty or limit <= 0:
            return []
        concepts = await self._concepts(parsed)
        forms = [term for concept in concepts for term in concept.forms]
        if not forms:
            return []
        rows = await self.archive.match_paragraphs_in_post(forms, post_id, limit)
        posts = await self.archive.get_posts([post_id])
        if post_id not in posts:
            return []
        ranked = rank(parsed, concepts, rows, posts)
        ranked.sort(key=lambda scored: scored.row.position)
        return [_hit(scored, posts, parsed) for scored in ranked]

    async def _within_linked(self, parsed: ParsedQuery, post_ids: list[int]) -> list[Hit]:
        """A pasted link to a post in the archive says which post: the paragraphs of it that hold
        the query's other words, best first, or, with no other words (or none found), how it
        opens. Filters and sort do not apply: the link is more explicit than either."""
        posts = await self.archive.get_posts(post_ids)
        openings = await self.archive.opening_paragraphs(post_ids, OPENING_PARAGRAPHS)
        openings.sort(key=lambda row: row.position)
        ranked: list[Scored] = []
        if not parsed.empty:
            concepts = await self._concepts(parsed)
            forms = [term for c in concepts if c.matchable for term in c.forms]
            rows = []
            for post_id in post_ids if forms else ():
                rows += await self.archive.match_paragraphs_in_post(forms, post_id, CANDIDATES)
            ledes = {row.post_id: row.text for row in openings if row.position == 0}
            ranked = rank(parsed, concepts, rows, posts, ledes)
        if not ranked:
            for post_id in post_ids:  # its first paragraph that is more than a heading
                if own := [row for row in openings if row.post_id == post_id]:
                    row = next((r for r in own if not looks_like_heading(r.text)), own[0])
                    ranked.append(Scored(row, 1.0, frozenset()))
        return [_hit(scored, posts, parsed) for scored in ranked if scored.row.post_id in posts]

    async def _candidates(
        self, concepts: Sequence[Concept], filters: Filters
    ) -> list[ParagraphRow]:
        """Paragraphs worth scoring: FTS5 matches, and the best of the posts the title names."""
        live = [c for c in concepts if c.matchable]
        chosen, spent = _rarest(live, POSTINGS_BUDGET)
        if spent <= POSTINGS_BUDGET:
            rows = await self.archive.match_paragraphs(chosen, CANDIDATES, filters)
        else:  # every word is common: the newest paragraphs holding all of them
            rarest = sorted(live, key=lambda c: c.documents.get(_main_form(c), 0))[:3]
            groups = [list(c.forms) for c in rarest]
            rows = await self.archive.match_paragraphs_newest(groups, CANDIDATES, filters)
        # Titles are few and short, but a common word is in thousands of them too.
        in_titles = [c for c in live if any(c.title_documents.values())]
        title_forms, title_spent = _rarest(in_titles, TITLE_BUDGET, titles=True)
        if title_spent > TITLE_BUDGET:
            title_forms = []
        title_posts = (
            await self.archive.match_posts(title_forms, TITLE_CANDIDATES, filters)
            if title_forms
            else []
        )
        searched = [post_id for post_id, _ in title_posts[:TITLE_POSTS_SEARCHED]]
        for post_id in searched:
            rows += await self.archive.match_paragraphs_in_post(chosen, post_id, 20)
        rows += await self.archive.opening_paragraphs(
            (post_id for post_id, _ in title_posts[:TITLE_OPENINGS]), OPENING_PARAGRAPHS
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

    async def titles(self) -> TitleIndex:
        """The in-memory title index. After the archive changes, the old index keeps answering
        while a new one is built in a worker thread."""
        version = await self.archive.data_version()
        if self._titles is not None and self._titles_seen and self._titles_seen[0] == version:
            return self._titles
        fingerprint = await self.archive.titles_fingerprint()
        if self._titles is not None and self._titles_seen and self._titles_seen[1] == fingerprint:
            self._titles_seen = (version, fingerprint)  # feed state moved, titles did not
            return self._titles
        if self._titles is None or fingerprint[0] <= INLINE_TITLE_REBUILD:
            async with self._building:
                if self._titles_seen is None or self._titles_seen[1] != fingerprint:
                    await self._build_titles(version, fingerprint)
            return self._titles
        if self._rebuild is None or self._rebuild.done():
            self._rebuild = asyncio.create_task(self._build_titles(version, fingerprint))
            self._rebuild.add_done_callback(_log_failure)
        return self._titles

    async def _build_titles(self, version: int, fingerprint: tuple[int, int, int]) -> TitleIndex:
        index = await asyncio.to_thread(TitleIndex, await self.archive.titles())
        self._titles, self._titles_seen = index, (version, fingerprint)
        return index

    async def close(self) -> None:
        """Stop a title rebuild in progress."""
        if self._rebuild is not None:
            self._rebuild.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rebuild

    async def suggest_titles(self, prefix: str, limit: int = 25) -> list[StoredPost]:
        """Posts whose titles best match what has been typed so far (served from memory)."""
        limit = max(0, min(limit, 25))
        if limit == 0:
            return []
        chosen = [post_id for post_id, _ in (await self.titles()).suggest(prefix, limit)]
        posts = await self.archive.get_posts(chosen)
        return [posts[post_id] for post_id in chosen if post_id in posts]

    async def did_you_mean(self, query: str, limit: int = 3) -> list[str]:
        """Corrected spellings of a query and titles close to it, for a search with no hits."""
        parsed = parse_query(query)
        if parsed.empty:
            return []
        concepts = await self._concepts(parsed)
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
        titles = await self.titles()
        for query in dict.fromkeys([*suggestions, " ".join(parsed.keywords)]):
            suggestions += [title for _, title in titles.suggest(query + " ", limit)]
        if len(suggestions) < limit:  # too garbled for word-by-word correction: whole titles
            suggestions += await asyncio.to_thread(titles.closest, parsed.text, limit)
        return list(dict.fromkeys(suggestions))[:limit]


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("rebuilding the title index failed", exc_info=task.exception())


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


def _words_shown(hit: Hit) -> set[str]:
    """The words a hit shows: its paragraph, its post's title and authors."""
    people = " ".join(filter(None, (hit.post.author, *hit.post.coauthors)))
    return set(words_of(f"{hit.text} {hit.post.title} {people}"))


def _rarest(
    concepts: Sequence[Concept], budget: int, *, titles: bool = False
) -> tuple[list[str], int]:
    """The forms to retrieve with, and how many postings they hold.

    Concepts go rarest first, judged by the word as typed (or its best guess); each brings that
    form, then its other forms, as far as `budget` postings allow. A concept whose main form does
    not fit is left to scoring; at most MAX_CONCEPTS concepts are used (a pasted passage's rarest
    words find it as well as all of them). FTS5 pays per posting and, per term, per segment.
    When even the rarest main form exceeds the budget, it is returned alone, over budget.
    """

    def count(concept: Concept, term: str) -> int:
        return (concept.title_documents if titles else concept.documents).get(term, 0)

    ordered = sorted(concepts, key=lambda c: count(c, _main_form(c)))
    chosen, spent = [], 0
    for concept in ordered[:MAX_CONCEPTS]:
        if spent + count(concept, _main_form(concept)) > budget:
            continue
        for term in sorted(concept.forms, key=lambda t: (-concept.forms[t], count(concept, t))):
            found = count(concept, term)
            if found and spent + found <= budget:
                chosen.append(term)
                spent += found
    if not chosen and ordered:
        rarest = _main_form(ordered[0])
        return [rarest], count(ordered[0], rarest)
    return chosen, spent


def _main_form(concept: Concept) -> str:
    """The form that stands for a concept first: as typed, or the best guess at a typo."""
    return max(concept.forms, key=lambda t: (concept.forms[t], -concept.documents.get(t, 0)))


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
