"""JSON Lines import/export: one post per line, for backups, migrations and bulk loads.

Each line is an object with `title`, `url`, `guid`, `author`, `published` (ISO-8601) and either
`paragraphs` (a list of strings) or `html`. Only `title` and a body are required. Posts from a
forum also carry `coauthors` and `tags` (lists of strings), `karma` and `comments` (integers), `af`
(true for Alignment Forum posts) and `link_url` (a linkpost's link); export writes these only when
they are known.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .html import html_to_paragraphs
from .models import Post, SourceDocument, isoformat
from .text import clean_text

log = logging.getLogger(__name__)

# json.dumps escapes C0 controls; these it leaves raw, and a terminal obeys some (\x9b is CSI).
_UNESCAPED_CONTROLS = re.compile("[\x7f-\x9f]")


class JsonlError(ValueError):
    """The file cannot be read as JSON Lines at all."""


def parse_jsonl(path: Path | str) -> SourceDocument:
    """Read every post of a JSONL file; bad lines are skipped with a warning naming the line."""
    document = stream_jsonl(path)
    document.posts = list(document.posts)
    return document


def stream_jsonl(path: Path | str) -> SourceDocument:
    """A JSONL file whose posts are read as they are consumed, so that a large import never sits
    in memory whole. Warnings accumulate in `warnings` while the posts are read; a file with no
    readable post raises JsonlError at its end (inside the ingest, which then rolls back)."""
    path = Path(path)
    warnings: list[str] = []
    return SourceDocument(
        str(path), "jsonl", _read_file(path, warnings), warnings=warnings, cleaned=True
    )


def parse_jsonl_lines(lines: Iterable[str], location: str) -> SourceDocument:
    """Read posts from JSONL text lines."""
    warnings: list[str] = []
    posts = list(_read_lines(lines, location, warnings))
    return SourceDocument(location, "jsonl", posts, warnings=warnings, cleaned=True)


def _read_file(path: Path, warnings: list[str]) -> Iterator[Post]:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            yield from _read_lines(handle, str(path), warnings)
    except UnicodeDecodeError as exc:
        raise JsonlError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _read_lines(lines: Iterable[str], location: str, warnings: list[str]) -> Iterator[Post]:
    found = False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            post = post_from_json(json.loads(line))
        except (ValueError, TypeError) as exc:
            warnings.append(f"{location}:{number}: {exc}; line skipped")
            log.warning("%s", warnings[-1])
            continue
        found = True
        yield post
    if not found and warnings:
        raise JsonlError(f"{location}: no readable posts; first problem: {warnings[0]}")


def post_from_json(record: Any) -> Post:
    """One JSON object -> Post; raises ValueError with a readable reason."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    title = clean_text(_optional_str(record, "title") or "")
    if not title:
        raise ValueError("no title")
    if "paragraphs" in record:
        raw = record["paragraphs"]
        if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
            raise ValueError("'paragraphs' must be a list of strings")
        paragraphs = tuple(p for p in map(clean_text, raw) if p)
    else:
        paragraphs = tuple(html_to_paragraphs(_optional_str(record, "html") or ""))
    if not paragraphs:
        raise ValueError(f"{title!r} has no body ('paragraphs' or 'html')")
    af = record.get("af")
    if af is not None and not isinstance(af, bool):
        raise ValueError("'af' must be true or false")
    return Post(
        title=title,
        paragraphs=paragraphs,
        published=_parse_time(_optional_str(record, "published")),
        url=_optional_str(record, "url"),
        guid=_optional_str(record, "guid"),
        author=clean_text(_optional_str(record, "author") or "") or None,
        coauthors=_names(record, "coauthors"),
        tags=_names(record, "tags"),
        karma=_optional_int(record, "karma"),
        comments=_optional_int(record, "comments"),
        af=af,
        link_url=_optional_str(record, "link_url"),
    )


def post_to_json(post: Post) -> dict[str, Any]:
    """The JSONL record of a post (forum fields only when known)."""
    record: dict[str, Any] = {
        "title": post.title,
        "url": post.url,
        "guid": post.guid,
        "author": post.author,
        "published": isoformat(post.published),
    }
    optional = {
        "coauthors": list(post.coauthors),
        "tags": list(post.tags),
        "karma": post.karma,
        "comments": post.comments,
        "af": post.af,
        "link_url": post.link_url,
    }
    record.update((key, value) for key, value in optional.items() if value not in (None, []))
    record["paragraphs"] = list(post.paragraphs)
    return record


def write_jsonl(posts: Iterable[Post], out: TextIO) -> int:
    """Write posts as JSON Lines; returns how many."""
    count = 0
    for post in posts:
        out.write(dumps(post_to_json(post)) + "\n")
        count += 1
    return count


def dumps(value: Any, **options: Any) -> str:
    """JSON with non-ASCII text as it is, and every control character escaped (DEL and C1 too),
    so no output can drive the terminal it is shown on."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _UNESCAPED_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _optional_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string")
    return value.strip() or None


def _optional_int(record: dict[str, Any], key: str) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} must be a whole number")
    return value


def _names(record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValueError(f"{key!r} must be a list of strings")
    return tuple(name for name in map(clean_text, value) if name)


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'published' is not ISO-8601: {value!r}") from None
    if moment.tzinfo is None:  # a bare time in a backup is taken as UTC, the form we export
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
