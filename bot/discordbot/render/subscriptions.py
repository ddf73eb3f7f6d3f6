"""/announce add|remove|list|status: a server's subscriptions and the state of their feeds.

May import: discord, bot.feeds (types).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import discord
from discord import app_commands

from ...feeds.models import Feed, Subscription
from ...feeds.store import GuildStatus
from .limits import LIMITS, Reply, clip, fit
from .parts import (
    COLOUR,
    clean,
    code,
    inline,
    plain,
    when,
)
from .stats import feed_health, next_poll


def subscribed(
    subscription: Subscription, feed: Feed, *, fetching: bool, warnings: Sequence[str] = ()
) -> Reply:
    """The answer to /announce add."""
    lines = [
        f"✅ <#{subscription.channel_id}> now follows **{inline(feed.name)}** "
        f"({code(feed.url)}) as subscription **#{subscription.id}**.",
        "Each new post is announced there once"
        + (f", mentioning <@&{subscription.role_id}>" if subscription.role_id else "")
        + (f", if it mentions {_keywords(subscription.keywords)}" if subscription.keywords else "")
        + ". What the feed shows now is not announced.",
    ]
    if fetching:
        lines.append("I am fetching the feed now; `/announce status` shows how that went.")
    lines += [f"⚠️ {clean(warning)}" for warning in warnings]
    return fit(Reply("\n".join(lines)))


def unsubscribed(subscription: Subscription) -> Reply:
    """The answer to /announce remove."""
    feed = subscription.feed_title or subscription.feed_url
    return fit(
        Reply(
            f"🗑️ Removed subscription **#{subscription.id}**: <#{subscription.channel_id}> no "
            f"longer follows **{inline(feed)}**."
        )
    )


NO_SUBSCRIPTIONS = (
    "This server follows no feeds yet. Start with `/announce add channel:#news`: it announces "
    "LessWrong's new posts there."
)


def subscription_list(subscriptions: Sequence[Subscription]) -> Reply:
    """/announce list: this server's subscriptions, one line each."""
    if not subscriptions:
        return fit(Reply(NO_SUBSCRIPTIONS))
    lines = [_subscription_line(sub) for sub in subscriptions]
    embed = discord.Embed(
        title="Announcements in this server", description="\n".join(lines), colour=COLOUR
    )
    embed.set_footer(text="/announce remove stops one; /announce status shows their health.")
    return fit(Reply(None, [embed]))


def _subscription_line(sub: Subscription) -> str:
    feed = sub.feed_title or sub.feed_url
    parts = [f"**#{sub.id}** <#{sub.channel_id}> ← **{inline(feed)}** ({code(sub.feed_url)})"]
    if sub.role_id:
        parts.append(f"mentions <@&{sub.role_id}>")
    if sub.keywords:
        parts.append(f"only posts mentioning {_keywords(sub.keywords)}")
    if sub.broken:
        parts.append("⚠️ broken")
    return " · ".join(parts)


def announce_status(
    status: GuildStatus, problems: dict[int, str | None], *, now: datetime
) -> Reply:
    """/announce status: each feed's polling health, each subscription's state.

    `problems` maps a subscription id to what stops the bot from posting in its channel now
    (a missing permission, a deleted channel), as the Discord layer sees it.
    """
    if not status.subscriptions:
        return fit(Reply(NO_SUBSCRIPTIONS))
    lines = [
        _subscription_state(sub, problems.get(sub.id), status.waiting.get(sub.id, 0))
        for sub in status.subscriptions
    ]
    embed = discord.Embed(title="Announcement status", description="\n".join(lines), colour=COLOUR)
    for feed in status.feeds:
        embed.add_field(name=plain(feed.name), value=_feed_status(feed, now), inline=False)
    return fit(Reply(None, [embed]))


def _subscription_state(sub: Subscription, problem: str | None, waiting: int) -> str:
    feed = inline(sub.feed_title or sub.feed_url)
    head = f"**#{sub.id}** <#{sub.channel_id}> ← {feed}"
    if sub.broken:
        reason = clean(sub.broken_reason or "unknown reason")
        return (
            f"⚠️ {head}: **broken** {when(sub.broken_at, 'R')} ({reason}); nothing is posted "
            "there. Fix it, then run `/announce add` for that channel again."
        )
    if problem:
        return f"⚠️ {head}: {clean(problem)}; the next announcement there will fail."
    queued = f" · {waiting} message(s) waiting to be sent" if waiting else ""
    return f"✅ {head}: ok{queued}"


def _feed_status(feed: Feed, now: datetime) -> str:
    icon, state = feed_health(feed, now)
    lines = [code(feed.url)]
    if feed.last_poll is not None:
        answer = f"HTTP {feed.last_status}" if feed.last_status is not None else "no answer"
        lines.append(f"Last poll: {when(feed.last_poll, 'R')} · {answer}")
    if icon != "✅":  # healthy needs no more words than the last poll
        lines.insert(1, f"{icon} {state}")
    if feed.polls:
        share = feed.not_modified_share or 0.0
        lines.append(f"Answered 304 (unchanged): {share:.0%} of {feed.polls} polls")
    lines.append(f"Failures in a row: {feed.consecutive_failures}")
    lines.append(f"Next poll: {next_poll(feed, now)}")
    if feed.last_error:
        lines.append(f"Last error: {clean(clip(feed.last_error, 300))}")
    return "\n".join(lines)


def subscription_choices(
    subscriptions: Iterable[Subscription], channel_names: dict[int, str]
) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for /announce remove: "#3 #news ← LessWrong"."""
    choices = []
    for sub in list(subscriptions)[: LIMITS.choices]:
        channel = channel_names.get(sub.channel_id, f"deleted channel {sub.channel_id}")
        name = f"#{sub.id} #{channel} ← {sub.feed_title or sub.feed_url}"
        choices.append(
            app_commands.Choice(name=clip(plain(name), LIMITS.choice_name), value=f"sub:{sub.id}")
        )
    return choices


def _keywords(keywords: Sequence[str]) -> str:
    return ", ".join(f"“{inline(keyword)}”" for keyword in keywords)
