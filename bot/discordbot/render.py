"""Pure builders: search pages, posts, lists and stats -> Discord messages, within Discord's limits.

Nothing here does I/O. Text that comes from users or from the archive is escaped (markdown and
mentions) before it reaches a message, and every message leaves through `fit()`, the one function
that knows Discord's length limits. Messages are also sent with `AllowedMentions.none()` (see
`Reply`), so even a mention that slipped through could not ping anyone.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

import discord
from discord import app_commands
from discord.utils import escape_markdown, escape_mentions, format_dt

from ..archive.models import StoredPost
from ..archive.search import Hit
from ..archive.store import ArchiveStats, SourceStats, SyncStatus
from ..feeds.models import AnnouncedPost, Announcement, AnnouncementKind, Feed, Subscription
from ..feeds.store import GuildStatus
from ..services.answers import PostLookup, PostMatches, PostPreview, SearchPage, SearchRequest
from . import custom_ids

COLOUR = discord.Colour(0x5F9B65)  # LessWrong's green
NOTICE_COLOUR = discord.Colour(0xE3A33B)  # amber: something about a feed, not a post
ELLIPSIS = "…"
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


@dataclass(frozen=True, slots=True)
class Limits:
    """Discord's limits on a message (https://discord.com/developers/docs/resources/message)."""

    content: int = 2000
    embeds: int = 10
    embed_total: int = 6000
    title: int = 256
    description: int = 4096
    fields: int = 25
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    author: int = 256
    url: int = 2048
    rows: int = 5
    buttons_per_row: int = 5
    label: int = 80
    custom_id: int = 100
    choices: int = 25
    choice_name: int = 100
    choice_value: int = 100


LIMITS = Limits()


