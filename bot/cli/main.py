"""The `archive-bot` command line: the parser, the settings, logging and the exit status.

The commands themselves live in archive_commands.py (ingest, search, stats, export) and
bot_commands.py (poll, run, sync). May import: the rest of bot.cli, bot.archive, bot.config.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from dotenv import find_dotenv, load_dotenv

from ..archive.polite import DEFAULT_PACE, DEFAULT_TIMEOUT
from ..archive.store import ArchiveError, location_of
from ..config import ConfigError, Settings
from ..feeds.models import normalize_feed_url
from .archive_commands import cmd_copy, cmd_export, cmd_ingest, cmd_search, cmd_stats
from .bot_commands import cmd_poll, cmd_run, cmd_sync
from .common import UsageError


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
    archive_db = location_of(args.db) if getattr(args, "db", None) else settings.archive_db
    try:
        return args.handler(args, settings, archive_db)
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
        help="the archive: a SQLite file or a postgresql:// URL"
        " (default: $ARCHIVE_DB or data/archive.db)",
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

    copy = commands.add_parser(
        "copy",
        help="copy a whole archive into a new one (SQLite <-> PostgreSQL)",
        description="Copy everything an archive holds (posts, paragraphs, sources and their "
        "cursors, feeds, subscriptions, the announcement outbox) into another, for instance from "
        "the SQLite file to a postgresql:// database when the bot grows to several processes, or "
        "back. DEST must be new or empty; it is written in one transaction, so an interrupted copy "
        "leaves it empty. Stop `archive-bot run` first: what it announced after the copy began "
        "would be announced again from the copy (a SQLite SOURCE served by a bot is refused).",
    )
    copy.add_argument("source", metavar="SOURCE", help="a SQLite file or a postgresql:// URL")
    copy.add_argument("destination", metavar="DEST", help="a SQLite file or a postgresql:// URL")
    copy.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    copy.set_defaults(handler=cmd_copy)

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


def _feed_url(text: str) -> str:
    try:
        return normalize_feed_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(
    convert: Callable[[str], float], noun: str, low: float, high: float | None = None
) -> Callable[[str], float]:
    """An argparse type: `convert` the text, then refuse a value outside [low, high]."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {noun}: {text!r}") from None
        if high is None and value < low:
            raise argparse.ArgumentTypeError(f"must be {low:g} or more")
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}")
        return value

    return parse


_count = _number(int, "a whole number", 1)
_seconds = _number(float, "a number of seconds", 0, 3600)
_positive_int = _number(int, "a number", 1, 100)


def _date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
