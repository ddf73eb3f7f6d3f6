"""The REST API: scripted trouble applied, then each route answered as Discord would, with
Discord's error shapes; application commands stored as Discord stores them.

May import: the standard library, aiohttp, .world, .records, .validation.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from .records import Request, Rule
from .validation import _command_problem, _stored_option
from .world import Channel, DiscordError, Guild, Perm, snowflake

API = "/api/v10"


class Rest:
    """Part of FakeDiscord: the REST routes (see Control for the state it uses)."""

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


class _Unknown(Exception):
    """No such route in the fake."""


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
