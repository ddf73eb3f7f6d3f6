"""New-post announcements end to end: feed on 127.0.0.1 -> poller -> discord.py -> fake Discord.

Phase 1's scenarios (tests/feeds/) again, now through the real client: what reaches the channels,
what Discord was sent, and what /announce status says.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.feeds.delivery import CLAIM_LEASE
from bot.feeds.models import OutboxState
from tests.fakediscord import CHANNEL_MESSAGES, Perm
from tests.feeds.lesswrong import item, newest, rss
from tests.feedserver import Route

from .newsroom import announcements, notices, posts, titles

BACKLOG = [item(n) for n in range(1, 6)]


async def test_a_new_post_is_announced_once_in_every_subscribed_channel(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    other = world.fake.add_guild("Other server")
    elsewhere = other.add_text_channel("lw")
    news = world.guild.add_text_channel("news")
    await newsroom.start()
    for channel in (world.general, news, elsewhere):
        await newsroom.follow(channel)
    assert all(announcements(c) == [] for c in (world.general, news, elsewhere))  # no backlog
    hits = newsroom.server.hits("feed.xml")

    post = item(
        6,
        "Building Better Activation Oracles",
        author="Oracle Builder",
        paragraphs=("We train *oracles* on activations. @everyone should read it.", "More."),
    )
    newsroom.publish(newest([*BACKLOG, post]))
    await newsroom.poll()

    assert newsroom.server.hits("feed.xml") == hits + 1  # one fetch, however many channels
    for channel in (world.general, news, elsewhere):
        (message,) = announcements(channel)
        (embed,) = message.embeds
        assert embed["title"] == "Building Better Activation Oracles"
        assert embed["url"] == post.url
        assert embed["author"]["name"] == "LessWrong"
        stamp = int(post.published.timestamp())
        assert embed["description"].startswith(f"by **Oracle Builder** · <t:{stamp}:f>\n\n")
        assert "We train \\*oracles\\* on activations." in embed["description"]  # escaped
        assert message.content == "" and not message.pings
    assert not world.fake.rejected and not world.fake.all_pings()
    sent = world.fake.requests_to("POST", CHANNEL_MESSAGES)
    assert all(r.body["nonce"] and r.body["enforce_nonce"] for r in sent)
    # Searchable in the archive as soon as it was announced.
    ix = await world.fake.slash(world.alice, world.general, "search", query="activation oracles")
    assert (await ix.reply()).embeds[0]["title"] == "1. Building Better Activation Oracles"

    await newsroom.poll()  # 304: nothing new
    assert [len(announcements(c)) for c in (world.general, news, elsewhere)] == [1, 1, 1]


async def test_a_restart_on_the_same_database_posts_nothing_again(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    newsroom.publish(newest([*BACKLOG, item(6)]))
    await newsroom.poll()
    assert posts(world.general) == ["Post number 6"]

    newsroom.server.routes["/feed.xml"].etag = '"lost-after-restart"'  # a full 200 again
    await newsroom.restart(advance=600)
    await newsroom.poll()

    feed = await newsroom.feed()
    assert feed.polls - feed.not_modified == 3  # the follow, post 6, and the restart: all 200s
    assert posts(world.general) == ["Post number 6"]
    assert len(world.fake.requests_to("POST", CHANNEL_MESSAGES)) == 1


async def crash_while_discord_answers(world, newsroom, new_posts) -> None:
    """Follow the feed, publish `new_posts`, and stop the bot while Discord's answer to the first
    message is slow: the message is in the channel and the outbox never learns its id."""
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    world.fake.delay("POST", CHANNEL_MESSAGES, 1.0, after_serving=True)
    newsroom.publish(newest([*BACKLOG, *new_posts]))
    newsroom.clock.advance(600)
    newsroom.bot.poller.wake()
    async with asyncio.timeout(10):
        while not announcements(world.general):  # noqa: ASYNC110 - the fake's log
            await asyncio.sleep(0.01)
    await newsroom.stop()


async def test_a_crash_between_send_and_record_is_recovered_from_the_channel(world, newsroom):
    await crash_while_discord_answers(world, newsroom, [item(6)])
    (message,) = announcements(world.general)

    newsroom.clock.advance(CLAIM_LEASE + 1)  # the dead process's claim has run out
    await newsroom.start()

    assert announcements(world.general) == [message]  # found in the channel, not posted again
    assert len(world.fake.requests_to("POST", CHANNEL_MESSAGES)) == 1
    assert world.fake.requests_to("GET", CHANNEL_MESSAGES)  # it looked before sending
    store = newsroom.bot.poller.store
    (sub,) = await store.subscriptions(world.guild.id)
    (row,) = [r for r in await store.outbox(sub.id) if r.state is OutboxState.SENT]
    assert row.message_id == message.id


async def test_after_a_crash_a_message_found_in_the_channel_holds_up_nothing(world, newsroom):
    await crash_while_discord_answers(world, newsroom, [item(6), item(7)])

    await newsroom.start()  # at once, well within the dead process's claim lease

    assert posts(world.general) == ["Post number 6", "Post number 7"]  # 7 did not wait 300 s
    assert len(world.fake.requests_to("POST", CHANNEL_MESSAGES)) == 2


async def test_an_answer_lost_after_discord_posted_is_not_a_second_message(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    # A proxy loses Discord's answer (502) after the message was posted. discord.py sends the
    # same request again by itself; the nonce makes Discord return the first message.
    world.fake.fail("POST", CHANNEL_MESSAGES, status=502, after_serving=True)
    newsroom.publish(newest([*BACKLOG, item(6)]))
    await newsroom.poll()

    assert posts(world.general) == ["Post number 6"]
    statuses = [r.status for r in world.fake.requests_to("POST", CHANNEL_MESSAGES)]
    assert statuses == [502, 200]


async def test_a_redated_item_is_not_announced_again(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    post = item(6)
    newsroom.publish(newest([*BACKLOG, post]))
    await newsroom.poll()
    # LessWrong re-dates a post that crosses a karma threshold: new pubDate, top of the feed.
    newsroom.publish([post.redated(post.published + timedelta(days=2)), item(7), *BACKLOG[::-1]])
    await newsroom.poll()

    assert titles(world.general) == [["Post number 6"], ["Post number 7"]]


async def test_posts_missed_during_downtime_are_announced_oldest_first(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    await newsroom.stop()
    newsroom.publish(newest([*BACKLOG, item(6), item(7)]))  # while the bot was down

    newsroom.clock.advance(6 * 3600)
    await newsroom.start()

    assert titles(world.general) == [["Post number 6"], ["Post number 7"]]


async def test_a_burst_becomes_one_digest_and_a_long_downtime_shows_what_is_visible(
    world, newsroom
):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    newsroom.publish(newest([*BACKLOG, *(item(n) for n in range(6, 11))]))  # 5 at once
    await newsroom.poll()
    (digest,) = announcements(world.general)
    embed = digest.embeds[0]
    assert embed["title"] == "5 new posts on LessWrong"
    assert titles(world.general) == [[f"Post number {n}" for n in range(6, 11)]]
    assert embed["fields"][0]["value"].startswith(f"[Read the post]({item(6).url}) · by **")

    await newsroom.stop()
    missed = [item(n) for n in range(11, 23)]  # 12 more; the feed shows the 10 newest
    newsroom.publish(newest([*BACKLOG, *missed]))
    newsroom.clock.advance(2 * 86400)
    await newsroom.start()

    assert titles(world.general)[1:] == [[f"Post number {n}" for n in range(13, 23)]]
    assert not world.fake.rejected  # within Discord's limits


async def test_feed_failures_back_off_pause_and_tell_each_channel_once(world, newsroom, errors):
    errors.expect("paused, its channels are told")
    newsroom.publish(newest(BACKLOG))
    other = world.fake.add_guild("Other server")
    elsewhere = other.add_text_channel("lw")
    readers = world.guild.add_role("Readers", mentionable=True)
    await newsroom.start()
    await newsroom.follow(world.general, role=readers)
    await newsroom.follow(elsewhere)
    newsroom.server.routes["/feed.xml"] = Route(status=500, body=b"oops")

    delays = []
    for _ in range(5):  # 3 failures pause it (the rig's policy), then 2 probes while paused
        await newsroom.poll_when_due()
        feed = await newsroom.feed()
        delays.append(feed.next_poll.timestamp() - newsroom.clock())
        await newsroom.poll(advance=delays[-1] / 2)  # not due yet: not fetched
    assert feed.paused and feed.consecutive_failures == 5
    assert 0.8 * 600 <= delays[0] <= 1.2 * 600 and 0.8 * 1200 <= delays[1] <= 1.2 * 1200
    assert all(delay >= 0.8 * 6 * 3600 for delay in delays[2:])
    assert newsroom.server.hits("feed.xml") == 1 + 5  # read once at the follows, then when due

    for channel in (world.general, elsewhere):
        (notice,) = notices(channel)  # told once, not at every probe
        assert "paused" in notice and "HTTP 500" in notice
    assert not world.fake.all_pings()  # a notice mentions nobody, not even the chosen role

    status = await newsroom.command(world.general, "status")
    (field,) = status.embeds[0]["fields"]
    assert "⏸️ paused" in field["value"] and "Failures in a row: 5" in field["value"]
    assert "Last error: HTTP 500" in field["value"] and "HTTP 500" in field["value"]

    newsroom.publish(newest([*BACKLOG, item(6)]))  # the feed is back
    await newsroom.poll_when_due()
    assert posts(world.general) == ["Post number 6"] and posts(elsewhere) == ["Post number 6"]
    assert not (await newsroom.feed()).paused


async def test_a_deleted_channel_and_a_lost_permission_break_only_their_subscriptions(
    world, newsroom
):
    newsroom.publish(newest(BACKLOG))
    gone = world.guild.add_text_channel("gone")
    locked = world.guild.add_text_channel("locked")
    await newsroom.start()
    for channel in (world.general, gone, locked):
        await newsroom.follow(channel)
    await world.fake.delete_channel(gone)
    await world.fake.revoke(locked, Perm.EMBED_LINKS)
    newsroom.publish(newest([*BACKLOG, item(6)]))
    await newsroom.poll()

    assert posts(world.general) == ["Post number 6"]
    assert announcements(locked) == [] and announcements(gone) == []
    status = await newsroom.command(world.general, "status")
    lines = status.embeds[0]["description"].splitlines()
    (gone_line,) = [line for line in lines if f"<#{gone.id}>" in line]
    (locked_line,) = [line for line in lines if f"<#{locked.id}>" in line]
    (ok_line,) = [line for line in lines if f"<#{world.general.id}>" in line]
    assert "**broken**" in gone_line and "channel not found" in gone_line
    assert "**broken**" in locked_line and "I lack Embed Links in #locked" in locked_line
    assert ok_line.startswith("✅")

    # Not retried: later posts reach the healthy channel only.
    tries = len(world.fake.requests_to("POST", CHANNEL_MESSAGES))
    newsroom.publish(newest([*BACKLOG, item(6), item(7)]))
    await newsroom.poll()
    assert posts(world.general) == ["Post number 6", "Post number 7"]
    assert len(world.fake.requests_to("POST", CHANNEL_MESSAGES)) == tries + 1

    # Fixed, then added again: repaired, and it gets what it missed that the feed still shows.
    await world.fake.set_overwrite(locked, world.fake.bot_user)  # the deny is lifted
    await eventually_permitted(newsroom, locked)
    await newsroom.follow(locked)
    assert titles(locked) == [["Post number 6"], ["Post number 7"]]


async def eventually_permitted(newsroom, channel) -> None:
    """Until the bot's cache has seen a channel's new permissions (a CHANNEL_UPDATE)."""
    cached = newsroom.bot.get_channel(channel.id)
    async with asyncio.timeout(5):
        while not cached.permissions_for(cached.guild.me).embed_links:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_rate_limits_are_respected_and_nothing_is_lost(world, newsroom, errors):
    newsroom.publish(newest(BACKLOG))
    news = world.guild.add_text_channel("news")
    await newsroom.start()
    await newsroom.follow(world.general)
    await newsroom.follow(news)
    # A short 429: discord.py waits and sends again by itself.
    world.fake.rate_limit("POST", CHANNEL_MESSAGES, retry_after=0.2)
    newsroom.publish(newest([*BACKLOG, item(6)]))
    await newsroom.poll()
    assert posts(world.general) == ["Post number 6"] and posts(news) == ["Post number 6"]

    # A long one (45 s > the bot's 30 s limit): not slept through; the outbox retries later and
    # the other channel goes on meanwhile.
    world.fake.rate_limit("POST", CHANNEL_MESSAGES, retry_after=45)
    newsroom.publish(newest([*BACKLOG, item(6), item(7)]))
    await newsroom.poll()
    assert [len(posts(c)) for c in (world.general, news)] in ([1, 2], [2, 1])
    await newsroom.poll(advance=30)  # before retry_after: not tried
    assert sorted(len(posts(c)) for c in (world.general, news)) == [1, 2]
    await newsroom.poll(advance=20)
    assert posts(world.general) == posts(news) == ["Post number 6", "Post number 7"]
    statuses = [r.status for r in world.fake.requests_to("POST", CHANNEL_MESSAGES)]
    assert statuses.count(429) == 2 and statuses.count(200) == 4


async def test_discord_outages_and_refusals(world, newsroom, errors):
    errors.expect("Discord refused message")
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    world.fake.fail("POST", CHANNEL_MESSAGES, status=503, message="Service Unavailable")
    newsroom.publish(newest([*BACKLOG, item(6)]))
    await newsroom.poll()
    assert announcements(world.general) == []  # 503: kept, retried later
    await newsroom.poll(advance=60)
    assert posts(world.general) == ["Post number 6"]

    world.fake.fail("POST", CHANNEL_MESSAGES, status=400, code=50035, message="Invalid Form Body")
    newsroom.publish(newest([*BACKLOG, item(6), item(7)]))
    await newsroom.poll()  # refused for good: given up, logged
    newsroom.publish(newest([*BACKLOG, item(6), item(7), item(8)]))
    await newsroom.poll()
    assert posts(world.general) == ["Post number 6", "Post number 8"]


async def test_only_the_chosen_role_is_ever_pinged(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    readers = world.guild.add_role("Readers", mentionable=True)
    bystanders = world.guild.add_role("Bystanders", mentionable=True)
    news = world.guild.add_text_channel("news")
    await newsroom.start()
    await newsroom.follow(world.general, role=readers)
    await newsroom.follow(news)
    hostile = f"@everyone @here <@&{bystanders.id}> <@{world.alice.id}> read **this**"
    newsroom.publish(newest([*BACKLOG, item(6, hostile, author=f"<@&{bystanders.id}>")]))
    await newsroom.poll()

    (pinged,) = announcements(world.general)
    assert pinged.pings == {f"role:{readers.id}"}
    assert pinged.content.startswith(f"<@&{readers.id}> New on LessWrong: ")
    assert "@everyone" not in pinged.content.replace("@\u200beveryone", "")
    assert pinged.allowed_mentions["parse"] == []  # no @everyone, @here, users or other roles
    assert [str(r) for r in pinged.allowed_mentions["roles"]] == [str(readers.id)]
    (quiet,) = announcements(news)
    assert quiet.pings == set() and quiet.content == ""
    assert [p for _, p in world.fake.all_pings()] == [{f"role:{readers.id}"}]

    newsroom.publish(newest([*BACKLOG, *(item(n) for n in range(6, 11))]))  # a digest
    await newsroom.poll()
    digest = announcements(world.general)[-1]
    assert digest.pings == {f"role:{readers.id}"} and "4 new posts" in digest.content


async def test_two_servers_see_and_change_only_their_own_subscriptions(world, newsroom):
    newsroom.publish(newest(BACKLOG))
    other = world.fake.add_guild("Other server")
    elsewhere = other.add_text_channel("lw")
    await newsroom.start()
    await newsroom.follow(world.general)
    await newsroom.follow(elsewhere)
    store = newsroom.bot.poller.store
    (ours,) = await store.subscriptions(world.guild.id)
    (theirs,) = await store.subscriptions(other.id)

    listing = await newsroom.command(elsewhere, "list")
    assert f"**#{theirs.id}**" in listing.embeds[0]["description"]
    assert f"**#{ours.id}**" not in listing.embeds[0]["description"]
    status = await newsroom.command(elsewhere, "status")
    assert str(world.general.id) not in str(status.embeds)
    ix = await world.fake.autocomplete(
        other.owner, elsewhere, "announce remove", "subscription", subscription=""
    )
    assert [c["value"] for c in await ix.response_choices()] == [f"sub:{theirs.id}"]

    refused = await newsroom.command(elsewhere, "remove", subscription=f"sub:{ours.id}")
    assert refused.ephemeral and "no such subscription" in refused.content
    assert await store.subscriptions(world.guild.id) == [ours]

    newsroom.publish(newest([*BACKLOG, item(6)]))
    await newsroom.poll()
    assert posts(world.general) == posts(elsewhere) == ["Post number 6"]


async def test_a_shared_post_linking_the_same_post_is_not_taken_for_the_announcement(
    world, newsroom
):
    newsroom.publish(newest(BACKLOG))
    await newsroom.start()
    await newsroom.follow(world.general)
    # The send fails before Discord posts anything, and the bot stops while discord.py waits
    # to try again: the message is claimed in the outbox, and not in the channel.
    world.fake.fail("POST", CHANNEL_MESSAGES, status=500)
    newsroom.publish(newest([*BACKLOG, item(6)]))
    newsroom.clock.advance(600)
    newsroom.bot.poller.wake()
    async with asyncio.timeout(10):
        while not world.fake.requests_to("POST", CHANNEL_MESSAGES):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await newsroom.stop()
    assert announcements(world.general) == []
    # Meanwhile someone shares that post in the channel: a bot message linking the same URL.
    await newsroom.start()
    ix = await world.fake.slash(
        world.alice, world.general, "post", title="Post number 6", public=True
    )
    shared = await ix.reply()
    assert shared.embeds[0]["url"] == item(6).url

    await newsroom.restart(advance=CLAIM_LEASE + 1)

    assert posts(world.general) == ["Post number 6"]  # looked, did not count the share, sent
    assert world.fake.requests_to("GET", CHANNEL_MESSAGES)


async def test_a_feed_answer_with_a_bad_byte_never_reaches_a_channel_garbled(world, newsroom):
    naive = item(5, "Naïve — dash")
    backlog = [*BACKLOG[:4], naive]
    newsroom.publish(newest(backlog))
    await newsroom.start()
    await newsroom.follow(world.general)
    cafe = item(6, "Café at six", paragraphs=("Déjà vu: the opening.",))
    # One answer loses the é of "Café" to an invalid byte; the rest of it is sound UTF-8.
    garbled = rss(newest([*backlog, cafe])).replace("Café".encode(), b"Caf\xff")
    newsroom.server.publish("feed.xml", garbled)
    await newsroom.poll()
    assert announcements(world.general) == []  # it waits for a clean copy

    newsroom.publish(newest([*backlog, cafe]))
    await newsroom.poll()

    (message,) = announcements(world.general)
    assert message.embeds[0]["title"] == "Café at six"
    assert "Déjà vu: the opening." in message.embeds[0]["description"]
    ix = await world.fake.slash(world.alice, world.general, "post", title="Naïve — dash")
    assert (await ix.reply()).embeds[0]["title"] == "Naïve — dash"  # never became mojibake
