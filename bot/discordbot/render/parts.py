"""Pieces every reply uses: colours, fixed sentences, escaping, links, dates, buttons, notices.

Text from users or from the archive is escaped here (markdown and mentions) before it reaches a
message. May import: discord, bot.archive (types).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord
from discord.utils import escape_markdown, escape_mentions, format_dt

from ...archive.models import StoredPost
from ...archive.search import Hit
from .limits import LIMITS, Reply, clip, fit, size

COLOUR = discord.Colour(0x5F9B65)  # LessWrong's green


NOTICE_COLOUR = discord.Colour(0xE3A33B)  # amber: something about a feed, not a post


QUERY_SHOWN = 100  # characters of a query echoed back


LINK_CHARS = (
    512  # longer URLs (a paragraph link built from giant "words") fall back to the post URL
)


EXPIRED = "This search has expired. Run /search again."


NOT_YOURS = "Only the person who searched can turn these pages. Run /search to search yourself."


POST_GONE = "That post is no longer in the archive."


EMPTY_MESSAGE = "That message has no text to search for."


FAILED = "Something went wrong on my side; it has been logged. Please try again in a moment."


RESTARTING = "The bot is restarting. Try again in a minute."


STALE_COMMAND = (
    "That command is not available any more. Discord may take a minute to update the list."
)


def clean(text: str) -> str:
    """Text shown as itself: markdown escaped, mentions defused, newlines kept."""
    return escape_markdown(escape_mentions(text))


def inline(text: str) -> str:
    """Text for a single line: whitespace collapsed, escaped."""
    return clean(" ".join(text.split()))


def link_text(text: str) -> str:
    """Text that sits inside [...](url): escaped, brackets included."""
    return inline(text).replace("]", "\\]")


def safe_url(url: str | None) -> str | None:
    """A URL usable in a link or an embed: characters that end a markdown link encoded."""
    if not url or size(url) > LINK_CHARS or not url.startswith(("http://", "https://")):
        return None
    for char, code in (("(", "%28"), (")", "%29"), (" ", "%20"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(char, code)
    return url


def hit_url(hit: Hit) -> str | None:
    """The paragraph link of a hit, or the post's link when that one is unusable."""
    return safe_url(hit.link) or safe_url(hit.post.link)


def when(moment: datetime | None, style: str = "D") -> str:
    """A Discord timestamp, shown in each reader's own time zone and language."""
    return format_dt(moment, style) if moment is not None else "date unknown"  # type: ignore[arg-type]


def quoted(query: str) -> str:
    """A user's query echoed back: cut, escaped, in quotes."""
    return f"“{inline(clip(' '.join(query.split()), QUERY_SHOWN))}”"


def buttons(*rows: Sequence[discord.ui.Button]) -> discord.ui.View | None:
    """A view holding these rows of buttons, or None when there are none.

    The view is stopped before it is sent: clicks are dispatched by custom_id patterns registered
    once at start-up (see cogs/search.py), so no per-message view or timer has to live in memory.
    """
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for button in row:
            button.row = number
            view.add_item(button)
    if not view.children:
        return None
    view.stop()
    return view


def _button(
    label: str, custom_id: str, *, disabled: bool = False, primary: bool = False
) -> discord.ui.Button:
    style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
    return discord.ui.Button(
        label=clip(label, LIMITS.label), custom_id=custom_id, style=style, disabled=disabled
    )


def byline(post: StoredPost, *extra: str) -> str:
    parts = [f"by **{inline(post.authors)}**"] if post.authors else []
    parts.append(when(post.published, "D"))
    if post.karma is not None:  # what a forum says of it
        parts.append(f"{post.karma:,} karma")
    if post.comments:
        parts.append(f"{post.comments:,} comment" + ("" if post.comments == 1 else "s"))
    parts.extend(extra)
    return " · ".join(parts)


def problem(text: str) -> Reply:
    """A short message about something that went wrong, shown as plain text."""
    return fit(Reply(f"⚠️ {clean(text)}"))


def notice(text: str) -> Reply:
    """A short plain message, such as "this search has expired"."""
    return fit(Reply(clean(text)))


def code(text: str) -> str:
    return f"`{clip(text.replace('`', ''), 300)}`"


def plain(text: str) -> str:
    """Text for places that show no markdown (embed author names): whitespace collapsed."""
    return " ".join(text.split()) or "feed"
