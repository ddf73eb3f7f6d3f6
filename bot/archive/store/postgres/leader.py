"""Electing the process that polls, announces and syncs, among those sharing one database.

The leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its
own, outside the pool: asyncpg resets a pooled connection when it is released, and that reset
releases its advisory locks. The others try again every `retry` seconds.

When the leader dies, its connection closes and the server releases the lock at once (a killed
process's socket is closed by its kernel); the next try elects another process. When the leader
is cut off from the server instead (a network partition), it notices within `retry` seconds,
since a ping on its connection fails, and stops; the server notices the silent connection by TCP
keepalive (set to about a minute here, PostgreSQL's default is the system's two hours) and then
releases the lock, so another process takes over within about a minute and a half. For that
overlap, exactly once rests on the outbox, not on this lock.

Work that another process finds for the leader (a subscription added through it) reaches the
leader as a NOTIFY on WAKE_CHANNEL, which the leader LISTENs to on its lock connection.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from .connection import redacted

log = logging.getLogger(__name__)

LEADER_LOCK = 0x41524348_0003  # pg_advisory_lock key of the leader ("ARCH", 3)
RETRY = 15.0  # seconds between tries to lead, and between a leader's pings
WAKE_CHANNEL = "archive_bot_wake"  # NOTIFY channel: there is work for the leader now

# The server closes a connection that has stopped answering after about 30 + 3 x 10 seconds.
KEEPALIVE = {
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}

_FAILURES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError)


class AdvisoryLeadership:
    """Leadership held as a PostgreSQL advisory lock on a dedicated connection."""

    def __init__(self, url: str, *, key: int = LEADER_LOCK, retry: float = RETRY):
        self.url = url
        self.key = key
        self.retry = retry
        self._connection: asyncpg.Connection | None = None

    async def elected(self) -> None:
        while True:
            try:
                if self._connection is None:
                    self._connection = await asyncio.wait_for(
                        asyncpg.connect(self.url, server_settings=KEEPALIVE), self.retry
                    )
                held = await asyncio.wait_for(
                    self._connection.fetchval("SELECT pg_try_advisory_lock($1)", self.key),
                    self.retry,
                )
                if held:
                    return
            except _FAILURES as exc:
                log.warning("cannot reach %s to stand for leader: %s", redacted(self.url), exc)
                await self._drop()
            await asyncio.sleep(self.retry)

    async def lost(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            try:
                assert self._connection is not None
                await asyncio.wait_for(self._connection.fetchval("SELECT 1"), self.retry)
            except _FAILURES as exc:
                log.warning("lost the connection holding the leader lock: %s", exc)
                await self._drop()
                return

    async def close(self) -> None:
        await self._drop()

    async def listen(self, wake: Callable[[], None]) -> None:
        if self._connection is None:
            return
        try:  # the listener goes with the connection when leadership is lost
            await self._connection.add_listener(WAKE_CHANNEL, lambda *_: wake())
        except _FAILURES as exc:  # lost() notices the broken connection within `retry`
            log.warning("cannot listen for work on the leader's connection: %s", exc)

    async def wake_leader(self) -> None:
        try:
            connection = await asyncio.wait_for(asyncpg.connect(self.url), self.retry)
            try:
                await connection.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)
            finally:
                await connection.close()
        except _FAILURES as exc:
            log.warning("could not wake the leading process (it finds the work later): %s", exc)

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*_FAILURES):
                await asyncio.wait_for(connection.close(), self.retry)
            if not connection.is_closed():
                connection.terminate()
