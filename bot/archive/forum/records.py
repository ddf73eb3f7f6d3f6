"""The listing query, and what its answers become: a `Post` per record, or a reason to skip one.

The query uses the `input: {terms}` form, which LessWrong, the Alignment Forum and the EA Forum all
accept (the `selector:` form is LessWrong's alone), and asks only for fields every site's schema
has: an unknown field would fail the whole query.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..html import html_to_paragraphs
from ..models import Post
from ..text import clean_text
from .sites import Site

QUERY = (
    "query Archive($input: MultiPostInput) { posts(input: $input) { results { "
    "_id title slug pageUrl postedAt modifiedAt baseScore commentCount af question isEvent url "
    "user { displayName username } coauthors { displayName } tags { name } contents { html } "
    "} } }"
)


@dataclass(frozen=True, slots=True)
class Record:
    """One listing result, read far enough to page with it (its body not parsed yet)."""

    id: str | None
    posted: datetime | None
    modified: datetime | None
    is_event: bool
    raw: dict[str, Any]


def read_record(raw: Any) -> Record:
    """The paging fields of one result; anything unreadable becomes None (skipped later)."""
    if not isinstance(raw, dict):
        return Record(None, None, None, False, {})
    post_id = raw.get("_id")
    return Record(
        post_id if isinstance(post_id, str) and post_id else None,
        parse_date(raw.get("postedAt")),
        parse_date(raw.get("modifiedAt")),
        raw.get("isEvent") is True,
        raw,
    )


def post_from_record(record: Record, site: Site) -> Post:
    """The archive's Post for a listing result; ValueError (with the reason) if it is unusable."""
    raw = record.raw
    if record.id is None:
        raise ValueError("no _id")
    if record.posted is None:
        raise ValueError(f"unreadable postedAt {raw.get('postedAt')!r}")
    title = clean_text(_string(raw, "title") or "")
    if not title:
        raise ValueError("no title")
    contents = raw.get("contents")
    html = contents.get("html") if isinstance(contents, dict) else None
    paragraphs = tuple(html_to_paragraphs(html)) if isinstance(html, str) else ()
    link = clean_text(_string(raw, "url") or "") or None
    if not paragraphs and link:
        paragraphs = (f"Linkpost: {link}",)  # a link and a title are still worth finding
    if not paragraphs:
        raise ValueError(f"{title!r} has no text")
    user = raw.get("user")
    page_url = _string(raw, "pageUrl")
    return Post(
        title=title,
        paragraphs=paragraphs,
        published=record.posted,
        url=site.page_url(page_url) if page_url else None,
        guid=record.id,
        author=_name(user),
        coauthors=tuple(name for name in map(_name, _list(raw, "coauthors")) if name),
        tags=tuple(
            clean_text(tag["name"])
            for tag in _list(raw, "tags")
            if isinstance(tag, dict) and isinstance(tag.get("name"), str) and tag["name"].strip()
        ),
        karma=_whole(raw.get("baseScore")),
        comments=_whole(raw.get("commentCount")),
        af=raw["af"] if isinstance(raw.get("af"), bool) else None,
        link_url=link,
    )


def parse_date(value: Any) -> datetime | None:
    """A Date the API sends (`2019-05-31T23:42:33.149Z`), or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_date(moment: datetime) -> str:
    """The form the API is sent dates in: full ISO-8601 with milliseconds and Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def next_millisecond(moment: datetime) -> datetime:
    """The first moment after `moment` the API can tell apart (its dates have milliseconds)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) + timedelta(milliseconds=1)


def _string(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _name(user: Any) -> str | None:
    """A user's display name; None for a deleted account (the API sends `user: null`)."""
    if not isinstance(user, dict):
        return None
    return clean_text(user.get("displayName") or user.get("username") or "") or None


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(value)
