"""ForumMagnum's GraphQL endpoint, read the way its operators ask: one request at a time, a few
seconds apart, a User-Agent that says who we are, and no guessing when the answer is not JSON.

What comes back is sorted into: results; trouble worth retrying (5xx, a plain 429, a timeout, a
body cut short: polite.Transient); and errors that end the run at once: the site's bot protection
(an HTML page instead of JSON: ForumBlocked) or the API refusing the query (ForumQueryError).

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from ... import __version__
from ..fetch import retry_after_seconds
from ..polite import Crawler, CrawlError, Transient
from .records import QUERY
from .sites import Site

log = logging.getLogger(__name__)

USER_AGENT = (
    f"archive-bot/{__version__} (a Discord bot keeping a searchable archive of forum posts; "
    "one request at a time, Crawl-Delay honoured)"
)
MAX_BYTES = 64 * 1024 * 1024  # a page of 100 posts with full HTML is a few MB
SMALLEST_PAGE = 10


class ForumError(CrawlError):
    """The forum's API cannot be read now; the message is for the person running the import."""


class ForumBlocked(ForumError):
    """The site's bot protection answered instead of the API (an HTML page, a challenge)."""


class ForumQueryError(ForumError):
    """The API refused the query (a GraphQL error, or a status that retrying will not change)."""


BLOCKED_HELP = (
    "the site's bot protection refused the request. Nothing is lost: what was fetched is stored "
    "and the next run continues from there. Try again in a few hours or from another network, "
    "or ask the site's operators for an access header and put it in FORUM_API_HEADERS "
    "(one 'Name: value' per line)."
)


class ForumClient:
    """Lists posts from one site through a Crawler (pacing, retries)."""

    def __init__(
        self,
        site: Site,
        crawler: Crawler,
        session: aiohttp.ClientSession,
        *,
        headers: Mapping[str, str] | None = None,
        page_size: int = 100,
    ):
        self.site = site
        self.crawler = crawler
        self.page_size = page_size  # halved after a 5xx or a timeout: big pages are what fails
        self._session = session
        # The operator's headers (an access token, a contact) win over ours; never logged.
        self._headers = {
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        }

    async def posts(self, terms: dict[str, Any]) -> tuple[list[Any], int]:
        """One listing: (results, the limit sent). `terms` gets `limit` unless it has one."""
        sent: dict[str, int] = {}

        async def send() -> list[Any]:
            request_terms = {"limit": self.page_size, **terms}
            sent["limit"] = request_terms["limit"]
            return await self._post(
                {"query": QUERY, "variables": {"input": {"terms": request_terms}}}
            )

        results = await self.crawler.request(send, on_smaller=self._smaller)
        return results, sent["limit"]

    def _smaller(self) -> None:
        if self.page_size > SMALLEST_PAGE:
            self.page_size = max(SMALLEST_PAGE, self.page_size // 2)
            log.info("%s: asking for %d posts a page from now on", self.site.base, self.page_size)

    async def _post(self, body: dict[str, Any]) -> list[Any]:
        where = self.site.location
        timeout = self.crawler.politeness.timeout
        try:
            async with self._session.post(
                self.site.endpoint,
                data=json.dumps(body),
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                status = response.status
                kind = response.content_type
                if response.headers.get("x-vercel-mitigated") or kind in _HTML or status == 403:
                    raise ForumBlocked(f"{where}: HTTP {status} with an HTML page: {BLOCKED_HELP}")
                if status == 429 or status >= 500:
                    raise Transient(
                        f"{where}: HTTP {status}",
                        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                        smaller=status >= 500,
                    )
                if response.content_length is not None and response.content_length > MAX_BYTES:
                    raise ForumQueryError(f"{where}: an answer of {response.content_length} bytes")
                raw = bytearray()
                async for chunk in response.content.iter_chunked(256 * 1024):
                    raw += chunk
                    if len(raw) > MAX_BYTES:
                        raise ForumQueryError(f"{where}: an answer of more than {MAX_BYTES} bytes")
        except TimeoutError:
            raise Transient(f"{where}: no answer within {timeout:g} s", smaller=True) from None
        except aiohttp.ClientPayloadError:
            raise Transient(f"{where}: the answer was cut short") from None
        except aiohttp.ClientConnectionError as exc:
            raise Transient(f"{where}: {exc.__class__.__name__}: {exc}") from None
        return self._results(where, status, kind, bytes(raw))

    def _results(self, where: str, status: int, kind: str, raw: bytes) -> list[Any]:
        try:
            # One bad byte costs its own character (U+FFFD), not the page.
            payload = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError:
            if status == 200 and kind == "application/json":
                raise Transient(f"{where}: the answer was cut short (invalid JSON)") from None
            raise ForumQueryError(
                f"{where}: HTTP {status} {kind or 'without a content type'}, not the GraphQL API"
                " (is this a ForumMagnum site?)"
            ) from None
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if errors:
            messages = "; ".join(_describe(error) for error in errors[:3])
            raise ForumQueryError(f"{where}: the API answered with an error: {messages}")
        if status != 200:
            raise ForumQueryError(f"{where}: HTTP {status}, not the GraphQL API")
        try:
            results = payload["data"]["posts"]["results"]
        except (KeyError, TypeError):
            raise ForumQueryError(f"{where}: an answer without data.posts.results") from None
        if not isinstance(results, list):
            raise ForumQueryError(f"{where}: data.posts.results is not a list")
        return results


_HTML = ("text/html", "application/xhtml+xml")


def _describe(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)[:200]
    message = str(error.get("message") or "unknown error")[:300]
    code = (
        (error.get("extensions") or {}).get("code")
        if isinstance(error.get("extensions"), dict)
        else None
    )
    return f"{message} ({code})" if code else message
