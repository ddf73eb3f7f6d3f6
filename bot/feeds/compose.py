"""Pure builders: what an announcement says, and how waiting posts are grouped into messages.

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..archive.models import StoredPost
from ..archive.text import truncate
from .models import AnnouncedPost, Announcement, AnnouncementKind, Feed, OutboxRow

EXCERPT_CHARS = 300
DIGEST_AFTER = 3  # more posts than this waiting for one channel go out as a digest
DIGEST_MAX = 10  # posts per digest message (LessWrong's feed shows 10 items)


def opening_excerpt(paragraphs: Sequence[str], limit: int = EXCERPT_CHARS) -> str:
    """The post's first paragraphs, up to about `limit` characters, cut at a word."""
    text = ""
    for paragraph in paragraphs:
        text = f"{text}\n\n{paragraph}" if text else paragraph
        if len(text) >= limit:
            break
    return truncate(text, limit)


def announced_post(post: StoredPost, paragraphs: Sequence[str]) -> AnnouncedPost:
    """An archived post as an announcement shows it."""
    return AnnouncedPost(
        post_id=post.id,
        title=post.title,
        url=post.link,
        author=post.author,
        published=post.published,
        excerpt=opening_excerpt(paragraphs),
    )


def post_announcement(
    feed: Feed, posts: Sequence[AnnouncedPost], role_id: int | None
) -> Announcement:
    """One post, or a digest of several, from a feed, mentioning at most the given role."""
    kind = AnnouncementKind.POST if len(posts) == 1 else AnnouncementKind.DIGEST
    return Announcement(kind, feed.name, feed.url, tuple(posts), role_id=role_id)


def notice_announcement(feed: Feed, text: str) -> Announcement:
    """A message about the feed itself; it mentions nobody."""
    return Announcement(AnnouncementKind.NOTICE, feed.name, feed.url, notice=text)


def pause_notice(feed_name: str, failures: int, error: str, retry_seconds: float) -> str:
    """The one message a feed's channels get when the feed is paused."""
    hours = retry_seconds / 3600
    every = f"every {hours:g} hours" if hours >= 1 else f"every {retry_seconds / 60:g} minutes"
    return (
        f"Announcements from {feed_name} are paused: the feed failed {failures} times in a row "
        f"(last error: {truncate(error, 300)}). archive-bot keeps trying {every} and resumes by "
        "itself when the feed answers again; `/announce status` shows the details."
    )


def plan_groups(
    rows: Sequence[OutboxRow], digest_after: int = DIGEST_AFTER, digest_max: int = DIGEST_MAX
) -> list[list[OutboxRow]]:
    """Split a channel's waiting rows (oldest first) into messages.

    Notices go alone. Up to `digest_after` posts go one message each; more become digests of at
    most `digest_max` posts, as even in size as possible, oldest first.
    """
    notices = [[row] for row in rows if row.post_id is None]
    posts = [row for row in rows if row.post_id is not None]
    if len(posts) <= digest_after:
        return notices + [[row] for row in posts]
    count = math.ceil(len(posts) / digest_max)
    size = math.ceil(len(posts) / count)
    return notices + [posts[start : start + size] for start in range(0, len(posts), size)]
