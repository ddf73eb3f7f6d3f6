"""LessWrong-shaped RSS built on demand, shaped like tests/fixtures/lesswrong-feed.xml.

`<rss version="2.0">` with the dc/content/atom namespaces, CDATA titles, a description holding the
full HTML after "Published on ..." and ending in a "Discuss" link, `guid isPermaLink="false"` = the
17-character post id, `link` = https://www.lesswrong.com/posts/<id>/<slug>, `dc:creator`, RFC-822
`pubDate`. The newest item comes first; the real feed shows 10.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

START = datetime(2026, 6, 5, 8, 0, tzinfo=UTC)
FEED_SIZE = 10


@dataclass(frozen=True)
class Item:
    post_id: str  # 17 characters
    title: str
    author: str
    published: datetime
    paragraphs: tuple[str, ...]
    guid: bool = True  # False: no <guid> element (the link still carries the id)
    pub_date: str | None = None  # raw <pubDate> text instead of `published` (bad dates)

    @property
    def url(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")
        return f"https://www.lesswrong.com/posts/{self.post_id}/{slug}"

    def redated(self, published: datetime) -> Item:
        """The same post with a new date, as LessWrong does when a post crosses a karma threshold."""
        return dataclasses.replace(self, published=published)


def item(number: int, title: str | None = None, **changes) -> Item:
    """Post number `number`, published `number` hours after START."""
    base = Item(
        post_id=f"lwPost{number:011d}",
        title=title or f"Post number {number}",
        author=f"Author {number}",
        published=START + timedelta(hours=number),
        paragraphs=(
            f"Opening paragraph of post {number}, which says what the post is about.",
            f"Second paragraph of post {number}.",
        ),
    )
    return dataclasses.replace(base, **changes)


def rss(items: list[Item]) -> bytes:
    """The feed document listing `items` in the order given (newest first, as LessWrong does)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>'
        "<title><![CDATA[LessWrong]]></title>"
        "<description><![CDATA[A community blog devoted to refining the art of rationality]]>"
        "</description><link>https://www.lesswrong.com</link><generator>RSS for Node</generator>"
        '<atom:link href="https://www.lesswrong.com/feed.xml" rel="self" '
        'type="application/rss+xml"/>'
    ]
    for entry in items:
        stamp = entry.published.strftime("%B %-d, %Y %-I:%M %p GMT")
        body = "".join(f"<p>{paragraph}</p>" for paragraph in entry.paragraphs)
        description = (
            f"Published on {stamp}<br/><br/>{body}<br/><br/>"
            f'<a href="{entry.url}#comments">Discuss</a>'
        )
        guid = f'<guid isPermaLink="false">{entry.post_id}</guid>' if entry.guid else ""
        date = entry.pub_date if entry.pub_date is not None else format_datetime(entry.published)
        parts.append(
            f"<item><title><![CDATA[{entry.title}]]></title>"
            f"<description><![CDATA[{description}]]></description>"
            f"<link>{entry.url}</link>{guid}"
            f"<dc:creator><![CDATA[{entry.author}]]></dc:creator>"
            f"<pubDate>{date}</pubDate></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def newest(items: list[Item], count: int = FEED_SIZE) -> list[Item]:
    """What the feed shows: the `count` newest items, newest first."""
    return sorted(items, key=lambda entry: entry.published, reverse=True)[:count]
