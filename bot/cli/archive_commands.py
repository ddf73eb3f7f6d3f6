"""`ingest`, `search`, `stats`, `export`, `copy`: the archive from the command line.

Each `cmd_*` takes the parsed arguments, the settings and the database path and returns the exit
status; the `format_*` and `*_to_json` functions are the output, kept apart to be tested.
May import: bot.archive, bot.config.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..archive.backfill import BackfillOptions, is_resumable, open_crawl, run_backfill
from ..archive.dump import DumpError
from ..archive.feed import FeedError
from ..archive.fetch import FetchError
from ..archive.jsonl import JsonlError, dumps, write_jsonl
from ..archive.models import isoformat
from ..archive.search import Hit, Searcher
from ..archive.sources import SourceError, read_source
from ..archive.store import (
    Archive,
    ArchiveError,
    ArchiveInUse,
    ArchiveStats,
    IngestReport,
    Location,
    SyncStatus,
    is_database_url,
    location_of,
    run_lock,
)
from ..archive.store.copy import CopyReport, copy_archive
from ..archive.text import printable
from ..config import Settings
from ..services.answers import search_notes
from .backfill_view import BackfillProgress, format_backfill, format_failure
from .common import UsageError, format_report, open_archive, require_shipped_archive

SOURCE_ERRORS = (DumpError, FeedError, FetchError, JsonlError, SourceError, OSError)


def cmd_ingest(args: argparse.Namespace, settings: Settings, archive_db: Location) -> int:
    sources = args.sources or [str(require_shipped_archive())]
    try:
        resumable = [is_resumable(source, history=args.history) for source in sources]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    forum_only = [name for name in ("since", "max_posts", "events") if getattr(args, name)]
    if forum_only and not any(resumable):
        option = "--" + forum_only[0].replace("_", "-")
        raise UsageError(f"{option} applies to forum sources and --history feeds only")
    options = BackfillOptions(
        since=args.since,
        max_posts=args.max_posts,
        pace=args.pace,
        timeout=args.timeout,
        events=args.events,
        headers=settings.forum_headers,
    )
    # A first import is built aside and moved in when done: faster, and nothing half-built is
    # ever seen. Not for a resumable source, whose committed pages must survive a kill.
    first = not is_database_url(archive_db) and not Path(archive_db).exists()
    first = first and not any(resumable)
    return asyncio.run(_ingest(archive_db, sources, resumable, options, first=first))


async def _ingest(
    archive_db: Location,
    sources: list[str],
    resumable: list[bool],
    options: BackfillOptions,
    *,
    first: bool,
) -> int:
    if first:
        async with Archive.building(archive_db) as archive:
            return await _ingest_into(archive, sources, resumable, options)
    async with await Archive.open(archive_db) as archive:
        return await _ingest_into(archive, sources, resumable, options)


async def _ingest_into(
    archive: Archive, sources: list[str], resumable: list[bool], options: BackfillOptions
) -> int:
    status = 0
    for location, resumes in zip(sources, resumable, strict=True):
        if resumes:
            status = max(status, await _backfill(archive, location, options))
            continue
        try:
            report = await ingest_location(archive, location, progress=sys.stderr.isatty())
        except SOURCE_ERRORS as exc:
            status = max(status, 1)
            print(f"error: {printable(str(exc))}", file=sys.stderr)
            continue
        print(format_report(report))
    return status


async def _backfill(archive: Archive, location: str, options: BackfillOptions) -> int:
    """A forum or a feed's history, page by page; 1 if it could not finish."""
    async with open_crawl(archive, location, options) as crawl:
        view = BackfillProgress(crawl)
        try:
            report = await run_backfill(archive, crawl, progress=view)
        except (asyncio.CancelledError, KeyboardInterrupt):
            view.close()
            print(
                f"{crawl.location}: interrupted; every page fetched so far is stored, and the "
                "same command continues from there",
                file=sys.stderr,
            )
            raise
        view.close()
    print(format_backfill(report))
    if report.error is not None:
        print(format_failure(report), file=sys.stderr)
        return 1
    return 0