@dataclass(slots=True)
class Reply:
    """A message to send: content, embeds and buttons. Built by the functions below, then fit()."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    role_ping: int | None = None  # the one role the message may ping (announcements only)

    def send_kwargs(self) -> dict[str, Any]:
        """Arguments for InteractionResponse.send_message / Webhook.send / Messageable.send."""
        kwargs: dict[str, Any] = {
            "content": self.content,
            "embeds": self.embeds,
            "allowed_mentions": mentions(self.role_ping),
        }
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """Arguments for edit_original_response / edit_message: replaces everything, buttons too."""
        return {
            "content": self.content,
            "embeds": self.embeds,
            "view": self.view,
            "allowed_mentions": mentions(self.role_ping),
        }


def mentions(role_id: int | None) -> discord.AllowedMentions:
    """Whom a message may ping: nobody, or this one role; never @everyone, @here or a user."""
    if role_id is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False, users=False, replied_user=False, roles=[discord.Object(id=role_id)]
    )


# --- text ----------------------------------------------------------------------------------------


def size(text: str) -> int:
    """Length as Discord may count it: UTF-16 code units (an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` units, at a line or word break when one is near, with "…".

    The cut never leaves a dangling escape backslash or an unclosed bold marker.
    """
    if size(text) <= limit:
        return text
    budget = max(0, limit - size(ELLIPSIS))
    cut = text.encode("utf-16-le")[: 2 * budget].decode("utf-16-le", "ignore")
    for separator in ("\n", " "):
        at = cut.rfind(separator)
        if at >= 0.8 * len(cut):
            cut = cut[:at]
            break
    while True:
        cut = cut.rstrip()
        if (len(cut) - len(cut.rstrip("\\"))) % 2:  # would escape the ellipsis
            cut = cut[:-1]
        elif cut.count("**") % 2 and cut.endswith("**"):
            cut = cut[:-2]
        elif cut.count("**") % 2 and size(cut) + 2 > budget:
            cut = cut[:-1]
        elif cut.count("**") % 2:
            cut += "**"  # close the bold the cut opened
            break
        else:
            break
    return cut + ELLIPSIS


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


# --- the budget ----------------------------------------------------------------------------------


def fit(reply: Reply) -> Reply:
    """The reply cut to Discord's limits: every field, each embed, and all embeds together.

    Text is cut at line or word breaks; when the embeds are too long together, the longest texts
    give way first. Buttons are ours, not user text: a button over the limits is a bug and raises.
    """
    content = clip(reply.content, LIMITS.content) if reply.content else reply.content
    embeds = [_fit_embed(embed.to_dict()) for embed in reply.embeds[: LIMITS.embeds]]
    overflow = sum(_embed_size(data) for data in embeds) - LIMITS.embed_total
    while overflow > 0:
        slot = _longest_text(embeds)
        if slot is None:
            embeds.pop()
            overflow = sum(_embed_size(data) for data in embeds) - LIMITS.embed_total
            continue
        holder, key, length = slot
        holder[key] = clip(holder[key], max(40, length - overflow))
        overflow = sum(_embed_size(data) for data in embeds) - LIMITS.embed_total
    if reply.view is not None:
        check_components(reply.view)
    embeds_out = [discord.Embed.from_dict(data) for data in embeds]
    return Reply(content, embeds_out, reply.view, reply.role_ping)


def _fit_embed(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    if "title" in data:
        data["title"] = clip(data["title"], LIMITS.title)
    if "description" in data:
        data["description"] = clip(data["description"], LIMITS.description)
    if data.get("url") and size(data["url"]) > LIMITS.url:
        del data["url"]
    fields = data.get("fields", [])[: LIMITS.fields]
    for item in fields:
        item["name"] = clip(item.get("name") or "\u200b", LIMITS.field_name)
        item["value"] = clip(item.get("value") or "\u200b", LIMITS.field_value)
    if fields:
        data["fields"] = fields
    if data.get("footer", {}).get("text"):
        data["footer"]["text"] = clip(data["footer"]["text"], LIMITS.footer)
    if data.get("author", {}).get("name"):
        data["author"]["name"] = clip(data["author"]["name"], LIMITS.author)
    return data


def _texts(data: dict[str, Any]) -> Iterable[tuple[dict[str, Any], str]]:
    """(holder, key) of every text in an embed that counts towards the 6000 total."""
    for key in ("title", "description"):
        if data.get(key):
            yield data, key
    for item in data.get("fields", []):
        yield item, "name"
        yield item, "value"
    for part in ("footer", "author"):
        key = "text" if part == "footer" else "name"
        if data.get(part, {}).get(key):
            yield data[part], key


def _embed_size(data: dict[str, Any]) -> int:
    return sum(size(holder[key]) for holder, key in _texts(data))


def _longest_text(embeds: list[dict[str, Any]]) -> tuple[dict[str, Any], str, int] | None:
    """The longest description or field value (the texts that can shrink), if any is long."""
    candidates = [
        (holder, key, size(holder[key]))
        for data in embeds
        for holder, key in _texts(data)
        if key in ("description", "value")
    ]
    best = max(candidates, key=lambda item: item[2], default=None)
    return best if best is not None and best[2] > 40 else None


def check_components(view: discord.ui.View) -> None:
    """Raise ValueError if the buttons break Discord's rules (they are ours: that is a bug)."""
    rows = view.to_components()
    if len(rows) > LIMITS.rows:
        raise ValueError(f"{len(rows)} rows of components; Discord allows {LIMITS.rows}")
    seen: set[str] = set()
    for row in rows:
        items = row.get("components", [])
        if len(items) > LIMITS.buttons_per_row:
            raise ValueError(f"{len(items)} buttons in a row; Discord allows 5")
        for item in items:
            label = item.get("label") or ""
            if size(label) > LIMITS.label:
                raise ValueError(f"button label too long: {label!r}")
            custom_id = item.get("custom_id")
            if custom_id is not None:
                if size(custom_id) > LIMITS.custom_id or custom_id in seen:
                    raise ValueError(f"bad or repeated custom_id: {custom_id!r}")
                seen.add(custom_id)


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


# --- builders ------------------------------------------------------------------------------------


def search_page(page: SearchPage, *, private: bool) -> Reply:
    """A page of search results: one embed per hit, buttons to page, dig in and share."""
    request = page.request
    if not page.hits:
        return _no_results(page)
    first = page.first_rank
    last = first + len(page.hits) - 1
    content = f"🔎 Results {first}–{last} for {quoted(request.query)}{_filters(request)}"
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
        description=f"{_byline(post)}\n> {excerpt}",
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


def _byline(post: StoredPost, *extra: str) -> str:
    parts = [f"by **{inline(post.authors)}**"] if post.authors else []
    parts.append(when(post.published, "D"))
    if post.karma is not None:  # what a forum says of it
        parts.append(f"{post.karma:,} karma")
    if post.comments:
        parts.append(f"{post.comments:,} comment" + ("" if post.comments == 1 else "s"))
    parts.extend(extra)
    return " · ".join(parts)


def post_matches(matches: PostMatches) -> Reply:
    """The paragraphs of one post that match a search ("more from this post")."""
    post = matches.post
    embed = discord.Embed(title=inline(post.title), url=safe_url(post.link), colour=COLOUR)
    if matches.hits:
        noun = "paragraph matches" if matches.total == 1 else "paragraphs match"
        shown = f"; the first {len(matches.hits)}:" if matches.total > len(matches.hits) else ":"
        embed.description = (
            f"{_byline(post)}\n{matches.total} {noun} {quoted(matches.request.query)}{shown}"
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
            f"{_byline(post)}\nNo other paragraph of this post matches "
            f"{quoted(matches.request.query)}."
        )
    return fit(Reply(None, [embed]))


def post_card(preview: PostPreview, *, private: bool) -> Reply:
    """A post: title, author, date, link, reading time and its opening paragraphs."""
    post = preview.post
    minutes = f"{preview.reading_minutes} min read"
    opening = "\n\n".join(clean(paragraph) for paragraph in preview.opening)
    embed = discord.Embed(
        title=inline(post.title),
        url=safe_url(post.link),
        description=f"{_byline(post, minutes)}\n\n{opening}",
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
    next_try = _next_poll(feed, now)
    if feed.paused:
        return "⏸️", f"paused {when(feed.paused_at, 'R')}; next try {next_try}"
    if feed.consecutive_failures:
        failures = feed.consecutive_failures
        noun = "failure" if failures == 1 else "failures"
        return "⚠️", f"{failures} {noun} in a row; next try {next_try}"
    if feed.last_poll is None:
        return "🕓", "not polled yet"
    return "✅", f"polled {when(feed.last_poll, 'R')}"


def _next_poll(feed: Feed, now: datetime) -> str:
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


def problem(text: str) -> Reply:
    """A short message about something that went wrong, shown as plain text."""
    return fit(Reply(f"⚠️ {clean(text)}"))


def notice(text: str) -> Reply:
    """A short plain message, such as "this search has expired"."""
    return fit(Reply(clean(text)))


def title_choices(posts: Iterable[StoredPost]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for /post: titles cut to 100 characters, at most 25."""
    return [
        app_commands.Choice(
            name=clip(" ".join(post.title.split()), LIMITS.choice_name) or f"post {post.id}",
            value=f"post:{post.id}",
        )
        for post in list(posts)[: LIMITS.choices]
    ]


# --- announcements -------------------------------------------------------------------------------

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


def plain(text: str) -> str:
    """Text for places that show no markdown (embed author names): whitespace collapsed."""
    return " ".join(text.split()) or "feed"


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


# --- /announce -----------------------------------------------------------------------------------


def subscribed(
    subscription: Subscription, feed: Feed, *, fetching: bool, warnings: Sequence[str] = ()
) -> Reply:
    """The answer to /announce add."""
    lines = [
        f"✅ <#{subscription.channel_id}> now follows **{inline(feed.name)}** "
        f"({_code(feed.url)}) as subscription **#{subscription.id}**.",
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
    parts = [f"**#{sub.id}** <#{sub.channel_id}> ← **{inline(feed)}** ({_code(sub.feed_url)})"]
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
    lines = [_code(feed.url)]
    if feed.last_poll is not None:
        answer = f"HTTP {feed.last_status}" if feed.last_status is not None else "no answer"
        lines.append(f"Last poll: {when(feed.last_poll, 'R')} · {answer}")
    if icon != "✅":  # healthy needs no more words than the last poll
        lines.insert(1, f"{icon} {state}")
    if feed.polls:
        share = feed.not_modified_share or 0.0
        lines.append(f"Answered 304 (unchanged): {share:.0%} of {feed.polls} polls")
    lines.append(f"Failures in a row: {feed.consecutive_failures}")
    lines.append(f"Next poll: {_next_poll(feed, now)}")
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


def _code(text: str) -> str:
    return f"`{clip(text.replace('`', ''), 300)}`"


def _keywords(keywords: Sequence[str]) -> str:
    return ", ".join(f"“{inline(keyword)}”" for keyword in keywords)
