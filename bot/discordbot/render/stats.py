"""/stats and /help: the archive's size and sources, feed health, the command list.

May import: discord, bot.archive and bot.feeds (types).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePath

import discord

from ...archive.store import ArchiveStats, SourceStats, SyncStatus
from ...feeds.models import Feed
from .limits import Reply, clip, fit
from .parts import (
    COLOUR,
    inline,
    when,
)


def stats(
    stats: ArchiveStats, *, poll_seconds: int, now: datetime, feeds: Sequence[Feed] = ()
) -> Reply:
    """Archive size, date range, each source with its health, and the polled feeds' health."""
    embed = discord.Embed(title="The archive", colour=COLOUR)
    embed.add_field(name="Posts", value=f"{stats.posts:,}")
    embed.add_field(name="Paragraphs", value=f"{stats.paragraphs:,}")
    embed.add_field(name="Size", value=f"{stats.size_bytes / 1e6:.1f} MB")
    if stats.first_published and stats.last_published:
        embed.add_field(
            name="Published",
            value=f"{when(stats.first_published)} – {when(stats.last_published)}",
            inline=False,
        )
    lines = [_source_line(source, poll_seconds, now) for source in stats.sources]
    embed.description = "**Sources**\n" + ("\n".join(lines) if lines else "none yet")
    if feeds:
        embed.add_field(
            name="Feed polling",
            value="\n".join(_feed_line(feed, now) for feed in feeds),
            inline=False,
        )
    return fit(Reply(None, [embed]))


def _feed_line(feed: Feed, now: datetime) -> str:
    icon, state = feed_health(feed, now)
    share = feed.not_modified_share
    saved = f" · {share:.0%} answered 304" if share is not None else ""
    return f"{icon} **{inline(feed.name)}** · {state}{saved}"


def feed_health(feed: Feed, now: datetime) -> tuple[str, str]:
    """(icon, state in a few words) of a feed's polling."""
    next_try = next_poll(feed, now)
    if feed.paused:
        return "⏸️", f"paused {when(feed.paused_at, 'R')}; next try {next_try}"
    if feed.consecutive_failures:
        failures = feed.consecutive_failures
        noun = "failure" if failures == 1 else "failures"
        return "⚠️", f"{failures} {noun} in a row; next try {next_try}"
    if feed.last_poll is None:
        return "🕓", "not polled yet"
    return "✅", f"polled {when(feed.last_poll, 'R')}"


def next_poll(feed: Feed, now: datetime) -> str:
    if feed.next_poll is None or feed.next_poll <= now:
        return "now"
    return when(feed.next_poll, "R")


def _source_line(source: SourceStats, poll_seconds: int, now: datetime) -> str:
    name = source.title or (
        source.location
        if source.kind == "feed"
        else source.location.removeprefix("forum:").split("://")[-1]
        if source.kind == "forum"
        else PurePath(source.location).name
    )
    posts = f"{source.posts:,} post" + ("" if source.posts == 1 else "s")
    label = f"**{inline(name)}** ({source.kind}) · {posts}"
    if source.sync is not None:
        return f"{label} · {_sync_state(source.sync)}"
    if source.kind != "feed":
        return f"📦 {label} · imported {when(source.last_ingested, 'R')}"
    if source.last_ingested is None:
        return f"⚠️ {label} · never fetched"
    late = (now - source.last_ingested).total_seconds() > 3 * poll_seconds
    icon, state = ("⚠️", "overdue, last fetched") if late else ("✅", "fetched")
    return f"{icon} {label} · {state} {when(source.last_ingested, 'R')}"


def _sync_state(sync: SyncStatus) -> str:
    """A resumable source's last sync (ARCHIVE_SYNC, or `ingest` from the command line)."""
    if sync.finished is None:
        return f"🔄 syncing since {when(sync.started, 'R')}"
    if sync.outcome == "ok":
        return f"✅ synced {when(sync.finished, 'R')}"
    if sync.outcome == "stopped":
        return f"⏸️ sync stopped {when(sync.finished, 'R')} before the newest post"
    reason = clip(inline(sync.message or "unknown error"), 160)
    return f"⚠️ sync {sync.outcome} {when(sync.finished, 'R')}: {reason}"


def help_card(commands: Sequence[tuple[str, str]]) -> Reply:
    """What the bot can do: each command with its options, and how replies work."""
    lines = [f"**{usage}**\n{description}" for usage, description in commands]
    embed = discord.Embed(
        title="archive-bot: search the LessWrong archive",
        description="\n\n".join(lines),
        colour=COLOUR,
    )
    embed.add_field(
        name="Tips",
        value=(
            "• Replies are private unless you set `public`.\n"
            "• Dates: 2026-06-04, 4 June 2026, yesterday, 3 days ago.\n"
            "• Right-click a message → Apps → **Search the archive** to search for its text.\n"
            "• Buttons under results turn pages, show more from a post, or share the reply."
        ),
        inline=False,
    )
    return fit(Reply(None, [embed]))
