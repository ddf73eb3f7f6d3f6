"""/announce add|remove|list|status themselves: permissions, checks, replies, isolation."""

from __future__ import annotations

import pytest

from bot.services.announcements import MAX_SUBSCRIPTIONS
from tests.fakediscord import Perm
from tests.feeds.lesswrong import item, newest

from .newsroom import announcements

BACKLOG = [item(n) for n in range(1, 6)]


async def test_add_follows_the_default_feed_and_polls_it_at_once(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()  # default_feed points at the local server (the rig's only change)
    ix = await world.fake.slash(
        world.guild.owner, world.general, "announce add", channel=world.general
    )
    reply = await ix.reply()
    assert reply.ephemeral and not reply.pings
    assert f"<#{world.general.id}> now follows" in reply.content
    assert "What the feed shows now is not announced." in reply.content
    await newsroom.poll(advance=0)
    assert newsroom.server.hits("feed.xml") == 1  # woken: read at once, not in 10 minutes
    (sub,) = await newsroom.bot.poller.store.subscriptions(world.guild.id)
    assert sub.feed_url == newsroom.url() and not sub.baseline_pending
    assert announcements(world.general) == []  # the backlog is not announced


async def test_the_commands_are_for_server_managers_only(world, newsroom, errors):
    await newsroom.start()
    (announce,) = [c for c in world.fake.global_commands if c["name"] == "announce"]
    assert announce["default_member_permissions"] == str(Perm.MANAGE_GUILD)
    assert announce["contexts"] == [0]  # servers only
    subcommands = {o["name"]: o for o in announce["options"]}
    assert list(subcommands) == ["add", "remove", "list", "status"]
    options = [o["name"] for o in subcommands["add"]["options"]]
    assert options == ["channel", "feed", "role", "keywords"]

    with pytest.raises(PermissionError):  # Discord does not even offer it to alice
        await world.fake.slash(world.alice, world.general, "announce list")
    with pytest.raises(PermissionError):
        await world.fake.slash(world.alice, world.fake.dm_channel(world.alice), "announce list")
    # A stale client or a changed server setting delivers it anyway: the bot refuses too.
    for name, options in (("add", {"channel": world.general}), ("list", {})):
        ix = await world.fake.slash(
            world.alice, world.general, f"announce {name}", force=True, **options
        )
        reply = await ix.reply()
        assert reply.ephemeral and "Only members with Manage Server" in reply.content
    assert await newsroom.bot.poller.store.subscriptions(world.guild.id) == []
    dm = world.fake.dm_channel(world.alice)
    reply = await (await world.fake.slash(world.alice, dm, "announce list", force=True)).reply()
    assert reply.ephemeral and "works in a server only" in reply.content

    manager_role = world.guild.add_role("Mods", Perm.MANAGE_GUILD)
    world.guild.add_member(world.bob, manager_role)
    reply = await newsroom.command(world.general, "list", user=world.bob)
    assert "follows no feeds yet" in reply.content


async def test_add_names_the_permission_the_bot_lacks_in_the_channel(world, newsroom):
    await newsroom.start()
    for missing, name in (
        (Perm.EMBED_LINKS, "Embed Links"),
        (Perm.SEND_MESSAGES | Perm.READ_MESSAGE_HISTORY, "Send Messages and Read Message History"),
        (Perm.VIEW_CHANNEL, "View Channel"),
    ):
        channel = await world.fake.create_channel(world.guild, f"no-{missing}")
        await world.fake.revoke(channel, missing)
        await newsroom.wait_for_channel(channel)
        reply = await newsroom.command(world.general, "add", channel=channel)
        assert reply.ephemeral
        assert f"I can't announce in #{channel.name}: I lack {name} there." in reply.content
    assert await newsroom.bot.poller.store.subscriptions(world.guild.id) == []


@pytest.mark.parametrize(
    "options, refusal",
    [
        ({"feed": "ftp://example.org/feed"}, "not an http(s) URL"),
        ({"feed": "not a url"}, "not an http(s) URL"),
        ({"feed": "https://" + "x" * 2100}, "longer than 2000 characters"),
        ({"keywords": "!!!, ???"}, "has no letters or digits"),
        ({"keywords": ",".join(f"w{n}" for n in range(30))}, "at most 20 keywords"),
        ({"keywords": "x" * 1500}, "at most 1000 characters"),
    ],
    ids=["ftp", "words", "long-url", "no-letters", "many-keywords", "long-keywords"],
)
async def test_bad_input_gets_a_short_private_answer(world, newsroom, options, refusal):
    await newsroom.start()
    reply = await newsroom.command(world.general, "add", channel=world.general, **options)
    assert reply.ephemeral and reply.content.startswith("⚠️") and refusal in reply.content
    assert not world.fake.rejected and not reply.pings
    assert await newsroom.bot.poller.store.subscriptions(world.guild.id) == []


@pytest.mark.parametrize(
    "url, problem",
    [
        ("http://127.0.0.1:8080/feed.xml", "127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "is a link-local address"),
        ("http://localhost/feed.xml", "localhost is a local host name"),
    ],
)
async def test_feeds_on_private_addresses_are_refused_by_default(world, bots, url, problem):
    await bots.start()  # FEED_ALLOW_PRIVATE unset
    ix = await world.fake.slash(
        world.guild.owner, world.general, "announce add", channel=world.general, feed=url
    )
    reply = await ix.reply()
    assert reply.ephemeral and problem in reply.content
    assert "FEED\\_ALLOW\\_PRIVATE" in reply.content  # markdown-escaped, shown as typed


async def test_the_role_may_not_be_everyone_and_an_unpingable_role_is_warned_about(world, newsroom):
    await newsroom.start()
    reply = await newsroom.command(
        world.general, "add", channel=world.general, role=world.guild.everyone
    )
    assert "never ping @\u200beveryone or @\u200bhere" in reply.content  # defused as well
    quiet = world.guild.add_role("Quiet")  # not mentionable; the bot may not mention all roles
    await newsroom.bot_sees_role(quiet)
    reply = await newsroom.command(world.general, "add", channel=world.general, role=quiet)
    assert reply.content.startswith("✅")
    assert "@Quiet is not mentionable" in reply.content and not reply.pings


async def test_add_again_updates_the_subscription_and_remove_ends_it(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    readers = world.guild.add_role("Readers", mentionable=True)
    await newsroom.start()
    await newsroom.follow(world.general)
    await newsroom.follow(world.general, role=readers, keywords="Oracles, post number 7")
    store = newsroom.bot.poller.store
    (sub,) = await store.subscriptions(world.guild.id)
    assert sub.role_id == readers.id and sub.keywords == ("oracles", "post number 7")

    listing = await newsroom.command(world.general, "list")
    line = listing.embeds[0]["description"]
    assert f"**#{sub.id}** <#{world.general.id}> ← **LessWrong**" in line
    assert f"mentions <@&{readers.id}>" in line and "“oracles”, “post number 7”" in line

    newsroom.publish(newest([*BACKLOG, item(6), item(7)]))
    await newsroom.poll()
    assert [m.embeds[0]["title"] for m in announcements(world.general)] == ["Post number 7"]

    ix = await world.fake.autocomplete(
        world.guild.owner, world.general, "announce remove", "subscription", subscription="gen"
    )
    (choice,) = await ix.response_choices()
    assert choice == {"name": f"#{sub.id} #general ← LessWrong", "value": f"sub:{sub.id}"}
    reply = await newsroom.command(world.general, "remove", subscription=choice["value"])
    assert f"Removed subscription **#{sub.id}**" in reply.content
    assert await store.subscriptions(world.guild.id) == []
    reply = await newsroom.command(world.general, "remove", subscription=str(sub.id))
    assert "no such subscription" in reply.content

    newsroom.publish(newest([*BACKLOG, item(6), item(7), item(8)]))
    hits = newsroom.server.hits("feed.xml")
    await newsroom.poll()
    assert newsroom.server.hits("feed.xml") == hits  # followed by nobody: not polled


async def test_status_shows_each_feeds_health_and_each_subscriptions_state(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    await newsroom.poll()
    await newsroom.poll()
    locked = await world.fake.create_channel(world.guild, "locked")
    await newsroom.wait_for_channel(locked)
    await newsroom.follow(locked)
    await world.fake.revoke(locked, Perm.SEND_MESSAGES)
    await newsroom.wait_for_permission(locked, "send_messages", False)

    reply = await newsroom.command(world.general, "status")
    assert reply.ephemeral
    embed = reply.embeds[0]
    lines = embed["description"].splitlines()
    assert lines[0].startswith(f"✅ **#1** <#{world.general.id}> ← LessWrong: ok")
    assert lines[1].startswith("⚠️") and "I lack Send Messages there" in lines[1]
    (field,) = embed["fields"]
    assert field["name"] == "LessWrong"
    value = field["value"]
    assert f"`{newsroom.url()}`" in value
    assert "Last poll: <t:" in value and "HTTP 304" in value
    assert "Answered 304 (unchanged): 67% of 3 polls" in value
    assert "Failures in a row: 0" in value and "Next poll: " in value
    assert "Last error" not in value


async def test_a_server_has_at_most_so_many_subscriptions(world, newsroom):
    await newsroom.start()
    store = newsroom.bot.poller.store
    for number in range(MAX_SUBSCRIPTIONS):
        await store.subscribe(world.guild.id, 1000 + number, newsroom.url(), now=0)
    reply = await newsroom.command(world.general, "add", channel=world.general)
    assert f"already has {MAX_SUBSCRIPTIONS} subscriptions" in reply.content


async def test_stats_shows_the_feeds_polling_health(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    await newsroom.poll()
    reply = await (await world.fake.slash(world.alice, world.general, "stats")).reply()
    (field,) = [f for f in reply.embeds[0]["fields"] if f["name"] == "Feed polling"]
    assert field["value"].startswith("✅ **LessWrong** · polled <t:")
    assert field["value"].endswith("· 50% answered 304")
