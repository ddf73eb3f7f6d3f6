"""The fake Discord: world model (guilds, channels, roles, messages), REST routes and the gateway.

See the package docstring (tests/fakediscord/__init__.py) for how to use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

API = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
CALLBACK_SECONDS = 3.0  # an interaction must be answered within this
TOKEN_SECONDS = 15 * 60  # then its token works for followups and edits this long
NONCE_SECONDS = 5 * 60  # enforce_nonce: a repeated nonce within this returns the first message


class Perm:
    """Permission bits used by the fake (https://discord.com/developers/docs/topics/permissions)."""

    ADMINISTRATOR = 1 << 3
    MANAGE_GUILD = 1 << 5
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    EMBED_LINKS = 1 << 14
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_APPLICATION_COMMANDS = 1 << 31
    ALL = (1 << 51) - 1
    # What @everyone gets in a new server, and what the README's invite link grants the bot.
    EVERYONE_DEFAULT = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY
    BOT_INVITE = 84992  # View Channels, Send Messages, Embed Links, Read Message History


# Path patterns (without the /api/v10 prefix) for fail(), delay() and rate_limit().
CALLBACK = r"/interactions/\d+/[^/]+/callback"
ORIGINAL = r"/webhooks/\d+/[^/]+/messages/@original"
FOLLOWUP = r"/webhooks/\d+/[^/]+"
CHANNEL_MESSAGES = r"/channels/\d+/messages"
GLOBAL_COMMANDS = r"/applications/\d+/commands"
GUILD_COMMANDS = r"/applications/\d+/guilds/\d+/commands"


class DiscordError(Exception):
    """Answer the current request with a Discord-style JSON error."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


# --- the world ---------------------------------------------------------------------------------


_counter = itertools.count()


def snowflake(at: float | None = None) -> int:
    """A Discord id whose timestamp is `at` (default: now)."""
    ms = int((time.time() if at is None else at) * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (next(_counter) % 4096)


def iso(at: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).isoformat()


@dataclass(eq=False)
class User:
    id: int
    username: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.username.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(eq=False)
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    mentionable: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass(eq=False)
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass(eq=False)
class Message:
    """A message as the fake keeps it. `ephemeral_for` is the only user who sees it, if any."""

    id: int
    channel: Channel
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    ephemeral_for: User | None = None
    interaction: Interaction | None = None  # the interaction that created it
    allowed_mentions: dict[str, Any] | None = None
    pings: set[str] = field(default_factory=set)
    created: float = field(default_factory=time.time)
    edited: float | None = None
    edits: int = 0
    deleted: bool = False
    webhook_id: int | None = None
    nonce: str | None = None  # Discord echoes it when creating the message, never in history

    EPHEMERAL = 1 << 6
    LOADING = 1 << 7

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & self.EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & self.LOADING)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button on the message, row by row."""
        return [item for row in self.components for item in row.get("components", [])]

    def button(self, label_or_id: str) -> dict[str, Any]:
        """The button with this label (or custom_id); KeyError if there is none."""
        for item in self.buttons():
            if label_or_id in (item.get("label"), item.get("custom_id")):
                return item
        labels = [item.get("label") for item in self.buttons()]
        raise KeyError(f"no button {label_or_id!r} on message {self.id}; buttons: {labels}")

    def text(self) -> str:
        """Everything a reader sees, as plain text: content, then each embed."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(embed[key])
            for item in embed.get("fields", []):
                parts.append(f"{item['name']}: {item['value']}")
            if embed.get("footer", {}).get("text"):
                parts.append(embed["footer"]["text"])
        return "\n".join(parts)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(self.created),
            "edited_timestamp": iso(self.edited) if self.edited else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.channel.guild is not None:
            data["guild_id"] = str(self.channel.guild.id)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.interaction is not None:
            data["interaction_metadata"] = {
                "id": str(self.interaction.id),
                "type": self.interaction.type,
                "user": self.interaction.user.payload(),
                "authorizing_integration_owners": {},
            }
        return data


@dataclass(eq=False)
class Channel:
    id: int
    name: str
    guild: Guild | None
    type: int = 0  # 0 text, 1 DM
    position: int = 0
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    deleted: bool = False
    recipient: User | None = None  # DM channels

    def payload(self) -> dict[str, Any]:
        if self.type == 1:
            return {
                "id": str(self.id),
                "type": 1,
                "recipients": [self.recipient.payload()] if self.recipient else [],
                "last_message_id": None,
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild.id) if self.guild else None,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.payload() for o in self.overwrites.values()],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def public_messages(self) -> list[Message]:
        """The channel's log as everyone sees it: no ephemeral or deleted messages."""
        return [m for m in self.messages if not m.ephemeral and not m.deleted]

    def visible_to(self, user: User) -> list[Message]:
        """The log as one user sees it: public messages and their own ephemeral ones."""
        return [
            m
            for m in self.messages
            if not m.deleted and (not m.ephemeral or m.ephemeral_for is user)
        ]


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner: User
    fake: FakeDiscord
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, list[int]] = field(default_factory=dict)  # user id -> role ids
    available: bool = True

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def add_role(
        self, name: str, permissions: int = 0, *, managed: bool = False, mentionable: bool = False
    ) -> Role:
        """A role (no gateway event: use before the bot connects, or FakeDiscord.update_role)."""
        role = Role(
            snowflake(),
            name,
            permissions,
            position=len(self.roles),
            managed=managed,
            mentionable=mentionable,
        )
        self.roles[role.id] = role
        return role

    def add_text_channel(self, name: str) -> Channel:
        """A text channel (no gateway event: use before the bot connects, or create_channel)."""
        channel = Channel(snowflake(), name, self, position=len(self.channels))
        self.channels[channel.id] = channel
        self.fake.channels[channel.id] = channel
        return channel

    def add_member(self, user: User, *roles: Role) -> User:
        self.members[user.id] = [role.id for role in roles]
        return user

    def permissions(self, user: User, channel: Channel | None = None) -> int:
        """Discord's permission algorithm: roles, then the channel's overwrites."""
        if user.id == self.owner.id:
            return Perm.ALL
        role_ids = self.members.get(user.id)
        if role_ids is None:
            return 0
        base = self.everyone.permissions
        for role_id in role_ids:
            if role_id in self.roles:
                base |= self.roles[role_id].permissions
        if base & Perm.ADMINISTRATOR:
            return Perm.ALL
        if channel is None:
            return base
        perms = base
        if (everyone := channel.overwrites.get(self.id)) is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in role_ids:
            if (overwrite := channel.overwrites.get(role_id)) is not None:
                allow |= overwrite.allow
                deny |= overwrite.deny
        perms = (perms & ~deny) | allow
        if (own := channel.overwrites.get(user.id)) is not None and own.type == 1:
            perms = (perms & ~own.deny) | own.allow
        return perms

    def member_payload(self, user: User) -> dict[str, Any]:
        return {
            "user": user.payload(),
            "roles": [str(role_id) for role_id in self.members.get(user.id, [])],
            "joined_at": iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
        }

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner.id),
            "roles": [role.payload() for role in self.roles.values()],
            "channels": [c.payload() for c in self.channels.values() if not c.deleted],
            "members": [
                self.member_payload(self.fake.users[user_id])
                for user_id in self.members
                if user_id == self.fake.bot_user.id
            ],
            "member_count": len(self.members),
            "emojis": [],
            "stickers": [],
            "features": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "voice_states": [],
            "presences": [],
            "large": False,
            "unavailable": False,
            "joined_at": iso(),
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
        }


