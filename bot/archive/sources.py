"""Read any source the archive takes: an aggregator dump, a feed (file or URL) or a JSONL file.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
from pathlib import Path

from .dump import parse_dump_bytes
from .feed import parse_feed
from .fetch import fetch
from .jsonl import stream_jsonl
from .models import Post, SourceDocument, guid_from_url
from .text import title_key

KNOWN_URLS_FILE = "known-urls.tsv"
_JSONL_SUFFIXES = (".jsonl", ".ndjson")


class SourceError(ValueError):
    """A source that cannot be read at all (missing file, unknown format)."""


def is_url(location: str) -> bool:
    return location.lower().startswith(("http://", "https://"))


async def read_source(location: str) -> SourceDocument:
    """Fetch or open `location` and parse it with the parser its content calls for."""
    if is_url(location):
        result = await fetch(location)
        return parse_feed(result.body, location)
    # Reading and parsing a big file is slow work; keep it off the event loop the bot shares.
    return await asyncio.to_thread(read_file_source, location)


def read_file_source(location: str) -> SourceDocument:
    """Open a dump, feed or JSONL file and parse it."""
    path = Path(location).expanduser()
    if path.is_dir():
        raise SourceError(f"{location}: a folder; name the files in it to ingest")
    if not path.is_file():
        raise SourceError(f"{location}: no such file")
    path = path.resolve()  # one source row per file, however it was named on the command line
    if path.suffix.lower() in _JSONL_SUFFIXES:
        return stream_jsonl(path)
    data = path.read_bytes()
    if _looks_like_xml(data):
        return parse_feed(data, str(path))
    document = parse_dump_bytes(data, str(path))
    known = path.with_name(KNOWN_URLS_FILE)
    if known.is_file():
        document.posts = apply_known_urls(document.posts, read_known_urls(known))
    return document


def read_known_urls(path: Path) -> dict[str, str]:
    """title -> URL from a two-column TSV with a `title	url` header."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {
            title_key(row["title"]): row["url"].strip()
            for row in rows
            if row.get("title") and row.get("url")
        }


def apply_known_urls(posts: list[Post], urls: dict[str, str]) -> list[Post]:
    """Give posts without a URL the one the table knows, and the guid that URL carries."""
    result = []
    for post in posts:
        url = post.url or urls.get(title_key(post.title))
        if url and url != post.url:
            post = dataclasses.replace(post, url=url, guid=post.guid or guid_from_url(url))
        result.append(post)
    return result


def _looks_like_xml(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf"))
