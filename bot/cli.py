"""The `archive-bot` command line: ingest, search, stats, export, poll, run, sync."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from dotenv import find_dotenv, load_dotenv

from .archive.backfill import BackfillOptions, is_resumable, open_crawl, run_backfill
from .archive.dump import DumpError
from .archive.feed import FeedError
from .archive.fetch import FetchError
from .archive.jsonl import JsonlError, dumps, write_jsonl
from .archive.models import isoformat
from .archive.polite import DEFAULT_PACE, DEFAULT_TIMEOUT
from .archive.search import Hit, Searcher
from .archive.sources import SourceError, read_source
from .archive.store import Archive, ArchiveError, ArchiveStats, IngestReport, SyncStatus
from .archive.text import printable
from .backfill_view import BackfillProgress, format_backfill, format_failure
from .config import ConfigError, Settings, shipped_archive
from .feeds.announcer import Announcer
from .feeds.models import normalize_feed_url
from .feeds.poller import FeedReport, Poller, RoundReport
from .feeds.schedule import PollPolicy

log = logging.getLogger(__name__)

SOURCE_ERRORS = (DumpError, FeedError, FetchError, JsonlError, SourceError, OSError)
NO_TOKEN_HELP = """\
No Discord token configured, so the bot cannot start.

1. Open https://discord.com/developers/applications, create an application, open "Bot" and press
   "Reset Token" to get its token.
2. Put it in a file named .env in this directory (see .env.example):
       DISCORD_TOKEN=your-token-here
   or export DISCORD_TOKEN in your shell.
3. Invite the bot to your server: in the portal, "OAuth2" -> "URL Generator", tick the scopes
   "bot" and "applications.commands" and the permissions listed in the README, open the URL.
