"""Discord and the archive misbehaving: 429s, expiry, slowness, deleted channels, lost permissions,
a broken database. The user always gets an answer or, when none can be sent, the operator a log."""

from __future__ import annotations

import asyncio
import time

from tests.fakediscord import CALLBACK, ORIGINAL, Perm

from .conftest import eventually, sessions_locked


async def test_a_429_on_the_callback_is_retried_within_the_deadline(world, bot, errors):
    world.fake.rate_limit("POST", CALLBACK, retry_after=0.4)
    ix = await world.fake.slash(world.alice, world.general, "search", query="activation oracles")
    reply = await ix.reply()
    assert reply.embeds[0]["title"] == "1. Building Better Activation Oracles"
    attempts = world.fake.requests_to("POST", CALLBACK)
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.4
    assert 0.4 <= ix.latency() < 3
    assert any("rate limited" in m for m in errors.messages())


async def test_a_429_on_the_edit_after_deferring_is_retried(world, bot):
    world.fake.rate_limit("PATCH", ORIGINAL, retry_after=0.3, times=2)
    ix = await world.fake.slash(world.alice, world.general, "stats")
    reply = await ix.reply()
    assert reply.embeds[0]["title"] == "The archive"
    assert [r.status for r in world.fake.requests_to("PATCH", ORIGINAL)] == [429, 429, 200]


async def test_an_expired_interaction_is_logged_not_crashed(world, bot, errors):
    late = await world.fake.slash(world.alice, world.general, "search", query="oracles", age=5)
    await late.wait_for("error")
    await eventually(lambda: any("expired before the reply" in m for m in errors.messages()))
    assert late.responded is None
    fresh = await world.fake.slash(world.alice, world.general, "search", query="oracles")
    assert (await fresh.reply()).embeds  # and the bot carries on


async def test_a_slow_search_defers_and_answers_after_discords_deadline(world, bot, db_path):
    with sessions_locked(db_path):
        ix = await world.fake.slash(world.alice, world.general, "search", query="oracles")
        first = await ix.first()
        assert first.payload["type"] == 5 and ix.latency() < 1
        await asyncio.sleep(3.2)  # past the 3 seconds Discord allows before a first answer
        assert not [e for e in ix.events if e.kind != "callback"]
    reply = await ix.reply()
    assert reply.embeds and not reply.loading
    assert time.monotonic() - ix.created > 3


async def test_a_channel_deleted_while_we_work_is_logged(world, bot, errors, db_path):
    with sessions_locked(db_path):
        ix = await world.fake.slash(world.alice, world.general, "search", query="oracles")
        await ix.first()
        await world.fake.delete_channel(world.general)
    await eventually(lambda: any("Discord refused the reply" in m for m in errors.messages()))
    edits = world.fake.requests_to("PATCH", ORIGINAL)
    assert edits and all(r.status == 404 for r in edits)
    assert ix.original.loading  # nothing could be delivered, and nothing crashed
    other = world.guild.add_text_channel("other")
    again = await world.fake.slash(world.alice, other, "search", query="oracles")
    assert (await again.reply()).embeds


async def test_replies_need_no_channel_permissions(world, bot):
    # Interaction replies go through Discord's webhooks: the bot's own channel permissions do not
    # matter, so a moderator's overwrite cannot break /search or "share in channel".
    await world.fake.revoke(world.general, Perm.SEND_MESSAGES | Perm.EMBED_LINKS)
    ix = await world.fake.slash(world.alice, world.general, "search", query="air purifier")
    private = await ix.reply()
    click = await world.fake.click(world.alice, private, "Share in channel")
    shared = (await click.wait_for("followup")).message
    assert shared in world.general.public_messages()
    assert not world.fake.requests_to("POST", r"/channels/\d+/messages")


async def test_a_broken_database_gives_a_generic_note_and_an_error_log(world, bot, errors):
    errors.expect("failed")
    await bot.archive.reader.close()
    ix = await world.fake.slash(
        world.alice, world.general, "search", query="oracles", author="Zvi", public=True
    )
    note = (await ix.wait_for("followup")).message
    assert note.ephemeral and "Something went wrong on my side" in note.content
    assert "Traceback" not in note.content
    logged = [r for r in errors.records if r.levelname == "ERROR"]
    assert logged and "/search {'query': 'oracles', 'author': 'Zvi', 'public': True}" in (
        logged[0].getMessage()
    )
    assert logged[0].exc_info is not None  # the traceback goes to the operator's log


async def test_a_command_discord_still_lists_but_the_bot_dropped(world, bot):
    stale = {"id": "1", "name": "oldcommand", "type": 1, "options": []}
    ix = await world.fake.interact(world.alice, world.general, 2, stale)
    note = await ix.reply()
    assert note.ephemeral and "not available any more" in note.content


async def test_commands_work_in_direct_messages(world, bot):
    dm = world.fake.dm_channel(world.alice)
    ix = await world.fake.slash(world.alice, dm, "search", query="activation oracles")
    reply = await ix.reply()
    assert reply.embeds[0]["title"] == "1. Building Better Activation Oracles"
    click = await world.fake.click(world.alice, reply, "Next ▶")
    await click.wait_for("edit_original")
    assert reply.content.startswith("🔎 Results 6–10")


async def test_twenty_people_at_once(world, bot):
    users = [world.guild.add_member(world.fake.add_user(f"user{i}")) for i in range(20)]
    queries = ["oracles", "air purifier", "safety", "scheming", "model spec"] * 4
    interactions = await asyncio.gather(
        *(
            world.fake.slash(user, world.general, "search", query=query)
            for user, query in zip(users, queries, strict=True)
        )
    )
    replies = await asyncio.gather(*(ix.reply() for ix in interactions))
    assert all(r.content.startswith("🔎 Results") for r in replies)
    assert all(r.ephemeral_for is u for r, u in zip(replies, users, strict=True))
    assert max(ix.latency() for ix in interactions) < 3


async def test_results_without_buttons_when_the_session_cannot_be_stored(world, bot, errors):
    errors.expect("could not store a search session")
    await bot.sessions.db.close()  # the sessions file is gone (disk full, read-only, ...)
    ix = await world.fake.slash(world.alice, world.general, "search", query="activation oracles")
    reply = await ix.reply()
    assert reply.embeds[0]["title"] == "1. Building Better Activation Oracles"
    assert reply.components == []  # no buttons that could not work
    assert any("could not store a search session" in m for m in errors.messages())
