"""HTTP GET for feeds: bounded in time, size and redirects, conditional when we have validators.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp

from .. import __version__

USER_AGENT = (
    f"archive-bot/{__version__} (Discord bot that archives and announces blog posts; "
    "polite polling with conditional GET)"
)
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5


class FetchError(Exception):
    """A feed could not be fetched; the message is fit for a user."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A completed fetch: a body (status 200) or a confirmation that nothing changed (304)."""

    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


async def fetch(
    url: str,
    *,
    session: aiohttp.ClientSession | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
) -> FetchResult:
    """GET `url`; raise FetchError on anything but 200 or 304, on timeouts and oversize bodies."""
    headers = {"User-Agent": USER_AGENT, "Accept": _ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own_session = session is None
    if own_session:
        session = aiohttp.ClientSession()
    try:
        async with asyncio.timeout(timeout):
            async with session.get(
                url, headers=headers, max_redirects=max_redirects, allow_redirects=True
            ) as response:
                if response.status == 304:
                    return FetchResult(str(response.url), 304, b"", etag, last_modified, None)
                if response.status != 200:
                    raise FetchError(
                        f"{url}: HTTP {response.status} {response.reason or ''}".strip(),
                        status=response.status,
                        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                    )
                declared = response.content_length
                if declared is not None and declared > max_bytes:
                    raise FetchError(f"{url}: body of {declared} bytes exceeds {max_bytes}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise FetchError(f"{url}: body exceeds {max_bytes} bytes")
                return FetchResult(
                    url=str(response.url),
                    status=200,
                    body=bytes(body),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    content_type=response.headers.get("Content-Type"),
                )
    except TimeoutError:
        raise FetchError(f"{url}: no complete answer within {timeout:g} s") from None
    except aiohttp.TooManyRedirects:
        raise FetchError(f"{url}: more than {max_redirects} redirects") from None
    except aiohttp.InvalidURL:
        raise FetchError(f"{url}: not a valid URL") from None
    except aiohttp.ClientError as exc:
        raise FetchError(f"{url}: {exc.__class__.__name__}: {exc}") from None
    finally:
        if own_session:
            await session.close()


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