@dataclass(eq=False)
class Interaction:
    """An interaction the fake sent, and everything the bot did about it (see `events`)."""

    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete
    user: User
    channel: Channel
    data: dict[str, Any]
    created: float  # time.monotonic() of creation (earlier than dispatch when aged)
    source: Message | None = None  # the message a clicked button is on
    events: list[Event] = field(default_factory=list)
    original: Message | None = None
    responded: int | None = None  # callback type, once answered
    thinking: bool = False  # deferred with type 5 and not yet filled in
    choices: list[dict[str, Any]] | None = None  # autocomplete answer
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    def record(self, kind: str, payload: Any = None, message: Message | None = None) -> Event:
        event = Event(kind, time.monotonic(), payload, message)
        self.events.append(event)
        self.changed.set()
        return event

    async def wait_for(
        self, kind: str | Callable[[Event], bool], *, count: int = 1, timeout: float = 10.0
    ) -> Event:
        """The `count`-th event of this kind (or matching this test), waiting for it."""
        test = kind if callable(kind) else (lambda event: event.kind == kind)
        async with asyncio.timeout(timeout):
            while True:
                matching = [event for event in self.events if test(event)]
                if len(matching) >= count:
                    return matching[count - 1]
                self.changed.clear()
                await self.changed.wait()

    async def first(self, timeout: float = 10.0) -> Event:
        """The first answer to Discord: the callback (a reply, a deferral or choices)."""
        return await self.wait_for("callback", timeout=timeout)

    async def reply(self, timeout: float = 10.0) -> Message:
        """The message that holds the answer, once it has one (not a "thinking..." placeholder).

        A callback with a message (types 4, 7), the edit of the original after a deferral, or a
        followup, whichever comes first.
        """
        event = await self.wait_for(_is_answer, timeout=timeout)
        assert event.message is not None
        return event.message

    async def response_choices(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The autocomplete choices the bot answered with."""
        await self.first(timeout)
        assert self.choices is not None, f"answered with type {self.responded}, not choices"
        return self.choices

    def latency(self) -> float | None:
        """Seconds from creation to the first callback, if answered."""
        for event in self.events:
            if event.kind == "callback":
                return event.at - self.created
        return None


def _is_answer(event: Event) -> bool:
    if event.kind == "callback":
        return event.payload.get("type") in (4, 7)
    return event.kind in ("edit_original", "followup")


@dataclass
class Event:
    """One thing the bot did about an interaction."""

    kind: str  # callback | edit_original | delete_original | followup | edit_followup | error
    at: float  # time.monotonic()
    payload: Any
    message: Message | None = None


@dataclass
class Rule:
    """A scripted answer for matching requests: an error, a 429, or a delay."""

    method: str
    pattern: re.Pattern[str]
    times: int
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hits: int = 0
    after_serving: bool = False  # do the request's work first, then delay and/or fail the answer


@dataclass
class Request:
    """A REST request the bot made, and what the fake answered."""

    method: str
    path: str  # without /api/v10
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float
    status: int = 0


# --- the server --------------------------------------------------------------------------------


class FakeDiscord:
    """Discord's REST API and gateway for one bot application, on 127.0.0.1."""

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

    # --- interactions (what a user does) -----------------------------------------------------

    async def slash(
        self,
        user: User,
        channel: Channel,
        name: str,
        /,
        *,
        age: float = 0.0,
        force: bool = False,
        **options: Any,
    ) -> Interaction:
        """A user runs /name (or "/group sub": name="announce add") with these options.

        None values are left out. Channel and role options take fake `Channel` / `Role` objects
        (or ids) and are sent with Discord's `resolved` data. As Discord does, a command is not
        offered to a member without its default_member_permissions, nor outside a server when it
        is guild-only: PermissionError. force=True sends it anyway (a stale client, a server that
        changed the command's permissions), to test the bot's own checks.
        """
        command_name, _, sub = name.partition(" ")
        command = self._command(channel, command_name, 1)
        if not force:
            self._check_offered(user, channel, command)
        data = self._command_data(channel, command)
        resolved: dict[str, dict[str, Any]] = {}
        if sub:
            known = {o["name"]: o for o in command.get("options", []) if o.get("type") == 1}
            if sub not in known:
                raise LookupError(f"/{command_name} has no subcommand {sub!r}")
            nested = self._options(known[sub], options, resolved=resolved, user=user)
            data["options"] = [{"name": sub, "type": 1, "options": nested}]
        else:
            data["options"] = self._options(command, options, resolved=resolved, user=user)
        if resolved:
            data["resolved"] = resolved
        return await self.interact(user, channel, 2, data, age=age)

    def _check_offered(self, user: User, channel: Channel, command: dict[str, Any]) -> None:
        """Refuse what Discord's client would not even show this user here."""
        contexts = command.get("contexts")
        guild_only = command.get("dm_permission") is False or contexts == [0]
        if channel.guild is None:
            if guild_only:
                raise PermissionError(f"/{command['name']} is not offered outside a server")
            return
        needed = command.get("default_member_permissions")
        if needed is None:
            return
        needed = int(needed)
        have = channel.guild.permissions(user, channel)
        if have & needed != needed:
            raise PermissionError(
                f"/{command['name']} is hidden from {user.username} "
                f"(needs permissions {needed}, has {have})"
            )

    async def autocomplete(
        self, user: User, channel: Channel, name: str, focused: str, /, **options: Any
    ) -> Interaction:
        """A user types into option `focused` of /name (or "/group sub") (its value is
        options[focused])."""
        command_name, _, sub = name.partition(" ")
        command = self._command(channel, command_name, 1)
        data = self._command_data(channel, command)
        if sub:
            known = {o["name"]: o for o in command.get("options", []) if o.get("type") == 1}
            nested = self._options(known[sub], options, focused=focused)
            data["options"] = [{"name": sub, "type": 1, "options": nested}]
        else:
            data["options"] = self._options(command, options, focused=focused)
        return await self.interact(user, channel, 4, data)

    async def message_command(
        self, user: User, channel: Channel, name: str, target: Message, *, age: float = 0.0
    ) -> Interaction:
        """A user picks Apps -> `name` on a message."""
        command = self._command(channel, name, 3)
        data = self._command_data(channel, command)
        data["target_id"] = str(target.id)
        data["resolved"] = {"messages": {str(target.id): target.payload()}}
        return await self.interact(user, channel, 2, data, age=age)

    async def click(
        self,
        user: User,
        message: Message,
        button: str,
        *,
        age: float = 0.0,
        with_message: bool = True,
    ) -> Interaction:
        """A user clicks a button (by label or custom_id) on a message they can see.

        Discord sends the message with the click; `with_message=False` leaves it out, as a
        careless client or proxy might.
        """
        if message.ephemeral and message.ephemeral_for is not user:
            raise PermissionError("that ephemeral message is not visible to this user")
        item = message.button(button)
        if item.get("disabled"):
            raise PermissionError(f"button {button!r} is disabled")
        if "custom_id" not in item:
            raise ValueError(f"button {button!r} is a link button")
        data = {"custom_id": item["custom_id"], "component_type": item["type"]}
        interaction = await self.interact(
            user, message.channel, 3, data, age=age, source=message, send_message=with_message
        )
        return interaction

    async def interact(
        self,
        user: User,
        channel: Channel,
        kind: int,
        data: dict[str, Any],
        *,
        age: float = 0.0,
        source: Message | None = None,
        send_message: bool = True,
    ) -> Interaction:
        """Send any interaction (INTERACTION_CREATE); `age` makes it that many seconds old."""
        created_wall = time.time() - age
        interaction = Interaction(
            id=snowflake(created_wall),
            token="itok." + secrets.token_urlsafe(24),
            type=kind,
            user=user,
            channel=channel,
            data=data,
            created=time.monotonic() - age,
            source=source,
        )
        self.interactions[interaction.id] = interaction
        self.by_token[interaction.token] = interaction
        payload = self._interaction_payload(interaction)
        if not send_message:
            payload.pop("message", None)
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _interaction_payload(self, interaction: Interaction) -> dict[str, Any]:
        channel, guild, user = interaction.channel, interaction.guild, interaction.user
        payload: dict[str, Any] = {
            "id": str(interaction.id),
            "application_id": str(self.application_id),
            "type": interaction.type,
            "token": interaction.token,
            "version": 1,
            "data": interaction.data,
            "channel_id": str(channel.id),
            "channel": channel.payload(),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 25 * 1024 * 1024,
            "authorizing_integration_owners": {"0": str(guild.id) if guild else "0"},
            "context": 0 if guild else 1,
        }
        if guild is not None:
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            member = guild.member_payload(user)
            member["permissions"] = str(guild.permissions(user, channel))
            payload["member"] = member
            payload["app_permissions"] = str(guild.permissions(self.bot_user, channel))
        else:
            payload["user"] = user.payload()
            payload["app_permissions"] = str(Perm.EVERYONE_DEFAULT)
        if interaction.source is not None:
            payload["message"] = interaction.source.payload()
        return payload

    def commands_for(self, channel: Channel) -> list[dict[str, Any]]:
        """The commands a user in this channel sees: the server's, then the global ones."""
        mine = self.guild_commands.get(channel.guild.id, []) if channel.guild else []
        names = {(c["type"], c["name"]) for c in mine}
        return mine + [c for c in self.global_commands if (c["type"], c["name"]) not in names]

    def _command(self, channel: Channel, name: str, kind: int) -> dict[str, Any]:
        for command in self.commands_for(channel):
            if command["name"] == name and command["type"] == kind:
                return command
        raise LookupError(f"command {name!r} (type {kind}) is not registered for {channel.name!r}")

    def _command_data(self, channel: Channel, command: dict[str, Any]) -> dict[str, Any]:
        data = {"id": command["id"], "name": command["name"], "type": command["type"]}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    def _options(
        self,
        command: dict[str, Any],
        values: dict[str, Any],
        focused: str | None = None,
        *,
        resolved: dict[str, dict[str, Any]] | None = None,
        user: User | None = None,
    ) -> list[dict[str, Any]]:
        known = {option["name"]: option for option in command.get("options", [])}
        unknown = set(values) - set(known)
        if unknown:
            raise LookupError(f"/{command['name']} has no option {sorted(unknown)}")
        options = []
        for name, value in values.items():
            if value is None:
                continue
            kind = known[name]["type"]
            if kind in (7, 8) and resolved is not None:
                value = self._resolve(kind, value, resolved, user)
            option = {"name": name, "type": kind, "value": value}
            if name == focused:
                option["focused"] = True
                option["value"] = str(value)  # Discord sends what has been typed, as text
            options.append(option)
        return options

    def _resolve(
        self,
        kind: int,
        value: Channel | Role | int | str,
        resolved: dict[str, dict[str, Any]],
        user: User | None,
    ) -> str:
        """A channel (7) or role (8) option: its id as the value, its data in `resolved`."""
        key = str(value.id if isinstance(value, Channel | Role) else value)
        if kind == 7:
            channel = self.channels.get(int(key))
            if channel is not None:
                data = channel.payload()
                perms = channel.guild.permissions(user, channel) if channel.guild and user else 0
                data["permissions"] = str(perms)  # the invoking member's, as Discord sends
                resolved.setdefault("channels", {})[key] = data
        else:
            for guild in self.guilds.values():
                if int(key) in guild.roles:
                    resolved.setdefault("roles", {})[key] = guild.roles[int(key)].payload()
        return key

    # --- gateway -----------------------------------------------------------------------------

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

    # --- REST --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if not path.startswith(API):
            return _json({"message": "404: Not Found", "code": 0}, 404)
        path = path[len(API) :]
        body: Any = None
        raw = await request.read()
        if raw:
            if request.headers.get("Content-Type") == "application/json":
                body = json.loads(raw)
            elif request.content_type == "multipart/form-data":
                form = await request.post()
                body = json.loads(form.get("payload_json", "{}"))  # type: ignore[arg-type]
            else:
                body = raw.decode("utf-8", "replace")
        record = Request(
            request.method, path, dict(request.query), body, dict(request.headers), time.monotonic()
        )
        self.requests.append(record)
        matched: Rule | None = None
        for rule in self.rules:
            live = rule.hits < rule.times and rule.method == request.method
            if live and rule.pattern.fullmatch(path):
                rule.hits += 1
                matched = rule
                break
        if matched is not None and not matched.after_serving:
            if matched.delay:
                await asyncio.sleep(matched.delay)
            if matched.status is not None:
                record.status = matched.status
                return _json(matched.body, matched.status, matched.headers)
        response = await self._serve(request, path, body, raw, record)
        if matched is not None and matched.after_serving:
            if matched.delay:
                await asyncio.sleep(matched.delay)
            if matched.status is not None:
                record.status = matched.status
                return _json(matched.body, matched.status, matched.headers)
        return response

    async def _serve(
        self, request: web.Request, path: str, body: Any, raw: bytes, record: Request
    ) -> web.Response:
        """Answer a request as Discord would (no scripted trouble here)."""
        try:
            token_in_url = path.startswith(("/webhooks/", "/interactions/"))
            if not token_in_url and request.headers.get("Authorization") != f"Bot {self.token}":
                raise DiscordError(401, 0, "401: Unauthorized")
            if request.method != "GET" and raw and not isinstance(body, dict | list):
                raise DiscordError(400, 50109, "The request body contains invalid JSON.")
            result = await self._route(request.method, path, body, dict(request.query))
        except DiscordError as error:
            record.status = error.status
            self.rejected.append((record, error))
            payload: dict[str, Any] = {"message": error.message, "code": error.code}
            if error.errors is not None:
                payload["errors"] = error.errors
            return _json(payload, error.status)
        except _Unknown:
            record.status = 404
            self.unhandled.append(record)
            return _json({"message": "404: Not Found", "code": 0}, 404)
        if result is None:
            record.status = 204
            return web.Response(status=204)
        record.status = 200
        return _json(result, 200)

    async def _route(self, method: str, path: str, body: Any, query: dict[str, str]) -> Any:
        parts = path.strip("/").split("/")
        match (method, parts):
            case ("GET", ["users", "@me"]):
                return self.bot_user.payload()
            case ("GET", ["oauth2", "applications", "@me"]):
                return self._application()
            case ("GET", ["applications", "@me"]):
                return self._application()
            case ("GET", ["gateway"]) | ("GET", ["gateway", "bot"]):
                return {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            case (_, ["applications", app, "commands"]):
                self._check_app(app)
                return self._commands(method, None, body)
            case (_, ["applications", app, "guilds", guild_id, "commands"]):
                self._check_app(app)
                return self._commands(method, self._guild(guild_id), body)
            case ("POST", ["interactions", interaction_id, token, "callback"]):
                return self._callback(interaction_id, token, body, query)
            case (_, ["webhooks", app, token, "messages", message_id]):
                return self._webhook_message(method, app, token, message_id, body)
            case ("POST", ["webhooks", app, token]):
                return self._followup(app, token, body, query)
            case ("GET", ["channels", channel_id]):
                return self._channel(channel_id).payload()
            case ("POST", ["channels", channel_id, "messages"]):
                return self._channel_post(self._channel(channel_id), body)
            case ("GET", ["channels", channel_id, "messages"]):
                channel = self._channel(channel_id)
                self._require(channel, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
                limit = int(query.get("limit", 50))
                if not 1 <= limit <= 100:
                    raise DiscordError(400, 50035, "Invalid Form Body", ["limit: 1 to 100"])
                newest_first = reversed(channel.public_messages())
                if "before" in query:
                    newest_first = (m for m in newest_first if m.id < _int(query["before"]))
                if "after" in query:
                    newest_first = (m for m in newest_first if m.id > _int(query["after"]))
                return [m.payload() for m in newest_first][:limit]
            case (_, ["channels", channel_id, "messages", message_id]):
                return self._channel_message(method, self._channel(channel_id), message_id, body)
            case ("GET", ["guilds", guild_id]):
                return self._guild(guild_id).payload()
            case ("GET", ["guilds", guild_id, "channels"]):
                guild = self._guild(guild_id)
                return [c.payload() for c in guild.channels.values() if not c.deleted]
            case ("GET", ["guilds", guild_id, "roles"]):
                return [r.payload() for r in self._guild(guild_id).roles.values()]
            case ("GET", ["guilds", guild_id, "members", user_id]):
                guild = self._guild(guild_id)
                user = self.users.get(int(user_id))
                if user is None or user.id not in guild.members:
                    raise DiscordError(404, 10007, "Unknown Member")
                return guild.member_payload(user)
        raise _Unknown

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": next(iter(self.guilds.values())).owner.payload()
            if self.guilds
            else self.bot_user.payload(),
            "team": None,
            "bot": self.bot_user.payload(),
            "interactions_endpoint_url": None,
        }

    def _check_app(self, app: str) -> None:
        if app != str(self.application_id):
            raise DiscordError(403, 50001, "Missing Access")

    def _guild(self, guild_id: str) -> Guild:
        guild = self.guilds.get(_int(guild_id))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild

    def _channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(_int(channel_id))
        if channel is None or channel.deleted:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def _require(self, channel: Channel, permissions: int) -> None:
        if channel.guild is None:
            return
        have = channel.guild.permissions(self.bot_user, channel)
        if not have & Perm.VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        if have & permissions != permissions:
            raise DiscordError(403, 50013, "Missing Permissions")

    # --- commands ----------------------------------------------------------------------------

    def _commands(self, method: str, guild: Guild | None, body: Any) -> Any:
        current = self.guild_commands.get(guild.id, []) if guild else self.global_commands
        if method == "GET":
            return current
        if method != "PUT":
            raise _Unknown
        if not isinstance(body, list):
            raise DiscordError(400, 50035, "Invalid Form Body")
        if len(body) > 100:
            raise DiscordError(400, 30032, "Maximum number of application commands reached")
        errors = {}
        for index, command in enumerate(body):
            problem = _command_problem(command)
            if problem:
                errors[str(index)] = problem
        if errors:
            raise DiscordError(400, 50035, "Invalid Form Body", errors)
        previous = {(c["type"], c["name"]): c for c in current}
        stored = []
        for command in body:
            kind = command.get("type", 1)
            old = previous.get((kind, command["name"]))
            entry = {
                "id": old["id"] if old else str(snowflake()),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
                "type": kind,
                "name": command["name"],
                "description": command.get("description", ""),
                # Discord answers with a string, whatever number the client sent.
                "default_member_permissions": _string(command.get("default_member_permissions")),
                "dm_permission": command.get("dm_permission", True),
                "nsfw": command.get("nsfw", False),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
            }
            if command.get("options"):
                entry["options"] = [_stored_option(option) for option in command["options"]]
            if guild is not None:
                entry["guild_id"] = str(guild.id)
            stored.append(entry)
        if guild is not None:
            self.guild_commands[guild.id] = stored
        else:
            self.global_commands = stored
        return stored

    # --- interactions (what the bot does) ----------------------------------------------------

    def _interaction(self, token: str, interaction_id: str | None = None) -> Interaction:
        interaction = self.by_token.get(token)
        if interaction is None or (
            interaction_id is not None and str(interaction.id) != interaction_id
        ):
            raise DiscordError(404, 10062, "Unknown interaction")
        return interaction

    def _callback(
        self, interaction_id: str, token: str, body: Any, query: dict[str, str]
    ) -> dict[str, Any] | None:
        interaction = self._interaction(token, interaction_id)
        if time.monotonic() - interaction.created > self.callback_seconds:
            interaction.record("error", {"code": 10062, "late_by": time.monotonic()})
            raise DiscordError(404, 10062, "Unknown interaction")
        if interaction.responded is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        kind = body.get("type")
        data = body.get("data") or {}
        channel = interaction.channel
        message: Message | None = None
        if channel.deleted:
            raise DiscordError(404, 10003, "Unknown Channel")
        if kind == 4:
            message = self._new_message(interaction, data)
            interaction.original = message
        elif kind == 5:
            flags = Message.LOADING | (data.get("flags", 0) & Message.EPHEMERAL)
            message = self._new_message(interaction, {"flags": flags}, empty_ok=True)
            interaction.original = message
            interaction.thinking = True
        elif kind in (6, 7):
            if interaction.type != 3 or interaction.source is None:
                raise DiscordError(400, 40043, "Interaction response type is not valid here")
            interaction.original = interaction.source
            if kind == 7:
                message = self._edit(interaction.source, data)
        elif kind == 8:
            if interaction.type != 4:
                raise DiscordError(400, 40043, "Interaction response type is not valid here")
            interaction.choices = _check_choices(data.get("choices"))
        elif kind == 9:
            pass
        else:
            raise DiscordError(400, 50035, f"Invalid interaction response type {kind}")
        interaction.responded = kind
        interaction.record("callback", body, message)
        if query.get("with_response") not in ("1", "true", "True"):
            return None
        result: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "activity_instance_id": None,
                "response_message_id": str(message.id) if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and message.ephemeral),
            }
        }
        if message is not None:
            result["resource"] = {"type": kind, "message": message.payload()}
        elif kind != 6:
            result["resource"] = {"type": kind}
        return result

    def _token_valid(self, interaction: Interaction) -> None:
        if time.monotonic() - interaction.created > self.token_seconds:
            raise DiscordError(401, 50027, "Invalid Webhook Token")

    def _webhook_message(
        self, method: str, app: str, token: str, message_id: str, body: Any
    ) -> Any:
        if app != str(self.application_id):
            raise DiscordError(404, 10015, "Unknown Webhook")
        interaction = self._interaction(token)
        self._token_valid(interaction)
        if message_id == "@original":
            message = interaction.original
            if message is None or interaction.responded is None:
                raise DiscordError(404, 10008, "Unknown Message")
        else:
            message = self.messages.get(_int(message_id))
            if message is None or message.interaction is not interaction:
                raise DiscordError(404, 10008, "Unknown Message")
        if message.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        if message.channel.deleted:
            raise DiscordError(404, 10003, "Unknown Channel")
        if method == "GET":
            return message.payload()
        if method == "PATCH":
            self._edit(message, body or {})
            if message is interaction.original:
                interaction.thinking = False
            kind = "edit_original" if message_id == "@original" else "edit_followup"
            interaction.record(kind, body, message)
            return message.payload()
        if method == "DELETE":
            message.deleted = True
            if message is interaction.original:
                interaction.thinking = False
            interaction.record("delete_original" if message_id == "@original" else "delete", None)
            return None
        raise _Unknown

    def _followup(self, app: str, token: str, body: Any, query: dict[str, str]) -> Any:
        if app != str(self.application_id):
            raise DiscordError(404, 10015, "Unknown Webhook")
        interaction = self._interaction(token)
        self._token_valid(interaction)
        if interaction.responded is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if interaction.channel.deleted:
            raise DiscordError(404, 10003, "Unknown Channel")
        body = body or {}
        if interaction.thinking and interaction.original and not interaction.original.deleted:
            # The first followup after a "thinking..." deferral fills that message in, keeping
            # the deferral's visibility whatever the followup's flags say.
            message = interaction.original
            keep = message.flags & Message.EPHEMERAL
            self._edit(message, {**body, "flags": keep})
            interaction.thinking = False
        else:
            message = self._new_message(interaction, body)
        interaction.record("followup", body, message)
        wait = query.get("wait") in ("1", "true", "True")
        return message.payload() if wait else None

    # --- messages ----------------------------------------------------------------------------

    def _new_message(
        self, interaction: Interaction | None, data: dict[str, Any], *, empty_ok: bool = False
    ) -> Message:
        channel = interaction.channel if interaction else None
        assert channel is not None
        _check_message(data, require_content=not empty_ok)
        flags = data.get("flags", 0) or 0
        message = Message(
            snowflake(),
            channel,
            self.bot_user,
            content=data.get("content") or "",
            embeds=data.get("embeds") or [],
            components=data.get("components") or [],
            flags=flags,
            type=20 if interaction and interaction.type == 2 else 19 if interaction else 0,
            ephemeral_for=interaction.user if interaction and flags & Message.EPHEMERAL else None,
            interaction=interaction,
            allowed_mentions=data.get("allowed_mentions"),
            pings=pings(data),
            webhook_id=self.application_id if interaction else None,
        )
        self._store(message)
        return message

    def _edit(self, message: Message, data: dict[str, Any]) -> Message:
        merged = {
            "content": data.get("content", message.content),
            "embeds": data.get("embeds", message.embeds),
            "components": data.get("components", message.components),
        }
        _check_message(merged, require_content=True)
        message.content = merged["content"] or ""
        message.embeds = merged["embeds"] or []
        message.components = merged["components"] or []
        if "flags" in data:
            message.flags = (data["flags"] or 0) | (message.flags & Message.EPHEMERAL)
        message.flags &= ~Message.LOADING
        message.allowed_mentions = data.get("allowed_mentions", message.allowed_mentions)
        message.pings |= pings(data)
        message.edited = time.time()
        message.edits += 1
        return message

    def _store(self, message: Message) -> None:
        self.messages[message.id] = message
        message.channel.messages.append(message)

    def _channel_post(self, channel: Channel, body: Any) -> dict[str, Any]:
        body = body or {}
        needed = Perm.SEND_MESSAGES | (Perm.EMBED_LINKS if body.get("embeds") else 0)
        self._require(channel, needed)
        _check_message(body, require_content=True)
        nonce = body.get("nonce")
        nonce = None if nonce is None else str(nonce)
        if nonce is not None and len(nonce) > 25:
            raise DiscordError(400, 50035, "Invalid Form Body", ["nonce: at most 25 characters"])
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: the same nonce from the same author within a few minutes returns the
            # message created the first time instead of posting another.
            for earlier in reversed(channel.messages):
                if time.time() - earlier.created > self.nonce_seconds:
                    break
                if earlier.nonce == nonce and earlier.author is self.bot_user:
                    return {**earlier.payload(), "nonce": nonce}
        message = Message(
            snowflake(),
            channel,
            self.bot_user,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            flags=body.get("flags", 0) or 0,
            allowed_mentions=body.get("allowed_mentions"),
            pings=pings(body),
            nonce=nonce,
        )
        self._store(message)
        payload = message.payload()
        if nonce is not None:
            payload["nonce"] = nonce  # only in the answer to the POST, as Discord does
        return payload

    def _channel_message(self, method: str, channel: Channel, message_id: str, body: Any) -> Any:
        message = self.messages.get(_int(message_id))
        if message is None or message.channel is not channel or message.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        if method == "GET":
            self._require(channel, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
            return message.payload()
        if message.author is not self.bot_user:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        if method == "PATCH":
            self._require(channel, Perm.VIEW_CHANNEL)
            return self._edit(message, body or {}).payload()
        if method == "DELETE":
            self._require(channel, Perm.VIEW_CHANNEL)
            message.deleted = True
            return None
        raise _Unknown

    # --- what tests look at ------------------------------------------------------------------

    def all_pings(self) -> list[tuple[Message, set[str]]]:
        """Every message whose payloads would have pinged someone, with whom."""
        return [(m, m.pings) for m in self.messages.values() if m.pings]

    def requests_to(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.fullmatch(r.path)]


class _Unknown(Exception):
    """No such route in the fake."""


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


def _json(payload: Any, status: int, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py parses JSON only then (no "; charset=utf-8").
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _string(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise DiscordError(400, 50035, f"Value {text!r} is not snowflake.") from None


# --- validation: Discord's limits, so a payload that Discord would refuse fails the test -------

MENTION_USER = re.compile(r"<@!?(\d+)>")
MENTION_ROLE = re.compile(r"<@&(\d+)>")
MENTION_ALL = re.compile(r"@(everyone|here)")


def pings(data: dict[str, Any]) -> set[str]:
    """Whom this message payload would notify, by Discord's rules for allowed_mentions.

    Only content can ping (never embeds); without allowed_mentions Discord parses everything.
    """
    content = data.get("content") or ""
    if not content:
        return set()
    allowed = data.get("allowed_mentions")
    parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse", []))
    # Snowflakes may come as numbers or strings (discord.py sends numbers).
    users = {str(user) for user in (allowed or {}).get("users", [])}
    roles = {str(role) for role in (allowed or {}).get("roles", [])}
    result = set()
    if "everyone" in parse:
        result |= {f"@{m}" for m in MENTION_ALL.findall(content)}
    result |= {f"user:{m}" for m in MENTION_USER.findall(content) if "users" in parse or m in users}
    result |= {f"role:{m}" for m in MENTION_ROLE.findall(content) if "roles" in parse or m in roles}
    return result


def _check_message(data: dict[str, Any], *, require_content: bool) -> None:
    errors: list[str] = []
    content = data.get("content") or ""
    embeds = data.get("embeds") or []
    components = data.get("components") or []
    if len(content) > 2000:
        errors.append(f"content: {len(content)} characters > 2000")
    if len(embeds) > 10:
        errors.append(f"embeds: {len(embeds)} > 10")
    total = 0
    for index, embed in enumerate(embeds):
        for key, limit in (("title", 256), ("description", 4096)):
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                errors.append(f"embeds.{index}.{key}: {len(text)} > {limit}")
        url = embed.get("url")
        if url is not None and (not re.match(r"https?://\S+$", url) or len(url) > 2048):
            errors.append(f"embeds.{index}.url: not a well formed URL")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.append(f"embeds.{index}.fields: {len(fields)} > 25")
        for number, item in enumerate(fields):
            name, value = item.get("name") or "", item.get("value") or ""
            total += len(name) + len(value)
            if not name or not value:
                errors.append(f"embeds.{index}.fields.{number}: empty name or value")
            if len(name) > 256 or len(value) > 1024:
                errors.append(f"embeds.{index}.fields.{number}: too long")
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > 2048 or len(author) > 256:
            errors.append(f"embeds.{index}: footer or author too long")
    if total > 6000:
        errors.append(f"embeds: {total} characters in all > 6000")
    if len(components) > 5:
        errors.append(f"components: {len(components)} rows > 5")
    seen: set[str] = set()
    for row in components:
        items = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(items) <= 5:
            errors.append("components: a row holds 1 to 5 components")
        for item in items:
            if len(item.get("label") or "") > 80:
                errors.append(f"button label > 80: {item.get('label')!r}")
            if item.get("style") == 5:
                if not item.get("url") or "custom_id" in item:
                    errors.append("a link button needs a url and no custom_id")
                continue
            custom_id = item.get("custom_id") or ""
            if not 1 <= len(custom_id) <= 100:
                errors.append(f"custom_id length {len(custom_id)} not in 1..100")
            if custom_id in seen:
                errors.append(f"custom_id {custom_id!r} used twice")
            seen.add(custom_id)
    if require_content and not (content or embeds or components):
        raise DiscordError(400, 50006, "Cannot send an empty message")
    if errors:
        raise DiscordError(400, 50035, "Invalid Form Body", errors)


def _check_choices(choices: Any) -> list[dict[str, Any]]:
    if not isinstance(choices, list) or len(choices) > 25:
        raise DiscordError(400, 50035, "Invalid Form Body", ["choices: at most 25"])
    for choice in choices:
        name, value = choice.get("name", ""), choice.get("value")
        if not 1 <= len(name) <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body", [f"choice name {name!r}"])
        if isinstance(value, str) and len(value) > 100:
            raise DiscordError(400, 50035, "Invalid Form Body", [f"choice value {value!r}"])
    return choices


_NAME = re.compile(r"^[-_\w]{1,32}$")


def _command_problem(command: dict[str, Any]) -> str | None:
    kind = command.get("type", 1)
    name = command.get("name", "")
    if kind == 1:
        if not _NAME.match(name) or name != name.lower():
            return f"bad name {name!r}"
        if not 1 <= len(command.get("description", "")) <= 100:
            return f"{name}: description must be 1-100 characters"
        options = command.get("options") or []
        if len(options) > 25:
            return f"{name}: more than 25 options"
        seen_optional = False
        for option in options:
            if not _NAME.match(option.get("name", "")):
                return f"{name}: bad option name {option.get('name')!r}"
            if not 1 <= len(option.get("description", "")) <= 100:
                return f"{name}.{option.get('name')}: description must be 1-100 characters"
            if option.get("required"):
                if seen_optional:
                    return f"{name}: required options must come before optional ones"
            else:
                seen_optional = True
    elif not 1 <= len(name) <= 32:
        return f"bad name {name!r}"
    return None


def _stored_option(option: dict[str, Any]) -> dict[str, Any]:
    stored = {k: v for k, v in option.items() if v is not None}
    if not stored.get("required"):
        stored.pop("required", None)  # Discord leaves out required: false
    return stored
