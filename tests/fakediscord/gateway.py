"""The gateway: the websocket discord.py connects to, IDENTIFY, READY and dispatched events.

May import: the standard library, aiohttp.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web


class Gateway:
    """Part of FakeDiscord: the gateway (see Control for the state it uses)."""

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event to every identified connection."""
        for connection in list(self._sockets):
            if connection.identified:
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
        await connection.send_dispatch(
            "READY",
            {
                "v": 10,
                "user": self.bot_user.payload(),
                "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
                "session_id": secrets.token_hex(16),
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild in self.guilds.values():
            await connection.send_dispatch("GUILD_CREATE", guild.payload())
        self._ready.set()


class _Connection:
    def __init__(self, ws: web.WebSocketResponse):
        self.ws = ws
        self.sequence = 0
        self.identified = False
        self.intents = 0
        self.lock = asyncio.Lock()

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
