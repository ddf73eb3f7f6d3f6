"""How ForumMagnum answers a `posts` listing: views, terms, limits and the access filter.

Each rule cites the server code it follows (ForumMagnum @ 1b45da5, see
shared/reference/forummagnum-api.md): `view` picks a sort and an unknown view silently falls back
to the default one; `after` is inclusive and `before` exclusive on `postedAt` or `timeField`;
`limit` is clamped to 5000 (and a missing one means 5000); `offset` above 2000 is an error; drafts,
unlisted, rejected and shortform posts never appear; posts visible to logged-in users only are
dropped *after* the limit, so pages come back short in the middle of a listing.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import GraphQLError

MAX_DOCUMENTS_PER_REQUEST = 5000  # maxDocumentsPerRequest, LW/AF prod (sharedSettings.ts L155)
MAX_ALLOWED_API_SKIP = 2000  # maxAllowedApiSkip (instanceSettings.ts L183)
DATE_FIELDS = {"postedAt", "modifiedAt", "createdAt", "frontpageDate", "curatedDate"}


@dataclass
class FakePost:
    """A post as the fake forum's database holds it, hidden states included."""

    _id: str
    title: str
    postedAt: datetime
    html: str | Callable[[], str] = "<p>Body.</p>"
    slug: str = ""
    modifiedAt: datetime | None = None
    createdAt: datetime | None = None
    baseScore: float = 10.0
    voteCount: float = 5.0
    commentCount: float = 0.0
    af: bool = False
    question: bool = False
    isEvent: bool = False
    url: str | None = None  # a linkpost's external link
    user: dict[str, Any] | None = field(
        default_factory=lambda: {"_id": "u1", "displayName": "Ann Author", "username": "ann"}
    )  # None: a deleted account
    coauthors: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # States that keep a post out of every listing, or out of anonymous ones.
    draft: bool = False
    unlisted: bool = False
    shortform: bool = False
    rejected: bool = False
    status: int = 2  # 2: approved
    onlyVisibleToLoggedIn: bool = False
    contents_missing: bool = False  # a post whose revision is gone: contents is null

    def __post_init__(self) -> None:
        if not self.slug:
            self.slug = "-".join(self.title.lower().split())[:60] or "untitled"
        if self.modifiedAt is None:
            self.modifiedAt = self.postedAt
        if self.createdAt is None:
            self.createdAt = self.postedAt

    def body(self) -> str:
        return self.html() if callable(self.html) else self.html


def listed(post: FakePost) -> bool:
    """The default view's base selector (views.ts L136-150)."""
    return (
        post.status == 2
        and not post.draft
        and not post.unlisted
        and not post.shortform
        and not post.rejected
    )


# views.ts PostsViews: the sort each view applies. An unknown name is ignored (viewUtils.ts only
# applies a view that exists), leaving the default view's fallback sort: createdAt descending.
_SORTS: dict[str, list[tuple[str, int]]] = {
    "old": [("postedAt", 1)],
    "new": [("postedAt", -1)],
    "top": [("baseScore", -1)],
    "magic": [("baseScore", -1)],
    "timeframe": [("baseScore", -1)],
    "rss": [("postedAt", -1)],
    "default": [("createdAt", -1)],
}


def parse_moment(value: Any) -> datetime:
    """moment(value) as the server reads `after` and `before` (a bare date: midnight UTC here)."""
    if not isinstance(value, str):
        raise GraphQLError(f"Invalid date: {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GraphQLError(f"Invalid date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def oldest_first(posts: list[FakePost]) -> list[FakePost]:
    """The "old" view's order: postedAt ascending, then `_id` descending."""
    ordered = sorted(posts, key=lambda post: post._id, reverse=True)
    ordered.sort(key=lambda post: post.postedAt)
    return ordered


def select(
    posts: list[FakePost], terms: dict[str, Any], *, old_order: list[FakePost] | None = None
) -> tuple[list[FakePost], int]:
    """The posts a listing with these terms returns, and how many matched before the limit.

    `old_order` (oldest_first(posts), for an archive that does not change) lets a `view: "old"`
    listing by postedAt start at its `after` by bisection instead of sorting every post: the same
    answer, fast enough for a benchmark of 100k posts. Its total is then a lower bound.
    """
    if not isinstance(terms, dict):
        raise GraphQLError("terms must be an object")
    view = terms.get("view")
    sort = _SORTS.get(view) if isinstance(view, str) else None
    sort = sort or _SORTS["default"]
    time_field = terms.get("timeField") or "postedAt"
    if time_field not in DATE_FIELDS:
        raise GraphQLError(f"Invalid timeField: {time_field}")
    after = parse_moment(terms["after"]) if terms.get("after") else None
    before = parse_moment(terms["before"]) if terms.get("before") else None

    def wanted(post: FakePost) -> bool:
        if not listed(post):
            return False
        moment = getattr(post, time_field)
        if after is not None and (moment is None or moment < after):
            return False
        if before is not None and (moment is None or moment >= before):
            return False
        if terms.get("excludeEvents") and post.isEvent:
            return False
        for exact in ("af", "question", "userId"):
            if exact in terms and terms[exact] is not None:
                value = (post.user or {}).get("_id") if exact == "userId" else getattr(post, exact)
                if value != terms[exact]:
                    return False
        threshold = terms.get("karmaThreshold")
        return not threshold or post.baseScore >= threshold  # 0 is ignored: a known bug

    limit = terms.get("limit")
    if not isinstance(limit, int) or limit < 1 or limit > MAX_DOCUMENTS_PER_REQUEST:
        limit = MAX_DOCUMENTS_PER_REQUEST  # clamped, never refused (viewUtils.ts L141-144)
    offset = terms.get("offset") or 0
    if not isinstance(offset, int):
        raise GraphQLError("offset must be an integer")
    if offset > MAX_ALLOWED_API_SKIP:
        raise GraphQLError("Exceeded maximum value for skip")
    if old_order is not None and view == "old" and time_field == "postedAt":
        start = bisect.bisect_left(old_order, after, key=lambda post: post.postedAt) if after else 0
        matching = []
        for post in itertools.islice(old_order, start, None):
            if before is not None and post.postedAt >= before:
                break
            if wanted(post):
                matching.append(post)
                if len(matching) >= offset + limit:
                    break
        page = matching[offset : offset + limit]
        return [post for post in page if not post.onlyVisibleToLoggedIn], len(matching)

    matching = [post for post in posts if wanted(post)]
    # Sort keys in order, then `_id: -1` as the last tie-break (viewUtils.ts L115-128).
    matching.sort(key=lambda post: post._id, reverse=True)
    for key, direction in reversed(sort):
        matching.sort(key=lambda post: getattr(post, key), reverse=direction < 0)

    page = matching[offset : offset + limit]
    # postCheckAccess runs after the SQL LIMIT (accessFilters.ts L226-252).
    return [post for post in page if not post.onlyVisibleToLoggedIn], len(matching)


def one_millisecond_later(moment: datetime) -> datetime:
    return moment + timedelta(milliseconds=1)
