"""What a test does to the fake Discord, short of acting as a user: start and stop it, point
discord.py at it, change its world (each change sent to the bot as a gateway event), script
trouble (errors, 429s, delays) and look at what happened.

`Control` holds all of FakeDiscord's state; the other parts (user_actions, gateway, rest,
bot_actions) use it through `self`. May import: the standard library, aiohttp, discord (inside
`patched` only), .world, .records, .rest (API); .gateway and .server for types only.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .records import Interaction, Request, Rule
from .rest import API
from .world import Channel, DiscordError, Guild, Message, Overwrite, Perm, Role, User, snowflake

if TYPE_CHECKING:
    from .gateway import _Connection
    from .server import FakeDiscord


CALLBACK_SECONDS = 3.0  # an interaction must be answered within this
TOKEN_SECONDS = 15 * 60  # then its token works for followups and edits this long
NONCE_SECONDS = 5 * 60  # enforce_nonce: a repeated nonce within this returns the first message


# Path patterns (without the /api/v10 prefix) for fail(), delay() and rate_limit().
CALLBACK = r"/interactions/\d+/[^/]+/callback"
ORIGINAL = r"/webhooks/\d+/[^/]+/messages/@original"
FOLLOWUP = r"/webhooks/\d+/[^/]+"
CHANNEL_MESSAGES = r"/channels/\d+/messages"
GLOBAL_COMMANDS = r"/applications/\d+/commands"
GUILD_COMMANDS = r"/applications/\d+/guilds/\d+/commands"


class Control:
    """Part of FakeDiscord: its state, lifecycle, world, scripted trouble and what tests see."""

    def __init__(self, *, bot_name: str = "archive-bot"):
        self.token = "fake-token." + secrets.token_urlsafe(12)
        self.application_id = snowflake()
        self.bot_user = User(self.application_id, bot_name, bot=True)
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, Interaction] = {}
        self.by_token: dict[str, Interaction] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.requests: list[Request] = []
        self.unhandled: list[Request] = []  # routes the fake does not know: a test may assert none
        self.rejected: list[tuple[Request, DiscordError]] = []  # 4xx the fake answered
        self.rules: list[Rule] = []
        self.identifies: list[dict[str, Any]] = []
        self.callback_seconds = CALLBACK_SECONDS
        self.nonce_seconds = NONCE_SECONDS
        self.token_seconds = TOKEN_SECONDS
        self._sockets: list[_Connection] = []
        self._ready = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base = ""  # http://127.0.0.1:PORT, set by start()

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        for connection in list(self._sockets):
            with contextlib.suppress(Exception):
                await connection.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        """What discord.http.Route.BASE must be."""
        return self.base + API

    @property
    def gateway_url(self) -> str:
        """What discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY must be (as a yarl.URL)."""
        return self.base.replace("http://", "ws://") + "/gateway"

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        """Point discord.py (every client in this process) at the fake, restoring on exit."""
        import discord.gateway
        import discord.http
        import yarl

        route, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = route
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway

    async def wait_until_connected(self, timeout: float = 10.0) -> None:
        """Until a client has identified and been sent READY and its GUILD_CREATEs."""
        async with asyncio.timeout(timeout):
            await self._ready.wait()

    @property
    def connected(self) -> bool:
        return any(connection.identified for connection in self._sockets)

    # --- the world ---------------------------------------------------------------------------

    def add_user(self, name: str, *, bot: bool = False) -> User:
        user = User(snowflake(), name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self, name: str = "Test server", *, owner: User | None = None, bot_permissions: int = 0
    ) -> Guild:
        """A server the bot is in, with @everyone, a role for the bot (as the invite link grants)
        and no channels yet."""
        owner = owner or self.add_user(f"owner-of-{name}".lower().replace(" ", "-"))
        guild = Guild(snowflake(), name, owner, self)
        guild.roles[guild.id] = Role(guild.id, "@everyone", Perm.EVERYONE_DEFAULT)
        bot_role = guild.add_role(
            self.bot_user.username, bot_permissions or Perm.BOT_INVITE, managed=True
        )
        guild.add_member(owner)
        guild.add_member(self.bot_user, bot_role)
        self.guilds[guild.id] = guild
        return guild

    def dm_channel(self, user: User) -> Channel:
        """The direct-message channel between the bot and a user."""
        for channel in self.channels.values():
            if channel.type == 1 and channel.recipient is user:
                return channel
        channel = Channel(snowflake(), "", None, type=1, recipient=user)
        self.channels[channel.id] = channel
        return channel

    async def create_channel(self, guild: Guild, name: str) -> Channel:
        """A new text channel, announced to the bot (CHANNEL_CREATE)."""
        channel = guild.add_text_channel(name)
        await self.dispatch("CHANNEL_CREATE", channel.payload())
        return channel

    async def delete_channel(self, channel: Channel) -> None:
        """Delete a channel (CHANNEL_DELETE); later requests for it get 404 Unknown Channel."""
        channel.deleted = True
        if channel.guild is not None:
            channel.guild.channels.pop(channel.id, None)
        await self.dispatch("CHANNEL_DELETE", channel.payload())

    async def set_overwrite(
        self, channel: Channel, target: Role | User, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a channel permission overwrite for a role or a member (CHANNEL_UPDATE)."""
        kind = 0 if isinstance(target, Role) else 1
        channel.overwrites[target.id] = Overwrite(target.id, kind, allow, deny)
        await self.dispatch("CHANNEL_UPDATE", channel.payload())

    async def revoke(self, channel: Channel, permissions: int) -> None:
        """Deny the bot these permissions in one channel, as a moderator would."""
        await self.set_overwrite(channel, self.bot_user, deny=permissions)

    async def update_role(self, guild: Guild, role: Role, *, permissions: int) -> None:
        """Change a role's permissions (GUILD_ROLE_UPDATE)."""
        role.permissions = permissions
        await self.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}
        )

    async def remove_guild(self, guild: Guild) -> None:
        """The bot is removed from a server (GUILD_DELETE)."""
        self.guilds.pop(guild.id, None)
        for channel in guild.channels.values():
            channel.deleted = True
        await self.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    def post(self, user: User, channel: Channel, content: str) -> Message:
        """A message a user wrote (not dispatched: the bot asks for no message intents)."""
        message = Message(snowflake(), channel, user, content)
        self._store(message)
        return message

    # --- scripted failures -------------------------------------------------------------------

    def fail(
        self,
        method: str,
        pattern: str,
        *,
        status: int,
        code: int = 0,
        message: str = "scripted failure",
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        after_serving: bool = False,
    ) -> Rule:
        """Answer the next `times` matching requests with this error instead of serving them.

        after_serving=True: serve them first (a message is posted), then answer with the error, as
        when Discord did the work and a proxy lost the answer.
        """
        rule = Rule(
            method.upper(),
            re.compile(pattern),
            times,
            status,
            body if body is not None else {"message": message, "code": code},
            headers or {},
            after_serving=after_serving,
        )
        self.rules.append(rule)
        return rule

    def rate_limit(
        self, method: str, pattern: str, *, retry_after: float = 0.3, times: int = 1, scope="user"
    ) -> Rule:
        """A real-looking 429 (with the Via header and a JSON retry_after discord.py needs)."""
        return self.fail(
            method,
            pattern,
            status=429,
            times=times,
            headers={
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Scope": scope,
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(retry_after),
                "X-RateLimit-Bucket": "fake-bucket",
            },
            body={
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": scope == "global",
            },
        )

    def delay(
        self,
        method: str,
        pattern: str,
        seconds: float,
        *,
        times: int = 1,
        after_serving: bool = False,
    ) -> Rule:
        """Serve the next `times` matching requests only after `seconds`.

        after_serving=True: serve them at once and hold only the answer (the message is already
        in the channel while the client still waits for its id).
        """
        rule = Rule(
            method.upper(), re.compile(pattern), times, delay=seconds, after_serving=after_serving
        )
        self.rules.append(rule)
        return rule

    # --- what tests look at ------------------------------------------------------------------

    def all_pings(self) -> list[tuple[Message, set[str]]]:
        """Every message whose payloads would have pinged someone, with whom."""
        return [(m, m.pings) for m in self.messages.values() if m.pings]

    def requests_to(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.fullmatch(r.path)]
