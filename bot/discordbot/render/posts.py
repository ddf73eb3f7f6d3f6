"""/post, /recent, /random: a post's card, lists of posts, and title autocomplete.

May import: discord, bot.services, bot.archive (types).
"""

from __future__ import annotations

from collections.abc import Iterable

import discord
from discord import app_commands

from ...archive.models import StoredPost
from ...services.answers import PostLookup, PostPreview
from .. import custom_ids
from .limits import LIMITS, Reply, clip, fit
from .parts import (
    COLOUR,
    _button,
    buttons,
    byline,
    clean,
    inline,
    link_text,
    quoted,
    safe_url,
    when,
)


def post_card(preview: PostPreview, *, private: bool) -> Reply:
    """A post: title, author, date, link, reading time and its opening paragraphs."""
    post = preview.post
    minutes = f"{preview.reading_minutes} min read"
    opening = "\n\n".join(clean(paragraph) for paragraph in preview.opening)
    embed = discord.Embed(
        title=inline(post.title),
        url=safe_url(post.link),
        description=f"{byline(post, minutes)}\n\n{opening}",
        colour=COLOUR,
    )
    embed.set_footer(text=f"{post.paragraph_count} paragraphs · {preview.words:,} words")
    row: list[discord.ui.Button] = []
    if url := safe_url(post.link):
        row.append(discord.ui.Button(label="Read the post", url=url))
    if private:
        row.append(_button("Share in channel", custom_ids.share_post(post.id)))
    return fit(Reply(None, [embed], buttons(row)))


def post_not_found(lookup: PostLookup) -> Reply:
    """A typed title that matched no post well enough, with the closest titles."""
    lines = [f"No post titled {quoted(lookup.text)}."]
    if lookup.suggestions:
        lines.append("Closest titles:")
        lines += [f"• {inline(post.title)}" for post in lookup.suggestions]
    lines.append("Pick a title from the list as you type, or search the text with /search.")
    return fit(Reply("\n".join(lines)))


def recent(posts: list[StoredPost]) -> Reply:
    """The newest posts, one line each."""
    if not posts:
        return fit(Reply("The archive is empty."))
    lines = []
    for number, post in enumerate(posts, 1):
        url = safe_url(post.link)
        title = f"[{link_text(post.title)}]({url})" if url else link_text(post.title)
        author = f" — {inline(post.author)}" if post.author else ""
        lines.append(f"**{number}.** {title}{author} · {when(post.published, 'R')}")
    embed = discord.Embed(title="Newest posts", description="\n".join(lines), colour=COLOUR)
    return fit(Reply(None, [embed]))


def title_choices(posts: Iterable[StoredPost]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for /post: titles cut to 100 characters, at most 25."""
    return [
        app_commands.Choice(
            name=clip(" ".join(post.title.split()), LIMITS.choice_name) or f"post {post.id}",
            value=f"post:{post.id}",
        )
        for post in list(posts)[: LIMITS.choices]
    ]
