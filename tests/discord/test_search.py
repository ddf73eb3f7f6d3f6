"""/search and the "Search the archive" menu through the fake Discord, with the real client."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from bot.archive.models import Post

from .conftest import add_posts

ORACLES_URL = "https://www.lesswrong.com/posts/heXwuDRfbQQgB5JLP"
JUNE_5 = datetime(2026, 6, 5, 12, tzinfo=UTC)


async def test_search_answers_privately_with_linked_titles_dates_and_bold_excerpts(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "search", query="activation oracles")
    first = await ix.first()
    assert first.payload["type"] == 5  # deferred before searching
    assert first.payload["data"]["flags"] & 64  # ephemeral: only alice sees it
    reply = await ix.reply()
    assert reply.ephemeral and reply.ephemeral_for is world.alice
    assert reply.content.startswith("🔎 Results 1–5 for “activation oracles”")
    assert len(reply.embeds) == 5
    top = reply.embeds[0]
    assert top["title"] == "1. Building Better Activation Oracles"
    assert top["url"].startswith(ORACLES_URL) and "#:~:text=" in top["url"]
    assert re.search(r"<t:\d+:D>", top["description"])  # a Discord timestamp
    assert re.search(r"\*\*activation\*\* \*\*oracles?\*\*", top["description"], re.I)
    assert top["footer"]["text"].startswith("paragraph ")
    assert reply.allowed_mentions == {"parse": []}


async def test_public_search_is_visible_to_the_channel(world, bot):
    ix = await world.fake.slash(
        world.alice, world.general, "search", query="air purifier battery", public=True
    )
    reply = await ix.reply()
    assert not reply.ephemeral
    assert reply in world.general.public_messages()
    assert reply.embeds[0]["title"] == "1. Running An Air Purifier on Batteries"
    labels = [button["label"] for button in reply.buttons()]
    assert "Share in channel" not in labels  # already public


async def test_author_and_date_filters(world, bots, db_path):
    await add_posts(
        db_path,
        Post(
            "Safety cases, briefly", ("Safety cases argue a system is safe.",), JUNE_5, author="Zvi"
        ),
        Post("More safety", ("Another note on safety.",), JUNE_5, author="Someone Else"),
    )
    await bots.start()
    by_author = await world.fake.slash(
        world.alice, world.general, "search", query="safety", author="Zvi"
    )
    reply = await by_author.reply()
    assert "· by Zvi" in reply.content
    assert [e["title"] for e in reply.embeds] == ["1. Safety cases, briefly"]
    assert "by **Zvi**" in reply.embeds[0]["description"]

    june_4 = await world.fake.slash(
        world.alice, world.general, "search", query="model", after="2026-06-04"
    )
    june_3 = await world.fake.slash(
        world.alice, world.general, "search", query="model", before="June 4, 2026"
    )
    late, early = await june_4.reply(), await june_3.reply()
    late_days = set(re.findall(r"<t:(\d+):D>", " ".join(e["description"] for e in late.embeds)))
    early_days = set(re.findall(r"<t:(\d+):D>", " ".join(e["description"] for e in early.embeds)))
    cut = 1780531200  # 2026-06-04T00:00:00Z
    assert late_days and all(int(t) >= cut for t in late_days)
    assert early_days and all(int(t) < cut for t in early_days)


async def test_a_bad_date_is_a_short_private_note_not_a_crash(world, bot, errors):
    ix = await world.fake.slash(
        world.alice, world.general, "search", query="oracles", after="next tuesday", public=True
    )
    first = await ix.first()
    assert first.payload["type"] == 4  # refused at once, before deferring
    reply = await ix.reply()
    assert reply.ephemeral
    assert "can't read “next tuesday” as a date" in reply.content
    assert "2026-06-04" in reply.content
    assert not errors.messages()


async def test_after_later_than_before_is_refused(world, bot):
    ix = await world.fake.slash(
        world.alice,
        world.general,
        "search",
        query="oracles",
        after="2026-06-05",
        before="2026-06-01",
    )
    reply = await ix.reply()
    assert reply.ephemeral and "must be earlier than" in reply.content


async def test_zero_results_suggest_and_the_suggestion_button_searches(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "search", query="activationoracles")
    reply = await ix.reply()
    assert reply.content.startswith("No results for “activationoracles”.")
    assert "Did you mean **Building Better Activation Oracles**" in reply.content
    assert not reply.embeds
    button = reply.button("Search: Building Better Activation Oracles")
    click = await world.fake.click(world.alice, reply, button["custom_id"])
    await click.wait_for("edit_original")
    assert reply.content.startswith("🔎 Results 1–5 for “Building Better Activation Oracles”")
    assert reply.embeds[0]["title"] == "1. Building Better Activation Oracles"


async def test_next_and_previous_pages_edit_the_message_in_place(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "search", query="activation oracles")
    reply = await ix.reply()
    first_titles = [e["title"] for e in reply.embeds]
    assert reply.button("◀ Previous")["disabled"]

    click = await world.fake.click(world.alice, reply, "Next ▶")
    assert (await click.first()).payload["type"] == 6  # acknowledged, then edited
    await click.wait_for("edit_original")
    assert reply.content.startswith("🔎 Results 6–10")
    assert [e["title"][:2] for e in reply.embeds] == ["6.", "7.", "8.", "9.", "10"]
    assert not reply.button("◀ Previous")["disabled"]

    back = await world.fake.click(world.alice, reply, "◀ Previous")
    await back.wait_for("edit_original")
    assert [e["title"] for e in reply.embeds] == first_titles
    assert len(world.general.visible_to(world.alice)) == 1  # one message, edited


async def test_someone_else_cannot_turn_the_pages(world, bot):
    ix = await world.fake.slash(
        world.alice, world.general, "search", query="activation oracles", public=True
    )
    reply = await ix.reply()
    before = (reply.content, [e["title"] for e in reply.embeds], reply.edits)
    click = await world.fake.click(world.bob, reply, "Next ▶")
    note = await click.reply()
    assert note.ephemeral and note.ephemeral_for is world.bob
    assert "Only the person who searched" in note.content
    assert (reply.content, [e["title"] for e in reply.embeds], reply.edits) == before


async def test_more_from_this_post_lists_its_matching_paragraphs_for_whoever_asks(world, bot):
    ix = await world.fake.slash(
        world.alice, world.general, "search", query="activation oracles", public=True
    )
    reply = await ix.reply()
    click = await world.fake.click(world.bob, reply, "More from #1")
    more = await click.reply()
    assert more.ephemeral and more.ephemeral_for is world.bob
    embed = more.embeds[0]
    assert embed["title"] == "Building Better Activation Oracles"
    total = int(re.search(r"(\d+) paragraphs match “activation oracles”", embed["description"])[1])
    numbers = [int(f["name"].split()[1]) for f in embed["fields"]]
    assert len(numbers) == min(total, 8) >= 3 and numbers == sorted(numbers)
    if total > 8:
        assert "; the first 8:" in embed["description"]
    assert all("**" in f["value"] for f in embed["fields"])


async def test_share_in_channel_posts_the_page_publicly(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "search", query="air purifier")
    private = await ix.reply()
    click = await world.fake.click(world.alice, private, "Share in channel")
    shared = (await click.wait_for("followup")).message
    assert shared is not None and not shared.ephemeral
    assert shared in world.general.public_messages()
    assert shared.embeds == private.embeds
    assert "Share in channel" not in [b["label"] for b in shared.buttons()]
    await click.wait_for("edit_original")
    assert "Shared in the channel" in private.content
    assert "Share in channel" not in [b["label"] for b in private.buttons()]
    # The public copy pages for alice only, like any search of hers.
    refused = await world.fake.click(world.bob, shared, "Next ▶")
    assert "Only the person who searched" in (await refused.reply()).content
    turn = await world.fake.click(world.alice, shared, "Next ▶")
    await turn.wait_for("edit_original")
    assert shared.content.startswith("🔎 Results 6–") and not shared.ephemeral


async def test_message_menu_searches_for_the_message_text(world, bot):
    message = world.fake.post(world.bob, world.general, "has anyone built activation oracles?")
    ix = await world.fake.message_command(world.alice, world.general, "Search the archive", message)
    reply = await ix.reply()
    assert reply.ephemeral_for is world.alice
    assert reply.content.startswith("🔎 Results 1–5 for “has anyone built activation oracles?”")
    assert reply.embeds[0]["title"] == "1. Building Better Activation Oracles"


async def test_message_menu_on_a_message_without_text(world, bot):
    message = world.fake.post(world.bob, world.general, "")
    ix = await world.fake.message_command(world.alice, world.general, "Search the archive", message)
    reply = await ix.reply()
    assert reply.ephemeral and "no text to search for" in reply.content


async def test_buttons_keep_working_after_a_restart(world, bots):
    bot = await bots.start()
    ix = await world.fake.slash(world.alice, world.general, "search", query="activation oracles")
    reply = await ix.reply()
    await bots.stop(bot)
    await bots.start()
    click = await world.fake.click(world.alice, reply, "Next ▶")
    await click.wait_for("edit_original")
    assert reply.content.startswith("🔎 Results 6–10")


async def test_an_expired_search_says_so(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "search", query="oracles")
    reply = await ix.reply()
    month = 31 * 86400
    bot.sessions.clock = lambda: time.time() + month  # a month passes
    click = await world.fake.click(world.alice, reply, "Next ▶")
    note = await click.reply()
    assert note.ephemeral and "This search has expired. Run /search again." in note.content
    assert await bot.sessions.prune() == 1


async def test_a_button_from_an_older_version_says_expired(world, bot):
    message = world.fake.post(world.fake.bot_user, world.general, "results from long ago")
    old = {"type": 2, "style": 2, "label": "Old", "custom_id": "ab:v0:123"}
    message.components = [{"type": 1, "components": [old]}]
    click = await world.fake.click(world.alice, message, "Old")
    note = await click.reply()
    assert note.ephemeral and "expired" in note.content


async def test_a_click_without_its_message_in_the_payload_still_works(world, bot):
    # discord.py dispatches a DynamicItem only when the click carries its message; the bot answers
    # the click itself otherwise.
    ix = await world.fake.slash(
        world.alice, world.general, "search", query="activation oracles", public=True
    )
    reply = await ix.reply()
    click = await world.fake.click(world.alice, reply, "Next ▶", with_message=False)
    await click.wait_for("edit_original")
    assert reply.content.startswith("🔎 Results 6–10")
    label = next(b["label"] for b in reply.buttons() if b["label"].startswith("More from"))
    rank = int(label.split("#")[1])
    title = reply.embeds[rank - 6]["title"].split(". ", 1)[1]
    more = await world.fake.click(world.bob, reply, label, with_message=False)
    assert (await more.reply()).embeds[0]["title"] == title
    assert len(click.events) == 2 and len(more.events) == 2  # answered once each, not twice


async def test_search_says_which_words_no_post_mentions(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "search", query="zorblax optimizer")
    reply = await ix.reply()
    assert reply.content.splitlines()[1] == (
        "No post mentions *zorblax*; showing results for *optimizer*."
    )
    assert reply.embeds
    plain = await world.fake.slash(world.alice, world.general, "search", query="air purifier")
    assert "No post mentions" not in (await plain.reply()).content


async def test_search_says_when_nothing_matches_well(world, bot):
    query = "weather forecast for london tomorrow"  # every word is in the archive, apart
    ix = await world.fake.slash(world.alice, world.general, "search", query=query)
    reply = await ix.reply()
    assert reply.content.splitlines()[1] == (
        "Nothing in the archive matches this well; the closest paragraphs:"
    )
    assert reply.embeds
    plain = await world.fake.slash(world.alice, world.general, "search", query="air purifier")
    assert "matches this well" not in (await plain.reply()).content
    both = await world.fake.slash(world.alice, world.general, "search", query="zorblax recipes")
    assert (await both.reply()).content.splitlines()[1:] == [
        "No post mentions *zorblax*; showing results for *recipes*.",
        "Nothing in the archive matches this well; the closest paragraphs:",
    ]
