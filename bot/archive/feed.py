"""RSS 2.0 and Atom feeds -> posts, through feedparser.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import calendar
import logging
import re
import xml.sax
from datetime import UTC, datetime

import feedparser

from .decoding import prepare
from .html import html_to_paragraphs, html_to_text
from .models import Post, SourceDocument
from .text import REPLACEMENT, clean_text

log = logging.getLogger(__name__)

# A well-formed feed ends with its root element closed; a truncated one does not.
_CLOSING_TAG = re.compile(rb"</(?:[\w-]+:)?(?:rss|feed|rdf:RDF|RDF)\s*>\s*$")


# Links to older entries: RFC 5005 archived feeds (prev-archive) and paged feeds (next).
HISTORY_RELS = ("prev-archive", "next")


class FeedError(ValueError):
    """The document is not a feed we can read; the message says why."""


def parse_feed(data: bytes, location: str) -> SourceDocument:
    """Parse an RSS 2.0 or Atom document.

    Items lacking a title or a body are skipped with a warning. A document that is not well-formed
    is accepted if feedparser recovered items from it, minus the last item when the document is cut
    short (its body may be too), and with a warning saying so. Bytes invalid in the declared
    encoding become U+FFFD where they stand, and control characters are removed, with warnings.
    """
    decoded = prepare(data)
    parsed = feedparser.parse(decoded.data, sanitize_html=True, resolve_relative_uris=False)
    warnings: list[str] = []
    if decoded.replaced:
        warnings.append(
            f"{location}: {decoded.replaced} byte sequence(s) not valid {decoded.encoding}, "
            "read as U+FFFD"
        )
    if decoded.controls:
        warnings.append(f"{location}: removed {decoded.controls} control character(s)")
    if isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        warnings.append(f"{location}: {parsed.bozo_exception}; its non-ASCII text may be wrong")
    entries = list(parsed.entries)
    version = parsed.get("version") or ""
    if parsed.bozo and entries and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        warnings.append(
            f"{location}: malformed XML ({_describe(parsed.bozo_exception)}); read what was legible"
        )
        if not _CLOSING_TAG.search(data.rstrip()):
            warnings.append(f"{location}: document is truncated; its last item was dropped")
            entries = entries[:-1]
    if not entries and (parsed.bozo or not version):
        kind = "HTML page, not a feed" if _looks_like_html(data) else "feed"
        reason = _describe(parsed.get("bozo_exception")) if parsed.bozo else "no RSS or Atom items"
        raise FeedError(f"{location}: not a readable {kind}: {reason}")

    posts: list[Post] = []
    for number, entry in enumerate(entries, 1):
        post = _entry_to_post(entry, f"{location} item {number}", warnings)
        if post is None:
            continue
        if decoded.replaced and _has_replacements(post):
            warnings.append(f"{location} item {number}: {post.title!r} lost characters (U+FFFD)")
        posts.append(post)
    feed_title = html_to_text(parsed.feed.get("title", "")) or None
    for warning in warnings:
        log.warning("%s", warning)
    links = {
        link["rel"]: link["href"]
        for link in parsed.feed.get("links", [])
        if link.get("rel") in HISTORY_RELS and link.get("href")
    }
    detail = parsed.feed.get("generator_detail") or {}
    generator = " ".join(filter(None, (parsed.feed.get("generator"), detail.get("href"))))
    return SourceDocument(
        location,
        "feed",
        posts,
        title=feed_title,
        warnings=warnings,
        links=links,
        generator=generator or None,
        cleaned=True,
    )


def _entry_to_post(
    entry: feedparser.FeedParserDict, where: str, warnings: list[str]
) -> Post | None:
    title = _entry_title(entry)
    link = (entry.get("link") or "").strip() or None
    guid = (entry.get("id") or "").strip() or None
    if not title:
        warnings.append(f"{where}: no title; skipped")
        return None
    paragraphs = tuple(html_to_paragraphs(_entry_html(entry)))
    if not paragraphs:
        warnings.append(f"{where}: {title!r} has no body; skipped")
        return None
    if guid is None and link is None:
        warnings.append(f"{where}: {title!r} has neither guid nor link; matched by title only")
    published = _entry_time(entry)
    if published is None:
        warnings.append(f"{where}: {title!r} has no readable date")
    author = clean_text(entry.get("author") or "") or None
    return Post(title, paragraphs, published, url=link, guid=guid, author=author)


def _entry_title(entry: feedparser.FeedParserDict) -> str:
    title = entry.get("title") or ""
    detail = entry.get("title_detail") or {}
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        return html_to_text(title)
    return clean_text(title)


def _entry_html(entry: feedparser.FeedParserDict) -> str:
    """The fullest body an entry offers: content:encoded / atom:content, else description."""
    contents = entry.get("content") or []
    best = max((c.get("value") or "" for c in contents), key=len, default="")
    summary = entry.get("summary") or ""
    return best if len(best) >= len(summary) else summary


def _entry_time(entry: feedparser.FeedParserDict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # not entry.get: feedparser maps missing keys, with a warning
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _has_replacements(post: Post) -> bool:
    texts = (post.title, post.author or "", *post.paragraphs)
    return any(REPLACEMENT in text for text in texts)


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    if isinstance(error, xml.sax.SAXParseException):
        return f"line {error.getLineNumber()}: {error.getMessage()}"
    return str(error) or error.__class__.__name__
