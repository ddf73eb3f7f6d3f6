"""What the bot answers, without Discord: searches in pages, posts found by title, previews, stats.

The cogs call one of these per interaction and hand the result to `render`. Everything a user typed
is checked here; a problem raises `BadInput` with a message meant for that user.

May import: bot.archive, bot.feeds, bot.services; never discord.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from ..archive.models import StoredPost
from ..archive.query import STOPWORDS, words_of
from ..archive.search import Hit, Searcher
from ..archive.store import Archive, ArchiveStats
from ..feeds.models import Feed
from ..feeds.store import FeedStore
from .dates import DateError, parse_date
from .sessions import SearchSession, SessionStore

log = logging.getLogger(__name__)

PAGE_SIZE = 5
MAX_RESULTS = 100  # the searcher returns at most this many hits for one query
QUERY_CHARS = 2000  # longer queries are cut; search itself looks at no more than this
AUTHOR_CHARS = 100
TITLE_CHARS = 300
MORE_FROM_POST = 8  # paragraphs shown by "more from this post"
OPENING_CHARS = 1200  # opening paragraphs shown by /post, about a screen
WORDS_PER_MINUTE = 238
POST_VALUE = re.compile(r"post:(\d{1,19})")  # an autocomplete choice's value


class BadInput(ValueError):
    """Something a user typed that we cannot use; str() is the message for them (plain text)."""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A checked search: the query and its optional filters."""

    query: str
    author: str | None = None
    after: datetime | None = None
    before: datetime | None = None

    @classmethod
    def parse(
        cls,
        query: str | None,
        author: str | None = None,
        after: str | None = None,
        before: str | None = None,
        *,
        now: datetime | None = None,
    ) -> SearchRequest:
        """Check what the user typed; raise BadInput with a message for them if it is unusable."""
        text = " ".join((query or "").split())[:QUERY_CHARS]
        if not text:
            raise BadInput("Type something to search for, like: activation oracles")
        author = " ".join((author or "").split())[:AUTHOR_CHARS] or None
        start = _date("after", after, now)
        end = _date("before", before, now)
        if start is not None and end is not None and start >= end:
            raise BadInput(
                f"“after” ({start:%Y-%m-%d}) must be earlier than “before” ({end:%Y-%m-%d})."
            )
        return cls(text, author, start, end)

    @classmethod
    def from_session(cls, session: SearchSession) -> SearchRequest:
        """The request a stored session made."""
        return cls(session.query, session.author, session.after, session.before)

    @property
    def filtered(self) -> bool:
        """True when an author or date filter narrows the search."""
        return bool(self.author or self.after or self.before)


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results (or none, with suggestions), and what its buttons need."""

    request: SearchRequest
    page: int
    hits: list[Hit]
    has_next: bool
    session_id: int | None = None  # None: the session could not be stored, so no buttons
    suggestions: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # query words no post mentions
    weak: bool = False  # no hit answers the query well: they are only the closest (first page)

    @property
    def first_rank(self) -> int:
        """The 1-based rank of the page's first hit."""
        return self.page * PAGE_SIZE + 1


@dataclass(frozen=True, slots=True)
class PostMatches:
    """The paragraphs of one post that match a search."""

    request: SearchRequest
    post: StoredPost
    hits: list[Hit]  # the first MORE_FROM_POST, in reading order
    total: int  # how many matched in all


@dataclass(frozen=True, slots=True)
class PostPreview:
    """A post with its opening paragraphs and length, for /post and /random."""

    post: StoredPost
    opening: list[str]
    words: int

    @property
    def reading_minutes(self) -> int:
        """Minutes to read the whole post, at 238 words a minute."""
        return max(1, round(self.words / WORDS_PER_MINUTE))


@dataclass(frozen=True, slots=True)
class Overview:
    """What /stats shows: the archive, and every feed the poller knows with its health."""

    archive: ArchiveStats
    feeds: list[Feed]


@dataclass(frozen=True, slots=True)
class PostLookup:
    """What a typed title found: the post, or the closest titles to offer instead."""

    text: str
    post: StoredPost | None
    suggestions: list[StoredPost] = field(default_factory=list)


