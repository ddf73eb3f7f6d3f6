"""The gateway: the websocket discord.py connects to, IDENTIFY, READY and dispatched events.

May import: the standard library, aiohttp.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

_GUILD_ITSELF = {"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"}  # `id` is the guild's


class Gateway:
    """Part of FakeDiscord: the gateway (see Control for the state it uses)."""

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event to every identified connection of the event's shard: a guild's
        events go to shard (guild_id >> 22) % num_shards, the rest to shard 0."""
        guild_id = int(data.get("id" if event in _GUILD_ITSELF else "guild_id") or 0)
        for connection in list(self._sockets):
            if connection.identified and connection.serves(guild_id):
                await connection.send_dispatch(event, data)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        connection = _Connection(ws)
        self._sockets.append(connection)
        try:
            await connection.send({"op": 10, "d": {"heartbeat_interval": 41250}})
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                op = message.get("op")
                if op == 1:  # heartbeat
                    await connection.send({"op": 11})
                elif op == 2:  # identify
                    await self._identify(connection, message["d"])
                elif op == 6:  # resume: not supported, the client identifies again
                    await connection.send({"op": 9, "d": False})
        finally:
            self._sockets.remove(connection)
            if not self.connected:
                self._ready.clear()
        return ws

    async def _identify(self, connection: _Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies.append(data)
        connection.identified = True
        connection.intents = data.get("intents", 0)
        shard = data.get("shard")
        if shard is not None:
            shard_id, count = (int(n) for n in shard)
            if not 0 <= shard_id < count:
                await connection.ws.close(code=4010, message=b"Invalid shard.")
                return
            connection.shard = (shard_id, count)
        guilds = [guild for gid, guild in self.guilds.items() if connection.serves(gid)]
        await connection.send_dispatch(
            "READY",
            {
                "v": 10,
                "user": self.bot_user.payload(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": secrets.token_hex(16),
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                **({"shard": list(connection.shard)} if shard is not None else {}),
            },
        )
        for guild in guilds:
            await connection.send_dispatch("GUILD_CREATE", guild.payload())
        self._ready.set()


class _Connection:
    def __init__(self, ws: web.WebSocketResponse):
        self.ws = ws
        self.sequence = 0
        self.identified = False
        self.intents = 0
        self.shard = (0, 1)  # (shard id, number of shards) from IDENTIFY
        self.lock = asyncio.Lock()

    def serves(self, guild_id: int) -> bool:
        """Whether this connection's shard gets the events of a guild (0: no guild)."""
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id if guild_id else shard_id == 0

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            if not self.ws.closed:
                await self.ws.send_str(json.dumps(payload))

    async def send_dispatch(self, event: str, data: dict[str, Any]) -> None:
        async with self.lock:
            self.sequence += 1
            if not self.ws.closed:
                await self.ws.send_str(
                    json.dumps({"op": 0, "t": event, "s": self.sequence, "d": data})
                )
