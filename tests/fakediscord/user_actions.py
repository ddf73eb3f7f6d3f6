"""What a user does: slash and message commands, autocomplete and button clicks, each sent to
the bot as INTERACTION_CREATE, built from the command schemas the bot registered.

May import: the standard library, .world, .records.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from .records import Interaction
from .world import Channel, Message, Perm, Role, User, snowflake


class UserActions:
    """Part of FakeDiscord: users acting (see Control for the state it uses)."""

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
