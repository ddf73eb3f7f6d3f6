"""`poll --once`, `run`, `sync`: the commands that talk to Discord (or would, given a token).

discord.py is imported only inside them, from bot.discordbot, so the archive commands start fast.
May import: bot.archive, bot.feeds, bot.config, and bot.discordbot lazily.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from ..archive.models import isoformat
from ..archive.store import Archive, Location
from ..archive.text import printable
from ..config import Settings
from ..feeds.announcer import Announcer
from ..feeds.poller import FeedReport, Poller, RoundReport
from ..feeds.schedule import PollPolicy
from .common import UsageError

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


def cmd_poll(args: argparse.Namespace, settings: Settings, archive_db: Location) -> int:
    if not args.once:
        raise UsageError(
            "poll needs --once: it runs one round and exits (for cron). "
            "`archive-bot run` polls continuously by itself."
        )
    return asyncio.run(_poll_once(settings, archive_db, args.feed))


async def _poll_once(settings: Settings, archive_db: Location, extra_feeds: list[str]) -> int:
    async with await Archive.open(archive_db) as archive, announcer_for(settings) as opened:
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


def announcer_for(
    settings: Settings,
) -> contextlib.AbstractAsyncContextManager[tuple[Announcer | None, str | None]]:
    """The Discord announcer for `poll --once`, or None and why announcing is skipped."""
    if settings.discord_token is None:
        return contextlib.nullcontext(
            (None, "no DISCORD_TOKEN is configured, so new posts were only fetched and ingested")
        )
    from ..discordbot.oneshot import rest_announcer  # discord.py loads only when it is needed

    return rest_announcer(settings.discord_token.reveal())


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


def cmd_run(args: argparse.Namespace, settings: Settings, archive_db: Location) -> int:
    if settings.discord_token is None:
        print(NO_TOKEN_HELP, file=sys.stderr, end="")
        return 2
    from ..discordbot.app import run_bot

    return run_bot(settings, archive_db)


def cmd_sync(args: argparse.Namespace, settings: Settings, archive_db: Location) -> int:
    if settings.discord_token is None:
        print(NO_TOKEN_HELP.replace("archive-bot run", "archive-bot sync"), file=sys.stderr, end="")
        return 2
    from ..discordbot.oneshot import SyncFailed, sync_once

    if args.clear and args.guild is None:
        raise UsageError("--clear needs --guild ID")
    try:
        result = asyncio.run(sync_once(settings, archive_db, guild_id=args.guild, clear=args.clear))
    except SyncFailed as exc:
        print(f"archive-bot: {exc}", file=sys.stderr)
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