async def ingest_location(archive: Archive, location: str, *, progress: bool) -> IngestReport:
    """Read one source and ingest it, with a progress bar on a terminal."""
    document = await read_source(location)
    if not progress:
        return await archive.ingest(document)
    from tqdm import tqdm

    with tqdm(
        total=len(document.posts) if isinstance(document.posts, list) else None,
        unit="post",
        desc=Path(location).name[:30],
        leave=False,
    ) as bar:
        return await archive.ingest(document, progress=bar.update)


def cmd_search(args: argparse.Namespace, settings: Settings, archive_db: Location) -> int:
    return asyncio.run(_search(args, archive_db))


async def _search(args: argparse.Namespace, archive_db: Location) -> int:
    async with await open_archive(archive_db) as archive:
        searcher = Searcher(archive)
        options = dict(
            limit=args.limit,
            author=args.author,
            after=args.after,
            before=args.before,
            sort=args.sort,
        )
        if args.query == "-":
            for line in sys.stdin:
                query = line.rstrip("\n")
                hits = await searcher.search(query, **options)
                unmatched = await searcher.unmatched(query, hits)
                weak = await searcher.weak(query, hits)
                sys.stdout.write(dumps([hit_to_json(h, unmatched, weak) for h in hits]))
                sys.stdout.write("\n")
                sys.stdout.flush()
            return 0
        hits = await searcher.search(args.query, **options)
        unmatched = await searcher.unmatched(args.query, hits)
        weak = await searcher.weak(args.query, hits)
        if args.json:
            print(dumps([hit_to_json(h, unmatched, weak) for h in hits], indent=2))
        else:
            suggestions = [] if hits else await searcher.did_you_mean(args.query)
            if hits and (notes := search_notes(unmatched, weak, args.query)):
                print("\n".join(notes) + "\n")
            print_hits(hits, args.query, sys.stdout, suggestions)
    return 0


def hit_to_json(hit: Hit, unmatched: Sequence[str] = (), weak: bool = False) -> dict[str, Any]:
    """The JSON form of a hit (`search --json` and `search -`); `unmatched`: the query's words
    that no post mentions, `weak`: no hit answers the query well (both the same on every hit of a
    search)."""
    return {
        "title": hit.post.title,
        "url": hit.post.link,
        "url_known": hit.post.url is not None,
        "link": hit.link,
        "published": isoformat(hit.post.published),
        "author": hit.post.author,
        "coauthors": list(hit.post.coauthors),
        "karma": hit.post.karma,
        "comments": hit.post.comments,
        "post_id": hit.post.id,
        "paragraph": hit.paragraph,
        "text": hit.text,
        "excerpt": hit.excerpt.text,
        "highlights": [list(span) for span in hit.excerpt.spans],
        "score": hit.score,
        "unmatched": list(unmatched),
        "weak": weak,
    }


def print_hits(hits: list[Hit], query: str, out: TextIO, suggestions: Sequence[str] = ()) -> None:
    """Hits for people to read; archive text is passed through printable(), so a post can never
    send escape sequences to the terminal."""
    if not hits:
        print(f"No results for {query!r}.", file=out)
        if suggestions:
            print(printable("Did you mean: " + "; ".join(suggestions) + "?"), file=out)
        return
    bold = ("\033[1m", "\033[0m") if out.isatty() else ("", "")
    for rank, hit in enumerate(hits, 1):
        published = hit.post.published.strftime("%Y-%m-%d %H:%M UTC") if hit.post.published else "?"
        byline = " · ".join(
            part for part in (hit.post.author, published, f"paragraph {hit.paragraph + 1}") if part
        )
        print(f"{rank}. {bold[0]}{printable(hit.post.title)}{bold[1]}", file=out)
        print(f"   {printable(byline)}", file=out)
        print(f"   {printable(hit.link)}", file=out)
        print(f"   {hit.excerpt.marked(*bold, escape=printable)}", file=out)
        print(file=out)


def cmd_stats(args: argparse.Namespace, settings: Settings, archive_db: Location) -> int:
    return asyncio.run(_stats(args, archive_db))


