"""What every post passes on its way into the archive, whatever its source: no control characters
and a believable date. Also which of two copies of a post lost more characters in decoding.

The parsers clean their text already; this is the guard for every source, present and future,
applied by the store's ingest.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from .models import Post, isoformat
from .text import REPLACEMENT, clean_text, strip_controls

# Dates outside these bounds are a feed's mistake (9999-12-31, the epoch), not a publication date.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before any blog the archive holds
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones; a post dated later is not out yet


def plausible(moment: datetime, now: datetime) -> bool:
    """Whether a publication date can be true: from 1990 to a day from now."""
    return EARLIEST <= moment <= now + FUTURE_SLACK


def admit(
    post: Post, now: datetime, *, check_paragraphs: bool = True
) -> tuple[Post | None, list[str]]:
    """The post as the archive may hold it, and a warning for each thing changed.

    Control characters are removed (tab and newline stay in paragraphs; check_paragraphs=False
    trusts those to be clean already); an implausible date becomes unknown. None when no title
    is left.
    """
    warnings: list[str] = []
    names = (*post.coauthors, *post.tags)
    texts = (post.title, post.author or "", post.url or "", post.guid or "", post.link_url or "")
    texts += names
    if check_paragraphs:
        texts += post.paragraphs
    cleaned = [strip_controls(text) for text in texts]
    if any(count for _, count in cleaned):
        title, author, url, guid, link, *rest = (text for text, _ in cleaned)
        if not clean_text(title):
            return None, [f"{post.title!r}: no title once control characters are removed; skipped"]
        coauthors, tags = rest[: len(post.coauthors)], rest[len(post.coauthors) : len(names)]
        paragraphs = rest[len(names) :]
        if check_paragraphs:
            paragraphs = [paragraph for paragraph in paragraphs if paragraph.strip()]
        post = dataclasses.replace(  # not Post(...): a source's other fields stay as they were
            post,
            title=clean_text(title),
            paragraphs=tuple(paragraphs) if check_paragraphs else post.paragraphs,
            url=url.strip() or None,
            guid=guid.strip() or None,
            author=clean_text(author) or None,
            link_url=link.strip() or None,
            coauthors=tuple(name for name in map(clean_text, coauthors) if name),
            tags=tuple(tag for tag in map(clean_text, tags) if tag),
        )
        warnings.append(f"{post.title!r}: removed control characters")
    if post.published is not None and not plausible(post.published, now):
        warnings.append(
            f"{post.title!r}: published {isoformat(post.published)} cannot be right (before 1990 "
            "or more than a day ahead); taken as unknown until a copy gives a likely date"
        )
        post = dataclasses.replace(post, published=None)
    return post, warnings


def losses(*texts: str | None) -> int:
    """How many characters of these texts were lost in decoding (replaced by U+FFFD)."""
    return sum(text.count(REPLACEMENT) for text in texts if text)