class Answers:
    """The bot's questions and answers over one archive."""

    def __init__(self, archive: Archive, searcher: Searcher, sessions: SessionStore):
        self.archive = archive
        self.searcher = searcher
        self.sessions = sessions

    # --- search ------------------------------------------------------------------------------

    async def search(self, request: SearchRequest, user_id: int) -> SearchPage:
        """The first page of a new search, remembered so its buttons work later."""
        page = await self.page(request, 0)
        try:
            session_id = await self.sessions.remember(
                user_id, request.query, request.author, request.after, request.before
            )
        except Exception:  # a locked or read-only database: answer anyway, without buttons
            log.warning("could not store a search session; replying without buttons", exc_info=True)
            return page
        return SearchPage(
            request,
            page.page,
            page.hits,
            page.has_next,
            session_id,
            page.suggestions,
            page.unmatched,
            page.weak,
        )

    async def page(
        self, request: SearchRequest, page: int, session_id: int | None = None
    ) -> SearchPage:
        """Page `page` (0-based) of a search; on an empty first page, "did you mean" suggestions.
        Whether the hits are weak is judged on the first page, where the best hits are: a later
        page of a well-answered search is weaker by design, and says nothing about the search."""
        page = max(0, min(page, MAX_RESULTS // PAGE_SIZE - 1))
        hits = await self.searcher.search(
            request.query,
            PAGE_SIZE + 1,
            author=request.author,
            after=request.after,
            before=request.before,
            offset=page * PAGE_SIZE,
        )
        has_next = len(hits) > PAGE_SIZE and (page + 1) * PAGE_SIZE < MAX_RESULTS
        suggestions = []
        if not hits and page == 0:
            suggestions = await self.searcher.did_you_mean(request.query)
        unmatched = await self.searcher.unmatched(request.query, hits[:PAGE_SIZE])
        weak = page == 0 and await self.searcher.weak(request.query, hits[:PAGE_SIZE])
        return SearchPage(
            request, page, hits[:PAGE_SIZE], has_next, session_id, suggestions, unmatched, weak
        )

    async def session(self, session_id: int) -> SearchSession | None:
        """A stored search, or None when it has expired."""
        return await self.sessions.recall(session_id)

    async def more_from_post(self, request: SearchRequest, post_id: int) -> PostMatches | None:
        """The paragraphs of one post that match the search, in the order they appear."""
        post = await self.archive.get_post(post_id)
        if post is None:
            return None
        mine = await self.searcher.matches_in_post(request.query, post_id, MAX_RESULTS)
        return PostMatches(request, post, mine[:MORE_FROM_POST], len(mine))

    # --- posts -------------------------------------------------------------------------------

    async def title_choices(self, typed: str, limit: int = 25) -> list[StoredPost]:
        """Posts whose titles fit what has been typed so far, for autocomplete."""
        return await self.searcher.suggest_titles(typed[:TITLE_CHARS], limit)

    async def find_post(self, text: str) -> PostLookup:
        """The post a /post title names: a picked autocomplete choice, or a typed title, fuzzily."""
        typed = " ".join((text or "").split())[:TITLE_CHARS]
        if not typed:
            raise BadInput("Type a title, or pick one from the list as you type.")
        if match := POST_VALUE.fullmatch(typed):
            post = await self.archive.get_post(int(match.group(1)))
            if post is not None:
                return PostLookup(typed, post)
        candidates = await self.searcher.suggest_titles(typed, 25)
        scored = sorted(
            ((_title_score(typed, post.title), post) for post in candidates),
            key=lambda item: item[0],
            reverse=True,
        )
        if not scored:
            return PostLookup(typed, None)
        best_score, best = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        if best_score >= 80 and best_score - runner_up >= 3:
            return PostLookup(typed, best)
        return PostLookup(typed, None, [post for score, post in scored[:3] if score >= 50])

    async def preview(self, post_id: int) -> PostPreview | None:
        """A post's opening paragraphs and reading time."""
        post = await self.archive.get_post(post_id)
        if post is None:
            return None
        paragraphs = await self.archive.get_paragraphs(post_id)
        opening, used = [], 0
        for paragraph in paragraphs:
            if opening and used + len(paragraph) > OPENING_CHARS:
                break
            opening.append(paragraph)
            used += len(paragraph)
        words = sum(len(paragraph.split()) for paragraph in paragraphs)
        return PostPreview(post, opening, words)

    async def random_preview(self) -> PostPreview | None:
        """A random post's preview, or None if the archive is empty."""
        post = await self.archive.random_post()
        return None if post is None else await self.preview(post.id)

    async def recent(self, count: int) -> list[StoredPost]:
        """The newest posts, newest first."""
        return await self.archive.recent_posts(max(1, min(count, 25)))

    async def stats(self) -> ArchiveStats:
        """Size, date range and sources of the archive."""
        return await self.archive.stats()

    async def overview(self) -> Overview:
        """The archive's stats and the feeds' polling health, for /stats."""
        return Overview(await self.archive.stats(), await FeedStore(self.archive).feeds())


def _date(name: str, text: str | None, now: datetime | None) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_date(text, now=now)
    except DateError:
        shown = text.strip()[:40]
        raise BadInput(
            f"{name}: I can't read “{shown}” as a date. Write it like 2026-06-04 "
            "(or 4 June 2026, yesterday, 3 days ago)."
        ) from None


def _title_score(typed: str, title: str) -> float:
    if typed.casefold() == title.casefold():
        return 101.0
    return fuzz.WRatio(typed, title, processor=default_process)


def unmatched_note(unmatched: Sequence[str], query: str) -> str:
    """ "No post mentions *mesa*; showing results for *optimization*." ("" when all matched)."""
    if not unmatched:
        return ""
    missing = set(unmatched)
    rest = [w for w in dict.fromkeys(words_of(query)) if w not in missing and w not in STOPWORDS]
    said = ", ".join(f"*{word}*" for word in unmatched)
    if not rest:
        return f"No post mentions {said}."
    return f"No post mentions {said}; showing results for " + " ".join(f"*{w}*" for w in rest) + "."


WEAK_NOTE = "Nothing in the archive matches this well; the closest paragraphs:"


def weak_note(weak: bool) -> str:
    """What to say above hits that do not answer the query well ("" when they do). It names no
    query word, so it needs no escaping; with unmatched_note() it goes second, above the hits."""
    return WEAK_NOTE if weak else ""


def search_notes(unmatched: Sequence[str], weak: bool, query: str) -> list[str]:
    """The notes above a search's hits, in the order they are shown (the CLI and Discord alike):
    the words no post mentions (only words of [^\\W_]: no markdown), then whether the hits are
    only the closest (fixed text)."""
    return [note for note in (unmatched_note(unmatched, query), weak_note(weak)) if note]