Then run `archive-bot run` again.
"""


class UsageError(Exception):
    """A mistake on the command line; printed without a traceback, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `archive-bot` and `python -m bot`."""
    load_dotenv(find_dotenv(usecwd=True))
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"archive-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    default_level = "INFO" if args.command == "run" else "WARNING"
    logging.basicConfig(
        level="DEBUG" if args.verbose else (settings.log_level or default_level),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    db_path = Path(args.db) if getattr(args, "db", None) else settings.db_path
    try:
        return args.handler(args, settings, db_path)
    except UsageError as exc:
        print(f"archive-bot: {exc}", file=sys.stderr)
        return 2
    except ArchiveError as exc:
        print(f"archive-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `archive-bot export | head`
        with contextlib.suppress(OSError):
            sys.stdout = None  # type: ignore[assignment]  # nothing more can be written
        return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="SQLite archive file (default: $ARCHIVE_DB or data/archive.db)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(
        prog="archive-bot",
        description="Search an archive of blog posts, keep it up to date, and serve it on Discord.",
        parents=[common],
    )
    parser.set_defaults(verbose=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest",
        parents=[common],
        help="add posts from dumps, feeds (file or URL), JSONL, or a forum's whole archive",
        description="Add posts to the archive. With no argument, ingest the shipped archive. "
        "A forum (lesswrong, alignmentforum, eaforum, or forum:URL of any ForumMagnum site) is "
        "read through its GraphQL API, oldest post first, page by page: stop it at any moment "
        "and the same command continues; once caught up it fetches what is new or edited. "
        "FORUM_API_HEADERS adds request headers ('Name: value' per line).",
    )
    ingest.add_argument("sources", nargs="*", metavar="PATH|URL|FILE.jsonl|FORUM")
    ingest.add_argument(
        "--since", type=_date, metavar="DATE", help="forum: start at posts of this date"
    )
    ingest.add_argument(
        "--max-posts", type=_count, metavar="N", help="forum, --history: stop after N posts"
    )
    ingest.add_argument(
        "--pace",
        type=_seconds,
        default=DEFAULT_PACE,
        metavar="SECONDS",
        help=f"forum, --history: pause between requests (default {DEFAULT_PACE:g}; 0 for tests)",
    )
    ingest.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"forum, --history: give up on an answer after this long (default "
        f"{DEFAULT_TIMEOUT:g})",
    )
    ingest.add_argument("--events", action="store_true", help="forum: keep events (meetups)")
    ingest.add_argument(
        "--history",
        action="store_true",
        help="feed URL: also follow its archive pages (RFC 5005 prev-archive/next links, or "
        "WordPress ?paged=N), resumably",
    )
    ingest.set_defaults(handler=cmd_ingest)

    search = commands.add_parser(
        "search",
        parents=[common],
        help="search the archive",
        description="Search the archive. QUERY '-' reads one query per line from stdin and "
        "writes one JSON array of hits per line.",
    )
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--limit", type=_positive_int, default=5, help="hits to show (default 5)")
    search.add_argument("--json", action="store_true", help="print a JSON array of hits")
    search.add_argument("--author", help="only posts whose author contains this")
    search.add_argument("--after", type=_date, help="only posts published on/after (YYYY-MM-DD)")
    search.add_argument("--before", type=_date, help="only posts published before (YYYY-MM-DD)")
    search.add_argument("--sort", choices=["relevance", "date"], default="relevance")
    search.set_defaults(handler=cmd_search)

    stats = commands.add_parser("stats", parents=[common], help="archive size and sources")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(handler=cmd_stats)

    export = commands.add_parser(
        "export", parents=[common], help="write every post to stdout as JSON Lines"
    )
    export.set_defaults(handler=cmd_export)

    poll = commands.add_parser(
        "poll",
        parents=[common],
        help="fetch the followed feeds once, ingest new posts and announce them",
        description="One round of the feed poller, for cron: fetch each followed feed (and each "
        "--feed), ingest new posts, and announce them when the bot is configured. Without a "
        "Discord token it only fetches and ingests. A feed backing off after failures or a "
        "Retry-After is left alone.",
    )
    poll.add_argument(
        "--once", action="store_true", help="run one round and exit (required; see `run`)"
    )
    poll.add_argument(
        "--feed",
        action="append",
        default=[],
        type=_feed_url,
        metavar="URL",
        help="also poll this feed; its validators are kept for the next run (repeatable)",
    )
    poll.set_defaults(handler=cmd_poll)

    run = commands.add_parser("run", parents=[common], help="start the Discord bot")
    run.set_defaults(handler=cmd_run)

    sync = commands.add_parser(
        "sync",
        parents=[common],
        help="push the slash commands to Discord now",
        description="Push the bot's slash commands to Discord: global commands (they can take up "
        "to an hour to appear everywhere), or with --guild, one server's (instant). `run` already "
        "syncs at start when the commands changed, or to DISCORD_GUILD_ID when it is set.",
    )
    sync.add_argument("--guild", type=int, metavar="ID", help="sync to this server only")
    sync.add_argument(
        "--clear",
        action="store_true",
        help="with --guild: remove that server's copy of the commands (after development)",
    )
    sync.set_defaults(handler=cmd_sync)
    return parser


# --- commands ------------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    sources = args.sources or [str(_require_shipped_archive())]
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
    first = not db_path.exists() and not any(resumable)
    return asyncio.run(_ingest(db_path, sources, resumable, options, first=first))


async def _ingest(
    db_path: Path,
    sources: list[str],
    resumable: list[bool],
    options: BackfillOptions,
    *,
    first: bool,
) -> int:
    if first:
        async with Archive.building(db_path) as archive:
            return await _ingest_into(archive, sources, resumable, options)
    async with await Archive.open(db_path) as archive:
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


def format_report(report: IngestReport) -> str:
    rate = report.paragraphs / report.seconds if report.seconds > 0 else 0.0
    lines = [
        f"{report.location}: {report.posts} posts ({report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged), {report.paragraphs} paragraphs written "
        f"in {report.seconds:.2f} s ({rate:,.0f} paragraphs/s), {len(report.warnings)} warnings"
    ]
    lines += [f"  warning: {printable(warning)}" for warning in report.warnings]
    return "\n".join(lines)


def cmd_search(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    return asyncio.run(_search(args, db_path))


async def _search(args: argparse.Namespace, db_path: Path) -> int:
    async with await open_archive(db_path) as archive:
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
                hits = await searcher.search(line.rstrip("\n"), **options)
                sys.stdout.write(dumps([hit_to_json(h) for h in hits]))
                sys.stdout.write("\n")
                sys.stdout.flush()
            return 0
        hits = await searcher.search(args.query, **options)
        if args.json:
            print(dumps([hit_to_json(h) for h in hits], indent=2))
        else:
            suggestions = [] if hits else await searcher.did_you_mean(args.query)
            print_hits(hits, args.query, sys.stdout, suggestions)
    return 0


def hit_to_json(hit: Hit) -> dict[str, Any]:
    """The JSON form of a hit (`search --json` and `search -`)."""
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


def cmd_stats(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    return asyncio.run(_stats(args, db_path))


async def _stats(args: argparse.Namespace, db_path: Path) -> int:
    async with await open_archive(db_path) as archive:
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


def cmd_export(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    async def export() -> int:
        async with await Archive.open(db_path) as archive:
            async for post in archive.iter_posts():
                write_jsonl([post], sys.stdout)
        return 0

    return asyncio.run(export())


def cmd_poll(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    if not args.once:
        raise UsageError(
            "poll needs --once: it runs one round and exits (for cron). "
            "`archive-bot run` polls continuously by itself."
        )
    return asyncio.run(_poll_once(settings, db_path, args.feed))


async def _poll_once(settings: Settings, db_path: Path, extra_feeds: list[str]) -> int:
    async with await Archive.open(db_path) as archive, open_announcer(settings) as opened:
        announcer, skipped_because = opened
        policy = PollPolicy(interval=settings.feed_poll_seconds)
        async with Poller(
            archive,
            announcer=announcer,
            policy=policy,
            public_only=not settings.feed_allow_private,
        ) as poller:
            if not extra_feeds and not await poller.store.followed_feeds():
                print(
                    "No feed is followed yet, so there is nothing to poll. Follow one with "
                    "/announce add on Discord, or name one: archive-bot poll --once --feed URL"
                )
                return 0
            report = await poller.run_round(extra_urls=extra_feeds, keep_interval=False)
            waiting = (await poller.store.outbox_counts()).get("pending", 0)
    print(format_round(report))
    if report.delivery is None:
        print(f"Announcing skipped: {skipped_because}.")
        if waiting:
            print(f"{waiting} announcement(s) wait in the outbox for the bot.")
    failed = any(feed.outcome == "failed" for feed in report.feeds)
    # A token that does not work is a failure too: cron should say so.
    return 1 if failed or (announcer is None and settings.discord_token is not None) else 0


@contextlib.asynccontextmanager
async def open_announcer(
    settings: Settings,
) -> AsyncIterator[tuple[Announcer | None, str | None]]:
    """The Discord announcer for `poll --once`, or None and why announcing is skipped.

    With a token: a REST-only client (login, no gateway session), closed on the way out.
    """
    if settings.discord_token is None:
        yield None, "no DISCORD_TOKEN is configured, so new posts were only fetched and ingested"
        return
    import aiohttp
    import discord

    from .app import MAX_RATELIMIT_WAIT
    from .discord_announcer import DiscordAnnouncer

    client = discord.Client(
        intents=discord.Intents.none(),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
    )
    async with client:
        try:
            await client.login(settings.discord_token.reveal())
        except discord.LoginFailure:
            log.error("Discord rejected the token: check DISCORD_TOKEN")
            yield None, "Discord rejected the token (check DISCORD_TOKEN)"
            return
        except (discord.HTTPException, OSError, aiohttp.ClientError) as exc:
            log.error("could not log in to Discord: %s", exc)
            yield None, f"could not reach Discord ({exc.__class__.__name__})"
            return
        yield DiscordAnnouncer(client), None


def format_round(report: RoundReport) -> str:
    """One line per feed, for `poll --once`."""
    lines = [format_feed_report(feed) for feed in report.feeds]
    if report.delivery is not None:
        d = report.delivery
        lines.append(
            f"announced {d.posts} post(s) in {d.messages} message(s) ({d.digests} digests, "
            f"{d.notices} notices); {d.recovered} found already sent, {d.deferred} deferred, "
            f"{d.failed} refused, {len(d.broken)} subscription(s) broken"
        )
    return "\n".join(lines)


def format_feed_report(report: FeedReport) -> str:
    """What polling one feed did, in a line (and its warnings)."""
    feed = report.feed
    head = printable(f"{feed.name} ({feed.url}): ")
    if report.outcome == "fetched":
        line = (
            f"{head}HTTP {report.status}, {report.items} posts in the feed "
            f"({report.new} new, {report.updated} updated), {len(report.warnings)} warnings"
        )
        return "\n".join([line, *(f"  warning: {printable(w)}" for w in report.warnings)])
    if report.outcome == "not_modified":
        return f"{head}not modified (304)"
    when = isoformat(feed.next_poll) or "now"
    if report.outcome == "skipped":
        return (
            f"{head}skipped: backing off after {feed.consecutive_failures} failure(s) until {when}"
        )
    paused = "; paused, its channels will be told" if report.paused_now else ""
    return (
        f"{head}failed: {report.error} (failure {feed.consecutive_failures} in a row; "
        f"next try {when}{paused})"
    )


def cmd_run(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    if settings.discord_token is None:
        print(NO_TOKEN_HELP, file=sys.stderr, end="")
        return 2
    from .app import run_bot

    return run_bot(settings, db_path)


def cmd_sync(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    if settings.discord_token is None:
        print(NO_TOKEN_HELP.replace("archive-bot run", "archive-bot sync"), file=sys.stderr, end="")
        return 2
    import discord

    from .app import sync_once

    try:
        if args.clear and args.guild is None:
            raise UsageError("--clear needs --guild ID")
        result = asyncio.run(sync_once(settings, db_path, guild_id=args.guild, clear=args.clear))
    except discord.LoginFailure:
        print("archive-bot: Discord rejected the token: check DISCORD_TOKEN", file=sys.stderr)
        return 1
    except discord.HTTPException as exc:
        print(f"archive-bot: sync failed: {exc.status} {exc.text}", file=sys.stderr)
        return 1
    print(f"synced {len(result.names)} commands ({result.scope}): {', '.join(result.names)}")
    if result.scope == "global" and settings.guild_id is not None:
        print(
            f"note: DISCORD_GUILD_ID={settings.guild_id} is set, so `run` also syncs a copy to "
            "that server, which then lists each command twice. For production, unset it and run "
            f"`archive-bot sync --guild {settings.guild_id} --clear`.",
            file=sys.stderr,
        )
    return 0


# --- helpers -------------------------------------------------------------------------------------


async def open_archive(db_path: Path) -> Archive:
    """Open the archive, building it from the shipped dump the first time."""
    archive = await Archive.open(db_path)
    try:
        if await archive.is_empty() and (shipped := shipped_archive()) is not None:
            print(f"First run: building {db_path} from {shipped} ...", file=sys.stderr)
            report = await archive.ingest(await read_source(str(shipped)))
            print(format_report(report), file=sys.stderr)
    except BaseException:
        await archive.close()
        raise
    return archive


def _require_shipped_archive() -> Path:
    path = shipped_archive()
    if path is None:
        raise UsageError(
            "the shipped archive (data/*.txt) is not here; name a file or URL to ingest"
        )
    return path


def _feed_url(text: str) -> str:
    try:
        return normalize_feed_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError("must be between 1 and 100")
    return value


def _date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
