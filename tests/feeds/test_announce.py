"""New posts are announced once in every subscribed channel, across restarts, crashes and re-dates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.archive.search import Searcher
from bot.archive.store import Archive
from bot.feeds.delivery import CLAIM_LEASE
from bot.feeds.models import AnnouncementKind, OutboxState
from bot.feeds.poller import Poller

from .harness import Crash
from .lesswrong import item, newest

BACKLOG = [item(n) for n in range(1, 6)]


async def follow(rig, *channels, guild_id=1):
    """Subscribe channels to the feed showing BACKLOG and take the baseline (nothing announced)."""
    rig.publish(newest(BACKLOG))
    for channel in channels:
        await rig.subscribe(channel, guild_id=guild_id)
    report = await rig.round()
    assert report.delivery.messages == 0
    return report


async def test_a_new_post_is_announced_once_in_every_subscribed_channel(rig):
    await follow(rig, 101, 102)
    await rig.subscribe(201, guild_id=2)
    post = item(6, "Building Better Activation Oracles", author="Oracle Builder")
    rig.publish(newest([*BACKLOG, post]))

    report = await rig.round()

    for channel in (101, 102, 201):
        assert rig.announcer.titles(channel) == [["Building Better Activation Oracles"]]
    assert report.delivery.messages == 3
    assert rig.server.hits("feed.xml") == 2  # one fetch per round, however many channels
    (message,) = rig.announcer.channels[101]
    announcement = message.announcement
    assert announcement.kind is AnnouncementKind.POST
    assert announcement.feed_title == "LessWrong"
    (shown,) = announcement.posts
    assert shown.url == post.url
    assert shown.author == "Oracle Builder"
    assert shown.published == post.published
    assert shown.excerpt.startswith("Opening paragraph of post 6")
    assert announcement.role_id is None
    # Ingested before it was announced: searchable in the archive.
    hits = await Searcher(rig.archive).search("activation oracles")
    assert hits and hits[0].post.id == shown.post_id

    again = await rig.round()  # 304: nothing new
    assert again.feeds[0].outcome == "not_modified"
    assert again.delivery.messages == 0
    assert [len(rig.announcer.channels[c]) for c in (101, 102, 201)] == [1, 1, 1]


async def test_conditional_get_uses_the_validators_and_counts_304s(rig):
    await follow(rig, 101)
    await rig.round()
    await rig.round()
    headers = [h for path, h in rig.server.requests if path == "/feed.xml"]
    assert "If-None-Match" not in headers[0]
    assert headers[1]["If-None-Match"] == rig.server.routes["/feed.xml"].etag
    feed = await rig.feed()
    assert (feed.polls, feed.not_modified, feed.last_status) == (3, 2, 304)
    assert feed.not_modified_share == pytest.approx(2 / 3)


async def test_a_restart_on_the_same_database_posts_nothing_again(rig):
    await follow(rig, 101)
    rig.publish(newest([*BACKLOG, item(6)]))
    await rig.round()
    assert rig.announcer.posts(101) == ["Post number 6"]

    await rig.restart()
    # The server lost its ETags too: a full 200 of the same items.
    rig.server.routes["/feed.xml"].etag = '"after-restart"'
    report = await rig.round()

    assert report.feeds[0].outcome == "fetched"
    assert report.delivery.messages == 0
    assert rig.announcer.posts(101) == ["Post number 6"]


@pytest.mark.parametrize("crash", ["after_send", "before_send"])
async def test_a_crash_around_the_send_posts_exactly_once(rig, crash):
    await follow(rig, 101, 102)
    rig.publish(newest([*BACKLOG, item(6)]))
    setattr(rig.announcer, f"crash_{crash}", True)

    with pytest.raises(Crash):
        await rig.round()
    # The process died inside the first channel's send; the second was never reached.
    assert len(rig.announcer.channels[101]) == (1 if crash == "after_send" else 0)
    assert rig.announcer.channels[102] == []

    await rig.restart()
    report = await rig.round()

    assert rig.announcer.posts(101) == ["Post number 6"]
    assert rig.announcer.posts(102) == ["Post number 6"]
    assert [channel for channel, _ in rig.announcer.lookups] == [101]  # looked before resending
    assert report.delivery.recovered == (1 if crash == "after_send" else 0)
    subscription = (await rig.store.subscriptions(1))[0]
    (row,) = [r for r in await rig.store.outbox(subscription.id) if r.state is OutboxState.SENT]
    assert row.message_id == rig.announcer.channels[101][0].id


async def test_a_redated_item_is_not_announced_again(rig):
    await follow(rig, 101)
    post = item(6)
    rig.publish(newest([*BACKLOG, post]))
    await rig.round()
    # LessWrong re-dates a post that crosses a karma threshold: new pubDate, top of the feed.
    redated = post.redated(post.published + timedelta(days=2))
    rig.publish([redated, item(7), *newest(BACKLOG)])
    report = await rig.round()

    assert report.feeds[0].outcome == "fetched"
    assert rig.announcer.posts(101) == ["Post number 6", "Post number 7"]
    stored = await rig.archive.get_post(
        rig.announcer.channels[101][0].announcement.posts[0].post_id
    )
    assert stored.published == post.published  # the archive keeps the first date


async def test_posts_missed_during_downtime_are_announced_oldest_first(rig):
    await follow(rig, 101)
    await rig.close()
    rig.publish(newest([*BACKLOG, item(6), item(7)]))  # published while the bot was down
    await rig.open()
    await rig.round(advance=6 * 3600)

    assert rig.announcer.titles(101) == [["Post number 6"], ["Post number 7"]]


async def test_a_long_downtime_becomes_one_digest_of_what_is_still_visible(rig):
    await follow(rig, 101)
    await rig.close()
    missed = [item(n) for n in range(6, 18)]  # 12 posts; the feed shows the 10 newest
    rig.publish(newest([*BACKLOG, *missed]))
    await rig.open()
    report = await rig.round(advance=2 * 86400)

    assert rig.announcer.titles(101) == [[f"Post number {n}" for n in range(8, 18)]]
    (message,) = rig.announcer.channels[101]
    assert message.announcement.kind is AnnouncementKind.DIGEST
    assert report.delivery.digests == 1 and report.delivery.posts == 10


async def test_a_burst_becomes_one_digest_and_a_few_posts_stay_separate(rig):
    await follow(rig, 101)
    rig.publish(newest([*BACKLOG, *(item(n) for n in range(6, 11))]))  # 5 at once
    await rig.round()
    rig.publish(newest([*BACKLOG, *(item(n) for n in range(6, 13))]))  # then 2
    await rig.round()

    assert rig.announcer.titles(101) == [
        [f"Post number {n}" for n in range(6, 11)],
        ["Post number 11"],
        ["Post number 12"],
    ]


async def test_a_new_subscription_does_not_get_the_backlog(rig):
    await follow(rig, 101)  # the feed has been read: the new channel's baseline is taken at once
    late = await rig.subscribe(102)
    assert not late.baseline_pending
    await rig.round()
    assert rig.announcer.channels[102] == []

    rig.publish(newest([*BACKLOG, item(6)]))
    await rig.round()
    assert rig.announcer.posts(102) == ["Post number 6"]
    assert rig.announcer.posts(101) == ["Post number 6"]


async def test_a_subscription_to_a_feed_never_read_waits_for_its_first_fetch(rig):
    rig.publish(newest(BACKLOG))
    subscription = await rig.subscribe(101)
    assert subscription.baseline_pending

    report = await rig.round()

    assert report.delivery.baselines == 1
    assert rig.announcer.channels[101] == []
    states = {row.state for row in await rig.store.outbox(subscription.id)}
    assert states == {OutboxState.BASELINE}


async def test_the_role_is_mentioned_only_where_it_was_chosen(rig):
    await rig.subscribe(101, role_id=555)
    await rig.subscribe(102)
    await rig.subscribe(201, guild_id=2, role_id=777)
    await follow(rig)
    rig.publish(newest([*BACKLOG, item(6, "@everyone <@&999> read this")]))
    await rig.round()

    roles = {
        c: [m.announcement.role_id for m in rig.announcer.channels[c]] for c in (101, 102, 201)
    }
    assert roles == {101: [555], 102: [None], 201: [777]}


async def test_keywords_filter_what_a_channel_gets(rig):
    await rig.subscribe(101, keywords=("activation oracles", "gardening"))
    await rig.subscribe(102)
    await follow(rig)
    posts = [
        item(6, "A Field Guide to Quantum Gardening"),
        item(7, "Unrelated", paragraphs=("We train activation oracles with more data.",)),
        item(8, "Sixteen Schemes for AI Safety"),
        item(9, "Oracles of activation", paragraphs=("Word order matters for phrases.",)),
    ]
    rig.publish(newest([*BACKLOG, *posts]))
    await rig.round()

    assert rig.announcer.posts(101) == ["A Field Guide to Quantum Gardening", "Unrelated"]
    assert len(rig.announcer.posts(102)) == 4


async def test_one_channel_following_a_feed_twice_gets_each_post_once(rig, feed_server):
    # The same posts reach the channel through two feeds (a mirror, say).
    await rig.subscribe(101)
    await rig.subscribe(101, path="mirror.xml")
    rig.publish(newest(BACKLOG))
    rig.publish(newest(BACKLOG), path="mirror.xml")
    await rig.round()
    rig.publish(newest([*BACKLOG, item(6)]))
    rig.publish(newest([*BACKLOG, item(6)]), path="mirror.xml")
    await rig.round()

    assert rig.announcer.posts(101) == ["Post number 6"]


async def test_a_second_process_does_not_resend_a_message_another_has_just_claimed(rig):
    await follow(rig, 101)
    rig.publish(newest([*BACKLOG, item(6)]))
    rig.announcer.crash_before_send = True  # process A claims the message, then stalls
    with pytest.raises(Crash):
        await rig.round()

    other = await Archive.open(rig.db_path)  # process B on the same file, moments later
    try:
        poller = Poller(other, announcer=rig.announcer, clock=rig.clock)
        rig.clock.advance(60)
        await poller.run_round()
        assert rig.announcer.channels[101] == []  # not there, yet it is A's to send: B waits
        assert len(rig.announcer.lookups) == 1  # it looked, in case A had sent it and died
        rig.clock.advance(60)
        await poller.run_round()
        assert len(rig.announcer.lookups) == 1  # once is enough until the lease runs out
        rig.clock.advance(CLAIM_LEASE)
        await poller.run_round()
    finally:
        await other.close()
    assert rig.announcer.posts(101) == ["Post number 6"]


async def test_after_a_crash_a_message_found_in_the_channel_lets_the_next_go_out_at_once(rig):
    await follow(rig, 101)
    rig.publish(newest([*BACKLOG, item(6), item(7)]))  # two messages: the crash is in the first
    rig.announcer.crash_after_send = True  # sent, then the process died before recording it
    with pytest.raises(Crash):
        await rig.round()

    await rig.restart()
    report = await rig.round(advance=30)  # well within the dead process's lease

    assert report.delivery.recovered == 1
    assert rig.announcer.posts(101) == ["Post number 6", "Post number 7"]


async def test_after_a_crash_before_the_send_the_channel_waits_for_the_lease(rig):
    await follow(rig, 101)
    rig.publish(newest([*BACKLOG, item(6), item(7)]))  # two messages: the crash is in the first
    rig.announcer.crash_before_send = True
    with pytest.raises(Crash):
        await rig.round()
    await rig.restart()

    await rig.round(advance=30)
    assert rig.announcer.posts(101) == []  # not in the channel, but maybe on its way
    await rig.round(advance=CLAIM_LEASE)

    assert rig.announcer.posts(101) == ["Post number 6", "Post number 7"]
