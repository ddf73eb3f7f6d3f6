"""What the bot does through REST: interaction callbacks, followups and edits within Discord's
deadlines, and messages posted, edited and deleted in channels.

May import: the standard library, .world, .records, .validation, .rest (its route helpers).
"""

from __future__ import annotations

import time
from typing import Any

from .records import Interaction
from .rest import _int, _Unknown
from .validation import _check_choices, _check_message, pings
from .world import Channel, DiscordError, Message, Perm, snowflake


class BotActions:
    """Part of FakeDiscord: answering what the bot sends (see Control for the state it uses)."""

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
