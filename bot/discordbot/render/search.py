"""/search and "more from this post": pages of hits with their excerpts and buttons.

May import: discord, bot.services (the pages it renders), bot.archive (types).
"""

from __future__ import annotations

import discord

from ...archive.search import Hit
from ...services.answers import PostMatches, SearchPage, SearchRequest, search_notes
from .. import custom_ids
from .limits import LIMITS, Reply, clip, fit, size
from .parts import (
    COLOUR,
    _button,
    buttons,
    byline,
    clean,
    hit_url,
    inline,
    quoted,
    safe_url,
)


def search_page(page: SearchPage, *, private: bool) -> Reply:
    """A page of search results: one embed per hit, buttons to page, dig in and share."""
    request = page.request
    if not page.hits:
        return _no_results(page)
    first = page.first_rank
    last = first + len(page.hits) - 1
    content = f"🔎 Results {first}–{last} for {quoted(request.query)}{_filters(request)}"
    for note in search_notes(page.unmatched, page.weak, request.query):  # no markdown from users
        content += "\n" + note
    embeds = [_hit_embed(rank, hit) for rank, hit in enumerate(page.hits, first)]
    view = None
    if page.session_id is not None:
        sid = page.session_id
        row = [
            _button(
                "◀ Previous",
                custom_ids.page(sid, max(0, page.page - 1), "prev"),
                disabled=page.page == 0,
            ),
            _button(
                "Next ▶",
                custom_ids.page(sid, page.page + 1, "next"),
                disabled=not page.has_next,
                primary=True,
            ),
        ]
        if private:
            row.append(_button("Share in channel", custom_ids.share(sid, page.page)))
        firsts: dict[int, int] = {}
        for rank, hit in enumerate(page.hits, first):
            firsts.setdefault(hit.post.id, rank)
        label = "More from this post" if len(firsts) == 1 else "More from #{}"
        more = [
            _button(label.format(rank), custom_ids.more(sid, post_id))
            for post_id, rank in firsts.items()
        ]
        view = buttons(row, more)
    return fit(Reply(content, embeds, view))


def _hit_embed(rank: int, hit: Hit) -> discord.Embed:
    post = hit.post
    excerpt = " ".join(hit.excerpt.marked("**", "**", escape=clean).split())
    embed = discord.Embed(
        title=f"{rank}. {inline(post.title)}",
        url=hit_url(hit),
        description=f"{byline(post)}\n> {excerpt}",
        colour=COLOUR,
    )
    total = f" of {post.paragraph_count}" if post.paragraph_count else ""
    embed.set_footer(text=f"paragraph {hit.paragraph + 1}{total}")
    return embed


def _no_results(page: SearchPage) -> Reply:
    request = page.request
    if page.page > 0:
        return fit(Reply(f"No more results for {quoted(request.query)}."))
    lines = [f"No results for {quoted(request.query)}{_filters(request)}."]
    if page.suggestions:
        shown = ", ".join(f"**{inline(clip(s, 100))}**" for s in page.suggestions)
        lines.append(f"Did you mean {shown}?")
    if request.filtered:
        lines.append("The filters may be too strict: try without author, after or before.")
    lines.append("Try fewer or other words, or look a post up by title with /post.")
    view = None
    if page.session_id is not None and page.suggestions:
        view = buttons(
            [
                _button(f"Search: {' '.join(s.split())}", custom_ids.suggestion(page.session_id, i))
                for i, s in enumerate(page.suggestions[:5])
            ]
        )
    return fit(Reply("\n".join(lines), [], view))


def _filters(request: SearchRequest) -> str:
    parts = []
    if request.author:
        parts.append(f"by {inline(request.author)}")
    if request.after:
        parts.append(f"after {request.after:%Y-%m-%d}")
    if request.before:
        parts.append(f"before {request.before:%Y-%m-%d}")
    return "".join(f" · {part}" for part in parts)


def post_matches(matches: PostMatches) -> Reply:
    """The paragraphs of one post that match a search ("more from this post")."""
    post = matches.post
    embed = discord.Embed(title=inline(post.title), url=safe_url(post.link), colour=COLOUR)
    if matches.hits:
        noun = "paragraph matches" if matches.total == 1 else "paragraphs match"
        shown = f"; the first {len(matches.hits)}:" if matches.total > len(matches.hits) else ":"
        embed.description = (
            f"{byline(post)}\n{matches.total} {noun} {quoted(matches.request.query)}{shown}"
        )
        for hit in matches.hits:
            excerpt = " ".join(hit.excerpt.marked("**", "**", escape=clean).split())
            url = hit_url(hit)
            link = f" [open]({url})" if url else ""
            embed.add_field(
                name=f"paragraph {hit.paragraph + 1}",
                value=clip(excerpt, LIMITS.field_value - size(link)) + link,
                inline=False,
            )
    else:
        embed.description = (
            f"{byline(post)}\nNo other paragraph of this post matches "
            f"{quoted(matches.request.query)}."
        )
    return fit(Reply(None, [embed]))