async def _stats(args: argparse.Namespace, archive_db: Location) -> int:
    async with await open_archive(archive_db) as archive:
        stats = await archive.stats()
    if args.json:
        print(dumps(stats_to_json(stats), indent=2))
    else:
        print(f"archive: {stats.path} ({stats.size_bytes / 1e6:.1f} MB)")
        print(f"posts: {stats.posts}, paragraphs: {stats.paragraphs}")
        print(f"published: {isoformat(stats.first_published)} .. {isoformat(stats.last_published)}")
        for source in stats.sources:
            print(
                f"  {source.kind:5} {printable(source.location)}: {source.posts} posts, "
                f"last ingested {isoformat(source.last_ingested)}"
            )
            if source.sync is not None:
                print(f"        last sync: {describe_sync(source.sync)}")
    return 0


def stats_to_json(stats: ArchiveStats) -> dict[str, Any]:
    return {
        "posts": stats.posts,
        "paragraphs": stats.paragraphs,
        "first_published": isoformat(stats.first_published),
        "last_published": isoformat(stats.last_published),
        "sources": [
            {
                "location": source.location,
                "kind": source.kind,
                "title": source.title,
                "posts": source.posts,
                "last_ingested": isoformat(source.last_ingested),
                "sync": None
                if source.sync is None
                else {
                    "started": isoformat(source.sync.started),
                    "finished": isoformat(source.sync.finished),
                    "outcome": source.sync.outcome,
                    "message": source.sync.message,
                },
            }
            for source in stats.sources
        ],
        "db": stats.path,
        "size_bytes": stats.size_bytes,
    }


def describe_sync(sync: SyncStatus) -> str:
    """A resumable source's last run, in a line."""
    if sync.finished is None:
        return f"started {isoformat(sync.started)}, still running (or stopped without a word)"
    return f"{sync.outcome} at {isoformat(sync.finished)}: {sync.message}"


def cmd_export(args: argparse.Namespace, settings: Settings, archive_db: Location) -> int:
    async def export() -> int:
        async with await Archive.open(archive_db) as archive:
            async for post in archive.iter_posts():
                write_jsonl([post], sys.stdout)
        return 0

    return asyncio.run(export())


def cmd_copy(args: argparse.Namespace, settings: Settings, archive_db: Location) -> int:
    source, destination = location_of(args.source), location_of(args.destination)
    if str(source) == str(destination):
        raise UsageError("SOURCE and DEST are the same archive")
    if not is_database_url(source) and not Path(source).is_file():
        raise UsageError(f"{source}: no archive there")
    # A new SQLite file is built aside and appears only when complete (Archive.building).
    new_file = not is_database_url(destination) and not Path(destination).exists()
    # What a bot announced after the copy began would be announced again from the copy: a bot
    # serving a SQLite file must stop first (and cannot start on it until the copy ends).
    guard = contextlib.nullcontext() if is_database_url(source) else run_lock(source)
    try:
        with guard:
            return asyncio.run(
                _copy(source, destination, new_file=new_file, progress=sys.stderr.isatty())
            )
    except ArchiveInUse:
        raise ArchiveError(
            f"{source} is served by a running `archive-bot run`: stop it, then copy"
        ) from None


async def _copy(source: Location, destination: Location, *, new_file: bool, progress: bool) -> int:
    view = CopyProgress(bar=progress)
    async with await Archive.open(source) as reading:
        opening = Archive.building(destination) if new_file else await Archive.open(destination)
        try:
            async with opening as writing:
                report = await copy_archive(reading, writing, progress=view)
        finally:
            view.close()
    print(format_copy(report, reading.path, destination if new_file else writing.path))
    return 0


class CopyProgress:
    """A copy's progress on stderr: a bar per table on a terminal, else a line per table."""

    def __init__(self, *, bar: bool):
        self._use_bar = bar
        self._bar: Any = None
        self._table = ""

    def __call__(self, table: str, done: int, total: int) -> None:
        if table != self._table:
            self.close()
            self._table = table
            if self._use_bar:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit="row", desc=table, leave=False)
        if self._bar is not None:
            self._bar.update(done - self._bar.n)
        elif done == total:
            print(f"  {table}: {total:,} rows", file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def format_copy(report: CopyReport, source: object, destination: object) -> str:
    rows = ", ".join(f"{count:,} {table}" for table, count in report.rows.items())
    return f"copied {source} into {destination}: {rows} in {report.seconds:.1f} s"
