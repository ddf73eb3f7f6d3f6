"""Plain data passed between parsers, the store and search.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote_plus

# LessWrong and its mirror GreaterWrong put a post's 17-character id in the URL: /posts/<id>/<slug>.
_LW_POST_URL = re.compile(
    r"^https?://(?:www\.)?(?:lesswrong\.com|greaterwrong\.com)/posts/([A-Za-z0-9]{17})(?:[/?#]|$)"
)
LESSWRONG_SEARCH = "https://www.lesswrong.com/search?query="


@dataclass(frozen=True, slots=True)
class Post:
    """One post as a source presents it, before it meets the archive."""

    title: str
    paragraphs: tuple[str, ...]
    published: datetime | None = None
    url: str | None = None
    guid: str | None = None
    author: str | None = None
    # What a forum knows besides (see forum/records.py); feeds and dumps leave them empty.
    coauthors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    karma: int | None = None
    comments: int | None = None
    af: bool | None = None  # also on the Alignment Forum
    link_url: str | None = None  # a linkpost's external link

    def __post_init__(self) -> None:
        if self.published is not None and self.published.tzinfo is None:
            raise ValueError("Post.published must be timezone-aware")


@dataclass(slots=True)
class SourceDocument:
    """What a parser made of one source: its posts, in source order, and what it had to skip."""

    location: str
    kind: str  # "dump" | "feed" | "jsonl" | "forum"
    posts: Iterable[Post]  # a list, or (a large JSONL import) an iterator read while ingesting
    title: str | None = None
    warnings: list[str] = field(default_factory=list)
    # A feed's links to more of its history: rel -> URL ("prev-archive", "next"; RFC 5005).
    links: dict[str, str] = field(default_factory=dict)
    generator: str | None = None  # the software that made a feed ("https://wordpress.org/?v=6.5")
    # True when the parser ran every paragraph through text.clean_text: the store then checks only
    # the short fields for control characters, not every paragraph again (7% of a bulk import).
    cleaned: bool = False


@dataclass(frozen=True, slots=True)
class StoredPost:
    """A post as the archive holds it."""

    id: int
    title: str
    url: str | None
    guid: str | None
    author: str | None
    published: datetime | None
    paragraph_count: int = 0
    coauthors: tuple[str, ...] = ()
    karma: int | None = None
    comments: int | None = None
    af: bool | None = None
    link_url: str | None = None

    @property
    def authors(self) -> str | None:
        """The author and coauthors as one line ("Ann, Bo and Cy"), or None when unknown."""
        names = [name for name in (self.author, *self.coauthors) if name]
        if len(names) <= 1:
            return names[0] if names else None
        return ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def link(self) -> str:
        """The post's URL, or a LessWrong search for its title when no URL is known."""
        return self.url or LESSWRONG_SEARCH + quote_plus(self.title)


def guid_from_url(url: str | None) -> str | None:
    """The LessWrong post id in a lesswrong.com or greaterwrong.com post URL, if there is one."""
    if not url:
        return None
    match = _LW_POST_URL.match(url)
    return match.group(1) if match else None


def to_timestamp(moment: datetime | None) -> int | None:
    """Seconds since the epoch, for storage."""
    return None if moment is None else int(moment.timestamp())


def from_timestamp(seconds: int | None) -> datetime | None:
    """The inverse of to_timestamp: an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def isoformat(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC with a trailing Z, the form every JSON output uses."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
