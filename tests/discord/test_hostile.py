"""Huge and hostile input, from users and from the archive: valid replies, escaped, no pings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.archive.models import Post

from .conftest import add_posts

HOSTILE_QUERIES = [
    "x" * 6000,
    "activation " * 600,
    '"unbalanced quote',
    "oracles OR NOT AND NEAR(a b) * ^ : - +",
    "@everyone @here look",
    "<@123456789012345678> <@&123456789012345678> <#123456789012345678>",
    "**bold** __under__ ||spoiler|| `code` > quote [link](https://evil.example)",
    "日本語のクエリ 🤖🔥 مرحبا עברית",
    "\u200b\u202e\x00\x07 control",
    "\\" * 50,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
async def test_hostile_queries_get_a_valid_reply(world, bot, query, errors):
    ix = await world.fake.slash(world.alice, world.general, "search", query=query, public=True)
    reply = await ix.reply()
    assert not world.fake.rejected, world.fake.rejected  # Discord accepted every payload
    assert reply.content.startswith(("🔎 Results", "No results for", "⚠️"))
    assert not reply.pings and not world.fake.all_pings()
    assert "@everyone" not in reply.content and "<@1" not in reply.content
    assert "**bold**" not in reply.content  # echoed input is escaped
    assert not errors.messages()


async def test_empty_query_is_refused_politely(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "search", query="   ")
    reply = await ix.reply()
    assert reply.ephemeral and "Type something to search for" in reply.content


async def test_huge_title_autocomplete_and_post_lookup(world, bot):
    huge = "a" * 6000
    ix = await world.fake.autocomplete(world.alice, world.general, "post", "title", title=huge)
    assert len(await ix.response_choices()) <= 25
    post = await world.fake.slash(world.alice, world.general, "post", title=huge + " @everyone")
    note = await post.reply()
    assert note.ephemeral and not note.pings and "@everyone" not in note.content


async def test_mentions_and_markdown_in_the_archive_do_not_ping_or_render(world, bots, db_path):
    evil = Post(
        "@everyone **Read** <@&123456789012345678> now",
        (
            "Ping @everyone and @here and <@123456789012345678> about oracles ||hidden||.",
            "Second paragraph with ``` fences and # heading and [a link](https://x.example).",
        ),
        datetime(2026, 6, 5, tzinfo=UTC),
        url="https://example.org/posts/evil(1)",
        author="<@123456789012345678>",
    )
    await add_posts(db_path, evil)
    await bots.start()
    search = await world.fake.slash(
        world.alice, world.general, "search", query="ping everyone oracles", public=True
    )
    reply = await search.reply()
    top = reply.embeds[0]
    assert "@everyone" not in top["title"] and "<@&" not in top["title"]
    assert "\\*\\*Read\\*\\*" in top["title"]
    assert "<@123456789012345678>" not in top["description"]
    assert "\\|\\|hidden\\|\\|" in top["description"]
    recent = await world.fake.slash(world.alice, world.general, "recent", count=1, public=True)
    line = (await recent.reply()).embeds[0]["description"]
    assert "(https://example.org/posts/evil%281%29)" in line  # the link is not cut short
    card = await world.fake.slash(world.alice, world.general, "post", title=evil.title, public=True)
    shown = await card.reply()
    assert "@everyone" not in shown.embeds[0]["description"]
    assert not world.fake.all_pings() and not world.fake.rejected


async def test_a_giant_post_still_fits_every_limit(world, bots, db_path):
    giant = Post(
        "G" * 500,
        tuple(("oracle " + "w" * 3000 + " ") * 3 for _ in range(40)),
        datetime(2026, 6, 6, tzinfo=UTC),
        url="https://example.org/" + "p" * 3000,
        author="A" * 1000,
    )
    await add_posts(db_path, giant)
    await bots.start()
    for name, options in (
        ("search", {"query": "oracle"}),
        ("post", {"title": "G" * 90}),
        ("recent", {"count": 20}),
    ):
        ix = await world.fake.slash(world.alice, world.general, name, public=True, **options)
        reply = await ix.reply()
        assert reply.embeds, name
    more = await world.fake.slash(world.alice, world.general, "search", query="oracle")
    page = await more.reply()
    click = await world.fake.click(world.alice, page, page.buttons()[-1]["label"])
    assert (await click.reply()).embeds
    assert not world.fake.rejected, world.fake.rejected
