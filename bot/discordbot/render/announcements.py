"""Announcements of new posts in a channel: a post's embed, digests, feed notices, and how to
recognise an announcement already sent (the history check before a resend).

May import: discord, bot.feeds (types).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import discord

from ...feeds.models import AnnouncedPost, Announcement, AnnouncementKind
from .limits import Reply, clip, fit
from .parts import (
    COLOUR,
    NOTICE_COLOUR,
    clean,
    inline,
    plain,
    safe_url,
    when,
)

PERMISSION_NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
}


DIGEST_EXCERPT = 180  # characters of each post's opening in a digest


CONTENT_TITLE = 150  # characters of a title in a ping's text


LINK = re.compile(r"\]\((https?://[^\s)]+)\)")


def missing_permissions(permissions: discord.Permissions) -> list[str]:
    """What the bot lacks to announce in a channel, by the names Discord's settings show.

    Only the causes: without View Channel nothing else counts, and without Send Messages
    Discord also drops Embed Links, which comes back with it.
    """
    if not permissions.view_channel:
        return [PERMISSION_NAMES["view_channel"]]
    missing = [name for attr, name in PERMISSION_NAMES.items() if not getattr(permissions, attr)]
    if not permissions.send_messages:
        missing.remove(PERMISSION_NAMES["embed_links"])
    return missing


def announcement(item: Announcement) -> Reply:
    """A new post, a digest of several, or a notice about a feed, as a channel message.

    Only the subscription's role can be pinged (see `mentions`); everything from the feed is
    escaped, and sits in embeds, which never ping.
    """
    feed = plain(item.feed_title)
    if item.kind is AnnouncementKind.NOTICE:
        embed = discord.Embed(
            title="Announcements paused", description=clean(item.notice or ""), colour=NOTICE_COLOUR
        )
        embed.set_author(name=feed)
        return fit(Reply(None, [embed]))
    if item.kind is AnnouncementKind.POST:
        (post,) = item.posts
        embed = _post_embed(post)
        headline = f"New on {inline(item.feed_title)}: {inline(clip(post.title, CONTENT_TITLE))}"
    else:
        count = len(item.posts)
        embed = discord.Embed(
            title=f"{count} new posts on {inline(item.feed_title)}", colour=COLOUR
        )
        for number, post in enumerate(item.posts, 1):
            embed.add_field(
                name=f"{number}. {inline(clip(post.title, 200))}",
                value=_digest_entry(post),
                inline=False,
            )
        headline = f"{count} new posts on {inline(item.feed_title)}"
    embed.set_author(name=feed)
    if item.role_id is None:
        return fit(Reply(None, [embed]))
    return fit(Reply(f"<@&{item.role_id}> {headline}", [embed], role_ping=item.role_id))


def _post_embed(post: AnnouncedPost) -> discord.Embed:
    byline = " · ".join(_announced_byline(post))
    excerpt = clean(post.excerpt)
    return discord.Embed(
        title=inline(post.title),
        url=safe_url(post.url),
        description=f"{byline}\n\n{excerpt}" if excerpt else byline,
        colour=COLOUR,
    )


def _digest_entry(post: AnnouncedPost) -> str:
    url = safe_url(post.url)
    parts = [f"[Read the post]({url})"] if url else []
    parts += _announced_byline(post, "R")
    excerpt = clean(clip(" ".join(post.excerpt.split()), DIGEST_EXCERPT))
    return " · ".join(parts) + (f"\n{excerpt}" if excerpt else "")


def _announced_byline(post: AnnouncedPost, style: str = "f") -> list[str]:
    parts = [f"by **{inline(post.author)}**"] if post.author else []
    if post.published is not None:
        parts.append(when(post.published, style))
    return parts


def linked_urls(embeds: Iterable[dict[str, Any]]) -> set[str]:
    """Every URL a message's embeds link to: embed URLs and markdown links in their texts."""
    urls: set[str] = set()
    for data in embeds:
        if data.get("url"):
            urls.add(data["url"])
        texts = [data.get("description") or ""]
        texts += [item.get("value") or "" for item in data.get("fields", [])]
        for text in texts:
            urls.update(LINK.findall(text))
    return urls


def shows_announcement(item: Announcement, embeds: Sequence[dict[str, Any]]) -> bool:
    """Whether a message with these embeds (as dicts) is this announcement, sent before.

    Posts are recognised by their links (stable, unlike titles and excerpts, which a later fetch
    may change; a post is announced at most once per channel, so one link is enough); a post
    without a usable link by its title; a notice by its text.
    """
    expected = [embed.to_dict() for embed in announcement(item).embeds]
    if item.kind is AnnouncementKind.NOTICE:
        return [e.get("description") for e in expected] == [e.get("description") for e in embeds]
    wanted = {url for post in item.posts if (url := safe_url(post.url))}
    if wanted:
        return bool(wanted & linked_urls(embeds))
    titles = [e.get("title") for e in expected]
    fields = [[f.get("name") for f in e.get("fields", [])] for e in expected]
    return titles == [e.get("title") for e in embeds] and fields == [
        [f.get("name") for f in e.get("fields", [])] for e in embeds
    ]
