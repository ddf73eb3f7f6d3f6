"""/post with autocomplete, /recent, /random, through the fake Discord."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.archive.models import Post

from .conftest import add_posts

ORACLES = "Building Better Activation Oracles"


async def test_autocomplete_offers_matching_titles_within_discords_limits(world, bot):
    ix = await world.fake.autocomplete(world.alice, world.general, "post", "title", title="activ")
    choices = await ix.response_choices()
    assert (await ix.first()).payload["type"] == 8
    assert choices[0]["name"] == ORACLES
    assert choices[0]["value"].startswith("post:")
    empty = await world.fake.autocomplete(world.alice, world.general, "post", "title", title="")
    everything = await empty.response_choices()
    assert len(everything) == 19  # every title, newest first, at most 25


async def test_autocomplete_cuts_long_titles_and_lists_at_most_25(world, bots, db_path):
    day = datetime(2026, 5, 1, tzinfo=UTC)
    await add_posts(
        db_path,
        *(Post(f"Oracle notes {i} " + "and more " * 20, ("text",), day) for i in range(30)),
    )
    await bots.start()
    ix = await world.fake.autocomplete(world.alice, world.general, "post", "title", title="oracle")
    choices = await ix.response_choices()
    assert len(choices) == 25
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    assert any(c["name"].endswith("…") for c in choices)


async def test_a_picked_title_shows_the_post(world, bot):
    ix = await world.fake.autocomplete(world.alice, world.general, "post", "title", title="air pur")
    choice = (await ix.response_choices())[0]
    shown = await world.fake.slash(world.alice, world.general, "post", title=choice["value"])
    reply = await shown.reply()
    assert reply.ephemeral
    card = reply.embeds[0]
    assert card["title"] == "Running An Air Purifier on Batteries"
    assert card["url"].startswith("https://")
    assert re.search(r"<t:\d+:D> · \d+ min read", card["description"])
    assert len(card["description"]) > 300  # the opening paragraphs
    assert "paragraphs ·" in card["footer"]["text"]
    labels = [b["label"] for b in reply.buttons()]
    assert labels == ["Read the post", "Share in channel"]
    assert reply.button("Read the post")["url"] == card["url"]


async def test_a_typed_title_is_matched_fuzzily(world, bot):
    ix = await world.fake.slash(
        world.alice, world.general, "post", title="bulding beter activation oracle"
    )
    assert (await ix.reply()).embeds[0]["title"] == ORACLES


async def test_an_unknown_title_offers_the_closest_privately_even_when_public(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "post", title="ai", public=True)
    await ix.wait_for("followup")
    note = (await ix.wait_for("followup")).message
    assert note.ephemeral and note.ephemeral_for is world.alice
    assert note.content.startswith("No post titled “ai”.")
    assert "Closest titles:" in note.content
    assert not world.general.public_messages()  # the public "thinking..." was removed


async def test_share_a_post_card(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "post", title=ORACLES)
    private = await ix.reply()
    click = await world.fake.click(world.alice, private, "Share in channel")
    shared = (await click.wait_for("followup")).message
    assert not shared.ephemeral and shared.embeds == private.embeds
    await click.wait_for("edit_original")
    assert private.content == "✅ Shared in the channel."
    assert [b["label"] for b in private.buttons()] == ["Read the post"]


async def test_recent_lists_the_newest_posts(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "recent", count=3)
    reply = await ix.reply()
    lines = reply.embeds[0]["description"].splitlines()
    assert len(lines) == 3
    newest = "What Separates an Optimizer From Something We Merely Describe as Optimizing?"
    assert lines[0].startswith(f"**1.** [{newest}](https://www.greaterwrong.com/posts/")
    stamps = [int(s) for s in re.findall(r"<t:(\d+):R>", reply.embeds[0]["description"])]
    assert stamps == sorted(stamps, reverse=True)
    default = await world.fake.slash(world.alice, world.general, "recent")
    assert len((await default.reply()).embeds[0]["description"].splitlines()) == 5


async def test_recent_count_out_of_range_is_clamped(world, bot):
    # Discord's client enforces 1-20; a raw payload can still carry anything.
    ix = await world.fake.slash(world.alice, world.general, "recent", count=500)
    assert len((await ix.reply()).embeds[0]["description"].splitlines()) == 19
    zero = await world.fake.slash(world.alice, world.general, "recent", count=0)
    assert len((await zero.reply()).embeds[0]["description"].splitlines()) == 1


async def test_random_shows_a_post_card(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "random", public=True)
    reply = await ix.reply()
    assert not reply.ephemeral
    assert reply.embeds[0]["title"] and "min read" in reply.embeds[0]["description"]
    assert [b["label"] for b in reply.buttons()] == ["Read the post"]
