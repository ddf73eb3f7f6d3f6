"""Announcement messages as pure data: within Discord's limits, escaped, one role at most, and
recognisable again after a crash (no Discord connection needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discordbot.render.announcements import announcement as render_announcement
from bot.discordbot.render.announcements import missing_permissions, shows_announcement
from bot.discordbot.render.limits import Reply, size
from bot.discordbot.render.limits import mentions as render_mentions
from bot.feeds.models import AnnouncedPost, Announcement, AnnouncementKind

WHEN = datetime(2026, 6, 5, 8, 0, tzinfo=UTC)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=5000)


def post(number: int = 1, **changes) -> AnnouncedPost:
    values = dict(
        post_id=number,
        title=f"Post {number}",
        url=f"https://www.lesswrong.com/posts/id{number}/post-{number}",
        author="Author",
        published=WHEN,
        excerpt="The opening of the post.",
    )
    values.update(changes)
    return AnnouncedPost(**values)


def announcement(*posts: AnnouncedPost, role_id: int | None = None) -> Announcement:
    kind = AnnouncementKind.POST if len(posts) == 1 else AnnouncementKind.DIGEST
    return Announcement(kind, "LessWrong", "https://www.lesswrong.com/feed.xml", posts, role_id)


def within_limits(reply: Reply) -> None:
    assert size(reply.content or "") <= 2000
    total = 0
    for embed in reply.embeds:
        data = embed.to_dict()
        assert size(data.get("title", "")) <= 256 and size(data.get("description", "")) <= 4096
        assert len(data.get("fields", [])) <= 25
        total += size(data.get("title", "")) + size(data.get("description", ""))
        total += sum(size(f["name"]) + size(f["value"]) for f in data.get("fields", []))
        total += size(data.get("author", {}).get("name", ""))
    assert total <= 6000


@settings(max_examples=40, deadline=None)
@given(title=text, author=text, excerpt=text, count=st.integers(1, 10))
def test_any_post_or_digest_fits_and_pings_at_most_the_role(title, author, excerpt, count):
    posts = [post(n, title=title, author=author or None, excerpt=excerpt) for n in range(count)]
    reply = render_announcement(announcement(*posts, role_id=42))
    within_limits(reply)
    mentions = reply.send_kwargs()["allowed_mentions"].to_dict()
    assert mentions == {"parse": [], "roles": [42]}
    assert reply.content.startswith("<@&42> ")
    # Only that one mention is live in the content; everything else is defused.
    assert re.findall(r"<@[!&]?\d+>|@everyone|@here", reply.content) == ["<@&42>"]


def test_a_post_shows_title_link_author_time_excerpt_and_feed():
    reply = render_announcement(announcement(post(excerpt="*Bold* claim. @everyone")))
    (embed,) = [e.to_dict() for e in reply.embeds]
    assert reply.content is None and reply.role_ping is None
    assert embed["title"] == "Post 1" and embed["url"].endswith("/post-1")
    assert embed["author"]["name"] == "LessWrong"
    assert embed["description"] == (
        f"by **Author** · <t:{int(WHEN.timestamp())}:f>\n\n\\*Bold\\* claim. @\u200beveryone"
    )
    assert render_mentions(None).to_dict() == {"parse": []}


def test_a_digest_lists_each_post_with_its_link_oldest_first():
    reply = render_announcement(announcement(*(post(n) for n in range(1, 6))))
    (embed,) = [e.to_dict() for e in reply.embeds]
    assert embed["title"] == "5 new posts on LessWrong"
    assert [f["name"] for f in embed["fields"]] == [f"{n}. Post {n}" for n in range(1, 6)]
    assert embed["fields"][0]["value"].startswith(
        "[Read the post](https://www.lesswrong.com/posts/id1/post-1) · by **Author** · <t:"
    )


def test_a_notice_pings_nobody_even_with_a_role():
    notice = Announcement(
        AnnouncementKind.NOTICE, "LessWrong", "https://x.org/feed", notice="Paused @everyone"
    )
    reply = render_announcement(notice)
    assert reply.content is None and reply.role_ping is None
    assert reply.embeds[0].title == "Announcements paused"


def sent(item: Announcement) -> list[dict]:
    """The embeds of a message as they come back from Discord's history."""
    return [
        discord.Embed.from_dict(e.to_dict()).to_dict() for e in render_announcement(item).embeds
    ]


def test_a_sent_announcement_is_recognised_by_its_links_even_if_the_post_changed():
    item = announcement(post(1))
    edited = announcement(post(1, title="Post 1 (edited)", excerpt="Rewritten."))
    assert shows_announcement(edited, sent(item))
    assert not shows_announcement(announcement(post(2)), sent(item))
    digest = announcement(*(post(n) for n in range(1, 6)))
    assert shows_announcement(digest, sent(digest))
    assert not shows_announcement(announcement(post(6)), sent(digest))


def test_without_a_usable_link_the_title_decides():
    linkless = announcement(post(1, url="ftp://nowhere"))
    assert shows_announcement(linkless, sent(linkless))
    other = announcement(post(2, url="ftp://nowhere"))
    assert not shows_announcement(other, sent(linkless))


def test_notices_are_recognised_by_their_text():
    def notice(text):
        return Announcement(AnnouncementKind.NOTICE, "LessWrong", "u", notice=text)

    assert shows_announcement(notice("paused at 10:00"), sent(notice("paused at 10:00")))
    assert not shows_announcement(notice("paused at 11:00"), sent(notice("paused at 10:00")))


def test_missing_permissions_names_the_causes():
    base = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
    assert missing_permissions(base) == ["Read Message History"]
    assert missing_permissions(discord.Permissions.none()) == ["View Channel"]
    no_send = discord.Permissions(view_channel=True, read_message_history=True)
    assert missing_permissions(no_send) == ["Send Messages"]
