"""A blog's back catalogue through its feed's archive pages (`archive-bot ingest URL --history`).

Where a feed offers its history, it is followed page by page, politely (polite.Crawler) and
resumably (each page committed with the URL to fetch next):
- RFC 5005 archived feeds: `<link rel="prev-archive">` from the feed to older archive documents;
- RFC 5005 paged feeds: `<link rel="next">`;
- WordPress, which links to neither but answers `?paged=2`, `?paged=3`, ... and a 404 past the end.
Once the whole history has been read, a run starts again from the feed and stops at the first page
whose posts the archive already holds.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import aiohttp

from .feed import FeedError, parse_feed
from .fetch import FetchError, fetch
from .forum.crawl import Page
from .polite import Crawler, CrawlError, Transient
from .store import Archive

log = logging.getLogger(__name__)


@dataclass(slots=True)
class HistoryCursor:
    next: str | None = None  # the page to fetch next; None: start at the feed itself
    page: int = 1  # that page's number (WordPress's ?paged=)
    complete: bool = False  # the whole history has been read once

    @classmethod
    def load(cls, text: str | None) -> HistoryCursor:
        try:
            data = json.loads(text) if text else {}
            return cls(**{key: data[key] for key in cls.__slots__ if key in data})
        except (ValueError, TypeError):
            return cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


class FeedHistory:
    """One run over a feed's archive pages."""

    kind = "feed"

    def __init__(
        self,
        url: str,
        crawler: Crawler,
        session: aiohttp.ClientSession,
        archive: Archive,
        cursor: HistoryCursor,
        *,
        max_posts: int | None = None,
    ):
        self.location = url
        self.crawler = crawler
        self.session = session
        self.archive = archive
        self.cursor = cursor
        self.max_posts = max_posts
        self.origin: datetime | None = None  # a feed's pages say nothing of the whole span
        self.caught_up = False

    @property
    def requests(self) -> int:
        return self.crawler.requests

    async def pages(self) -> AsyncIterator[Page]:
        cursor = self.cursor
        keeping_up = cursor.complete  # read once already: stop where the archive has the posts
        if keeping_up or cursor.next is None:
            cursor.next, cursor.page = self.location, 1
        visited: set[str] = set()
        seen: set[str] = set()
        posts_seen = 0
        while cursor.next is not None and cursor.next not in visited:
            url = cursor.next
            visited.add(url)
            document = await self._fetch(url, cursor.page)
            if document is None:  # past WordPress's last page
                break
            keys = {post.guid or post.url or post.title for post in document.posts}
            if document.posts and keys <= seen:
                log.warning("%s repeats posts already read in this run; stopping there", url)
                break  # a site that ignores ?paged= would be read for ever
            seen |= keys
            known = await self.archive.known_posts(document.posts) if keeping_up else 0
            following = self._following(url, document, cursor.page)
            cursor.next, cursor.page = following, cursor.page + 1
            if following is None:
                cursor.complete = True
            oldest = min((p.published for p in document.posts if p.published), default=None)
            posts_seen += len(document.posts)
            yield Page(list(document.posts), cursor.dump(), document.warnings, 1, "posts", oldest)
            if keeping_up and known == len(document.posts):
                break
            if self.max_posts is not None and posts_seen >= self.max_posts:
                return
        cursor.next, cursor.page, cursor.complete = None, 1, True
        self.caught_up = True
        yield Page([], cursor.dump(), [], 0, "posts", None)

    async def _fetch(self, url: str, number: int):
        async def send():
            try:
                return await fetch(
                    url, session=self.session, timeout=self.crawler.politeness.timeout
                )
            except FetchError as exc:
                if exc.status is None or exc.status == 429 or exc.status >= 500:
                    raise Transient(str(exc), retry_after=exc.retry_after) from None
                raise

        try:
            result = await self.crawler.request(send)
        except FetchError as exc:
            if exc.status in (404, 410) and number > 1:
                return None  # WordPress answers 404 past its last page
            raise CrawlError(str(exc)) from None
        try:
            return await asyncio.to_thread(parse_feed, result.body, url)
        except FeedError as exc:
            if number > 1:
                log.warning("%s; taking it as the end of the history", exc)
                return None
            raise CrawlError(str(exc)) from None

    def _following(self, url: str, document, number: int) -> str | None:
        """The next page of the history after `url`, if the feed has one."""
        for rel in ("prev-archive", "next"):
            if rel in document.links:
                return urljoin(url, document.links[rel])
        if "wordpress" in (document.generator or "").lower() and document.posts:
            return _with_page(self.location, number + 1)
        if number == 1:
            log.warning("%s offers no archive pages (RFC 5005 or WordPress)", self.location)
        return None


def _with_page(url: str, number: int) -> str:
    """WordPress's page `number` of a feed: its URL with ?paged=N."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "paged"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("paged", str(number))])))
