"""Electing one process among several on a PostgreSQL archive, and waking it from another."""

import asyncio

from bot.archive.store.postgres.leader import AdvisoryLeadership

RETRY = 0.2  # seconds between tries, so that a test waits a few tries, not minutes


async def test_one_process_leads_and_another_takes_over_when_it_steps_down(postgres_url):
    first, second = (
        AdvisoryLeadership(postgres_url, retry=RETRY),
        AdvisoryLeadership(postgres_url, retry=RETRY),
    )
    try:
        await asyncio.wait_for(first.elected(), 5)
        waiting = asyncio.create_task(second.elected())
        await asyncio.sleep(5 * RETRY)
        assert not waiting.done()
        await first.close()
        await asyncio.wait_for(waiting, 5)
    finally:
        await first.close()
        await second.close()


async def test_another_process_wakes_the_leader(postgres_url):
    leader, other = (
        AdvisoryLeadership(postgres_url, retry=RETRY),
        AdvisoryLeadership(postgres_url, retry=RETRY),
    )
    woken = asyncio.Event()
    try:
        await asyncio.wait_for(leader.elected(), 5)
        await leader.listen(woken.set)
        await other.wake_leader()  # never elected itself: any process may wake the leader
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        await leader.close()
        await other.close()


async def test_waking_an_unreachable_leader_only_logs(caplog):
    unreachable = AdvisoryLeadership("postgresql://nobody@127.0.0.1:9/none", retry=RETRY)
    await unreachable.wake_leader()
    assert "could not wake the leading process" in caplog.text


async def test_a_leader_whose_connection_broke_logs_instead_of_listening(postgres_url, caplog):
    leader = AdvisoryLeadership(postgres_url, retry=RETRY)
    try:
        await asyncio.wait_for(leader.elected(), 5)
        leader._connection.terminate()  # the server or the network went away
        await leader.listen(lambda: None)
        assert "cannot listen for work" in caplog.text
        await asyncio.wait_for(leader.lost(), 5)  # and the leader steps down
    finally:
        await leader.close()
