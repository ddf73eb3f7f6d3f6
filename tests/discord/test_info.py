"""/stats and /help through the fake Discord."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.archive.models import Post, SourceDocument
from bot.archive.store import Archive


async def test_stats_shows_size_date_range_and_sources(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "stats")
    reply = await ix.reply()
    card = reply.embeds[0]
    fields = {f["name"]: f["value"] for f in card["fields"]}
    assert fields["Posts"] == "19" and fields["Paragraphs"] == "1,645"
    assert re.fullmatch(r"\d+\.\d MB", fields["Size"])
    assert fields["Published"] == "<t:1780474140:D> – <t:1780600980:D>"
    assert "📦 **lesswrong-posts-2026-06-03-to-04.txt** (dump) · 19 posts" in card["description"]


async def test_public_stats_are_shown_to_the_channel(world, bot):
    reply = await (await world.fake.slash(world.alice, world.general, "stats", public=True)).reply()
    assert not reply.ephemeral and reply in world.general.public_messages()


async def test_stats_marks_feeds_healthy_or_overdue(world, bots, db_path):
    async with await Archive.open(db_path) as archive:
        post = Post("Fresh", ("text",), datetime(2026, 6, 5, tzinfo=UTC))
        await archive.ingest(
            SourceDocument("https://example.org/feed.xml", "feed", [post], "Fresh feed")
        )
        async with archive.transaction() as db:  # a second feed last fetched a day ago
            stale = int((datetime.now(UTC) - timedelta(days=1)).timestamp())
            await db.execute(
                "INSERT INTO sources (location, kind, title, last_ingested_at) VALUES (?, ?, ?, ?)",
                ("https://example.org/stale.xml", "feed", "Stale feed", stale),
            )
    await bots.start()
    reply = await (await world.fake.slash(world.alice, world.general, "stats")).reply()
    description = reply.embeds[0]["description"]
    assert re.search(r"✅ \*\*Fresh feed\*\* \(feed\) · 1 post · fetched <t:\d+:R>", description)
    assert re.search(
        r"⚠️ \*\*Stale feed\*\* \(feed\) · 0 posts · overdue, last fetched", description
    )


async def test_help_lists_every_command_with_its_options(world, bot):
    ix = await world.fake.slash(world.alice, world.general, "help")
    assert (await ix.first()).payload["type"] == 4  # nothing slow: answered at once
    reply = await ix.reply()
    assert reply.ephemeral
    text = reply.embeds[0]["description"]
    for usage in (
        "/search query [author] [after] [before] [public]",
        "/post title [public]",
        "/recent [count] [public]",
        "/random [public]",
        "/stats [public]",
        "/help",
        "/announce add|remove|list|status",
        "Apps → Search the archive",
    ):
        assert f"**{usage}**" in text
    registered = {c["name"] for c in world.fake.global_commands}
    assert registered == {
        "search",
        "post",
        "recent",
        "random",
        "stats",
        "help",
        "announce",
        "Search the archive",
    }
