"""Discord faults, as the Announcer reports them: broken channels, rate limits, outages."""

from __future__ import annotations

from bot.feeds.announcer import RateLimited, Rejected, TransientError
from bot.feeds.models import OutboxState

from .lesswrong import item, newest

BACKLOG = [item(n) for n in range(1, 6)]


async def follow(rig, *channels):
    rig.publish(newest(BACKLOG))
    for channel in channels:
        await rig.subscribe(channel)
    await rig.round()


async def test_a_deleted_channel_and_a_lost_permission_break_only_their_subscriptions(rig):
    await follow(rig, 101, 102, 103)
    rig.announcer.gone.add(101)
    rig.announcer.forbidden.add(102)
    rig.publish(newest([*BACKLOG, item(6)]))

    report = await rig.round()

    assert rig.announcer.posts(103) == ["Post number 6"]
    assert sorted(subscription for subscription, _ in report.delivery.broken) == [1, 2]
    status = {s.channel_id: s for s in await rig.store.subscriptions(1)}
    assert status[101].broken and "channel not found" in status[101].broken_reason
    assert status[102].broken and "missing permission" in status[102].broken_reason
    assert not status[103].broken

    # Not retried: later posts reach the healthy channel, the broken ones are left alone.
    attempts = len(rig.announcer.sends)
    rig.publish(newest([*BACKLOG, item(6), item(7)]))
    await rig.round()
    assert rig.announcer.posts(103) == ["Post number 6", "Post number 7"]
    assert rig.announcer.sends[attempts:] == [103]


async def test_subscribing_again_repairs_a_broken_subscription_and_delivers_what_it_missed(rig):
    await follow(rig, 101)
    rig.announcer.forbidden.add(101)
    rig.publish(newest([*BACKLOG, item(6)]))
    await rig.round()
    rig.publish(newest([*BACKLOG, item(6), item(7)]))
    await rig.round()
    assert rig.announcer.channels[101] == []

    rig.announcer.forbidden.discard(101)  # someone fixed the channel's permissions
    repaired = await rig.subscribe(101)
    assert not repaired.broken
    await rig.round()

    assert rig.announcer.titles(101) == [["Post number 6"], ["Post number 7"]]


async def test_a_rate_limit_is_respected_and_nothing_is_lost(rig):
    await follow(rig, 101, 102)
    rig.announcer.faults[101].append(RateLimited("429 Too Many Requests", retry_after=30))
    rig.publish(newest([*BACKLOG, item(6)]))

    report = await rig.round()
    assert report.delivery.deferred == 1
    assert rig.announcer.channels[101] == []
    assert rig.announcer.posts(102) == ["Post number 6"]

    await rig.round(advance=10)  # still inside retry_after: not even tried
    assert rig.announcer.sends.count(101) == 1
    await rig.round(advance=25)
    assert rig.announcer.posts(101) == ["Post number 6"]
    assert rig.announcer.sends.count(101) == 2


async def test_a_discord_outage_delays_the_message_and_loses_nothing(rig):
    await follow(rig, 101)
    rig.announcer.faults[101] += [TransientError("503 Service Unavailable")] * 2
    rig.publish(newest([*BACKLOG, item(6)]))
    await rig.round()
    await rig.round(advance=10)  # the retry is not due yet
    assert rig.announcer.sends.count(101) == 1
    rig.publish(newest([*BACKLOG, item(6), item(7)]))
    await rig.round()  # post 6 fails again; post 7 is fetched but must not overtake it
    assert rig.announcer.sends.count(101) == 2
    assert rig.announcer.channels[101] == []
    await rig.round(advance=60)

    assert rig.announcer.titles(101) == [["Post number 6"], ["Post number 7"]]
    (row, *_) = [r for r in await rig.store.outbox(1) if r.state is OutboxState.SENT and r.post_id]
    assert row.attempts == 3


async def test_a_send_that_went_through_before_an_error_is_not_repeated(rig):
    await follow(rig, 101)
    # Discord posted the message, then the answer was lost (a 502 from a proxy, a timeout).
    rig.announcer.deliver_then_fail[101] = TransientError("502 Bad Gateway")
    rig.publish(newest([*BACKLOG, item(6)]))
    await rig.round()
    await rig.round(advance=60)

    assert rig.announcer.posts(101) == ["Post number 6"]
    assert rig.announcer.sends.count(101) == 1  # found by its nonce, not sent again


async def test_a_message_discord_refuses_is_given_up_and_the_next_goes_out(rig):
    await follow(rig, 101)
    rig.announcer.faults[101].append(Rejected("400 Bad Request: embed too long"))
    rig.publish(newest([*BACKLOG, item(6)]))
    report = await rig.round()
    assert report.delivery.failed == 1
    rig.publish(newest([*BACKLOG, item(6), item(7)]))
    await rig.round()

    assert rig.announcer.posts(101) == ["Post number 7"]
    failed = [r for r in await rig.store.outbox(1) if r.state is OutboxState.FAILED]
    assert len(failed) == 1 and "embed too long" in failed[0].error


async def test_an_unexpected_error_in_the_adapter_is_retried_like_an_outage(rig, caplog):
    await follow(rig, 101, 102)
    rig.announcer.faults[101].append(KeyError("bug in the adapter"))
    rig.publish(newest([*BACKLOG, item(6)]))
    await rig.round()
    assert "unexpected error announcing in channel 101" in caplog.text
    assert rig.announcer.posts(102) == ["Post number 6"]
    await rig.round(advance=60)
    assert rig.announcer.posts(101) == ["Post number 6"]
