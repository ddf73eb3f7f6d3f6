"""The fake Discord's world: users, roles, overwrites, messages, channels and guilds.

Plain records with the payloads Discord sends for them, Discord's permission algorithm
(`Guild.permissions`) and its permission bits (`Perm`), snowflakes, and `DiscordError`, which any
part raises to answer a request with Discord's error. May import: the standard library; .records and .server for types only.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import Interaction
    from .server import FakeDiscord

DISCORD_EPOCH_MS = 1420070400000


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


class DiscordError(Exception):
    """Answer the current request with a Discord-style JSON error."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


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
