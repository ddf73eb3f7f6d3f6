"""Plain data of the announcement feature: feeds, subscriptions, outbox rows and announcements.

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from ..archive.query import WORD, fold

MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 60
MAX_URL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Feed:
    """A followed feed and the state of its polling."""

    id: int
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    last_poll: datetime | None
    last_status: int | None  # None: no HTTP answer at all (timeout, refused, ...)
    last_success: datetime | None
    polls: int
    not_modified: int  # how many of `polls` were answered 304
    consecutive_failures: int
    next_poll: datetime | None  # None: as soon as possible
    retry_after_until: datetime | None
    paused_at: datetime | None
    last_error: str | None
    items_at: datetime | None  # when the feed's visible items were last read (None: never)

    @property
    def name(self) -> str:
        """The feed's title, or its host name before the first successful fetch."""
        return self.title or urlsplit(self.url).hostname or self.url

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    @property
    def not_modified_share(self) -> float | None:
        """Share of polls answered 304 (None before the first poll)."""
        return self.not_modified / self.polls if self.polls else None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel following a feed."""

    id: int
    guild_id: int
    channel_id: int
    feed_id: int
    feed_url: str
    feed_title: str | None
    role_id: int | None
    keywords: tuple[str, ...]
    baseline_pending: bool  # True until the feed's backlog at subscription time is marked seen
    broken_at: datetime | None
    broken_reason: str | None
    created_at: datetime

    @property
    def broken(self) -> bool:
        return self.broken_at is not None


class OutboxState(enum.StrEnum):
    """Life of an outbox row. Only pending, claimed and sent ever reach Discord."""

    BASELINE = "baseline"  # in the feed when the channel subscribed: never announced
    FILTERED = "filtered"  # did not match the subscription's keywords
    DUPLICATE = "duplicate"  # announced in the same channel through another subscription
    PENDING = "pending"
    CLAIMED = "claimed"  # a send may have happened: look for the nonce before sending again
    SENT = "sent"
    FAILED = "failed"  # Discord rejected the message itself; retrying would not help


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One (subscription, post) announcement, or one notice, and where it stands."""

    id: int
    subscription_id: int
    post_id: int | None  # None for a notice
    notice: str | None
    state: OutboxState
    nonce: str | None
    attempts: int
    message_id: int | None
    error: str | None
    not_before: int  # unix seconds; a deferred send, or a held pending post, waits until then


@dataclass(frozen=True, slots=True)
class Group:
    """Outbox rows that go out as one message, under one nonce."""

    nonce: str
    rows: tuple[OutboxRow, ...]

    @property
    def post_ids(self) -> list[int]:
        return [row.post_id for row in self.rows if row.post_id is not None]

    @property
    def notice(self) -> str | None:
        return next((row.notice for row in self.rows if row.notice is not None), None)

    @property
    def attempts(self) -> int:
        return max((row.attempts for row in self.rows), default=0)

    @property
    def not_before(self) -> int:
        return max((row.not_before for row in self.rows), default=0)


class AnnouncementKind(enum.StrEnum):
    POST = "post"  # one new post
    DIGEST = "digest"  # several posts in one message (a burst, or what was missed)
    NOTICE = "notice"  # about the feed itself (paused); mentions nobody


@dataclass(frozen=True, slots=True)
class AnnouncedPost:
    """One post as an announcement shows it."""

    post_id: int
    title: str
    url: str  # the post's link, or a search for its title when it has none
    author: str | None
    published: datetime | None  # the date the archive first saw, not a later re-dating
    excerpt: str  # the opening, plain text, cut at a word boundary


@dataclass(frozen=True, slots=True)
class Announcement:
    """What to post in a channel, as data; the Discord layer renders it (embeds, mentions)."""

    kind: AnnouncementKind
    feed_title: str
    feed_url: str
    posts: tuple[AnnouncedPost, ...] = ()  # oldest first; one for POST, several for DIGEST
    role_id: int | None = None  # the one role that may be mentioned (never for a NOTICE)
    notice: str | None = None  # the text of a NOTICE

    @property
    def post_urls(self) -> tuple[str, ...]:
        return tuple(post.url for post in self.posts)


def normalize_feed_url(url: str) -> str:
    """A feed URL as stored, or ValueError saying what is wrong with it."""
    url = url.strip()
    if not url:
        raise ValueError("the feed URL is empty")
    if len(url) > MAX_URL_CHARS:
        raise ValueError(f"the feed URL is longer than {MAX_URL_CHARS} characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


def parse_keywords(text: str | None) -> tuple[str, ...]:
    """Comma-separated keywords (phrases allowed), folded; ValueError when unusable."""
    if not text or not text.strip():
        return ()
    keywords: list[str] = []
    for raw in text.split(","):
        words = [fold(word) for word in WORD.findall(raw)]
        if not words:
            if raw.strip():
                raise ValueError(f"keyword {raw.strip()!r} has no letters or digits")
            continue
        phrase = " ".join(words)
        if len(phrase) > MAX_KEYWORD_CHARS:
            raise ValueError(f"keyword {raw.strip()!r} is longer than {MAX_KEYWORD_CHARS} chars")
        if phrase not in keywords:
            keywords.append(phrase)
    if len(keywords) > MAX_KEYWORDS:
        raise ValueError(f"at most {MAX_KEYWORDS} keywords (got {len(keywords)})")
    return tuple(keywords)


def matches_keywords(keywords: tuple[str, ...], title: str, paragraphs: list[str]) -> bool:
    """Whether any keyword (a whole word or phrase) occurs in the title or the body."""
    if not keywords:
        return True
    words = " ".join(fold(word) for word in WORD.findall(" ".join([title, *paragraphs])))
    padded = f" {words} "
    return any(f" {keyword} " in padded for keyword in keywords)
