"""ARCHIVE_SYNC: `archive-bot run` keeps a forum's archive current in the background."""

from __future__ import annotations

import asyncio
import re

from tests.archive.test_forum import T0, posts
from tests.fakeforum import FakeForum, FakePost


async def runs(bot, count: int) -> None:
    async with asyncio.timeout(20):
        while bot.autosync.runs < count:  # noqa: ASYNC110 - a counter the sync task bumps
            await asyncio.sleep(0.02)


async def test_the_bot_fills_and_keeps_up_its_archive_and_stats_say_so(world, bots):
    async with FakeForum(posts(150)) as forum:
        bot = await bots.start(sync_sources=(forum.source,), sync_hours=1 / 3600, sync_pace=0)
        await runs(bot, 1)
        assert (await bot.archive.stats()).posts == 19 + 150  # the shipped dump, and the forum
        # Commands are answered while the archive syncs and after.
        reply = await (await world.fake.slash(world.alice, world.general, "stats")).reply()
        description = reply.embeds[0]["description"]
        host = forum.base.split("://")[1]
        assert re.search(
            rf"\*\*{re.escape(host)}\*\* \(forum\) · 150 posts · ✅ synced <t:\d+:R>", description
        )
        forum.posts.append(FakePost("fresh000000000001", "A fresh post", T0.replace(year=2026)))
        await runs(bot, 2)  # due again a second later
        hits = await bot.searcher.search("fresh post")
        assert hits and hits[0].post.title == "A fresh post"


async def test_a_sync_refused_by_the_site_is_shown_and_the_bot_goes_on(world, bots, errors):
    errors.expect("bot protection")
    async with FakeForum(posts(10)) as forum:
        forum.faults = ["checkpoint"]
        bot = await bots.start(sync_sources=(forum.source,), sync_hours=24, sync_pace=0)
        await runs(bot, 1)
        reply = await (await world.fake.slash(world.alice, world.general, "stats")).reply()
        assert "⚠️ sync blocked <t:" in reply.embeds[0]["description"]
        assert "bot protection" in reply.embeds[0]["description"]
        assert len(forum.requests) == 1  # not hammered: the next try is a day away
        ix = await world.fake.slash(world.alice, world.general, "search", query="oracles")
        assert (await ix.reply()).embeds
