"""Answering interactions: defer, reply, and the one handler that turns errors into short notes.

Every reply goes out with `AllowedMentions.none()` (see Reply). A user never sees a
traceback: expected problems (bad input, an expired search) get a short private message, unexpected
ones a generic private message and an ERROR log line with the command and its options.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

import discord
from discord import app_commands

from ..services.answers import BadInput
from .render.limits import Reply
from .render.parts import FAILED, STALE_COMMAND, problem

log = logging.getLogger(__name__)

# Discord error codes meaning the interaction can no longer be answered.
EXPIRED = {10062, 10015, 50027}  # unknown interaction, unknown webhook, invalid webhook token
# ... meaning the channel or message went away, or we may no longer write there.
GONE = {10003, 10008, 50001, 50013}  # unknown channel/message, missing access/permissions
PERMISSION_NAMES = {"manage_guild": "Manage Server"}  # as Discord's settings call them


async def defer(
    interaction: discord.Interaction, *, private: bool = True, new_message: bool = True
) -> None:
    """Acknowledge now, within Discord's 3 seconds; the answer follows with answer() or tell().

    For a button, `new_message=False` means the answer will replace the message the button is on.
    """
    interaction.extras["private"] = private
    interaction.extras["thinking"] = new_message
    if interaction.type is discord.InteractionType.component and not new_message:
        await interaction.response.defer()
    else:
        await interaction.response.defer(ephemeral=private, thinking=True)


async def answer(interaction: discord.Interaction, reply: Reply) -> None:
    """Send the reply: as the response, or in place of what defer() left."""
    if interaction.response.is_done():
        await interaction.edit_original_response(**reply.edit_kwargs())
    else:
        private = interaction.extras.get("private", True)
        await interaction.response.send_message(**reply.send_kwargs(), ephemeral=private)


async def tell(interaction: discord.Interaction, reply: Reply) -> None:
    """Send a short message only the user sees, whatever state the interaction is in."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(**reply.send_kwargs(), ephemeral=True)
        elif not interaction.extras.get("thinking"):
            await interaction.followup.send(**reply.send_kwargs(), ephemeral=True)
        elif interaction.extras.get("private", True):
            await interaction.edit_original_response(**reply.edit_kwargs())
        else:
            # The first followup after a public "thinking..." would replace it, in public: remove
            # the placeholder first so the note can be private.
            await interaction.delete_original_response()
            await interaction.followup.send(**reply.send_kwargs(), ephemeral=True)
    except Exception as exc:  # best effort: the note must never raise in its turn
        log.warning("could not tell user %s about a problem: %r", _user_id(interaction), exc)


async def guarded(interaction: discord.Interaction, work: Coroutine[Any, Any, Any]) -> None:
    """Run a button's work like a command's: admitted by the bot, errors to report_error."""
    admit = getattr(interaction.client, "admit", None)
    if admit is not None and not await admit(interaction):
        work.close()
        return
    try:
        await work
    except Exception as exc:
        await report_error(interaction, exc)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error handler, for commands (via the tree) and buttons (via guarded())."""
    original = error
    while isinstance(original, app_commands.AppCommandError) and original.__cause__ is not None:
        original = original.__cause__  # CommandInvokeError and TransformerError wrap the cause
    where = describe(interaction)
    if isinstance(original, BadInput):
        log.info("%s: refused input: %s", where, original)
        await tell(interaction, problem(str(original)))
    elif isinstance(error, app_commands.CommandNotFound):
        log.warning("%s: no such command here (is the command list out of date?)", where)
        await tell(interaction, problem(STALE_COMMAND))
    elif isinstance(error, app_commands.MissingPermissions):
        log.info("%s: refused: the member lacks %s", where, error.missing_permissions)
        names = ", ".join(
            PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in error.missing_permissions
        )
        await tell(interaction, problem(f"Only members with {names} can use that."))
    elif isinstance(error, app_commands.NoPrivateMessage):
        log.info("%s: refused outside a server", where)
        await tell(interaction, problem("That works in a server only, not here."))
    elif isinstance(error, app_commands.TransformerError):
        log.info("%s: option value refused: %r", where, error.value)
        await tell(interaction, problem(f"I can't use “{error.value}” there."))
    elif isinstance(original, discord.HTTPException) and original.code in EXPIRED:
        log.warning(
            "%s: the interaction expired before the reply (%s %s); nothing more can be sent",
            where,
            original.status,
            original.text,
        )
    elif isinstance(original, discord.HTTPException) and original.code in GONE:
        log.warning("%s: Discord refused the reply: %s %s", where, original.status, original.text)
        await tell(interaction, problem("I could not post that here."))
    else:
        log.error("%s failed", where, exc_info=original)
        await tell(interaction, problem(FAILED))


def describe(interaction: discord.Interaction) -> str:
    """The interaction for a log line: what was used, with which options, by whom, where."""
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    if interaction.type is discord.InteractionType.component:
        what = f"button {data.get('custom_id')!r}"
    else:
        options = {
            option.get("name"): option.get("value") for option in data.get("options", []) or []
        }
        what = f"/{data.get('name')} {_short(options)}" if options else f"/{data.get('name')}"
    return (
        f"{what} (user {_user_id(interaction)}, guild {interaction.guild_id}, "
        f"channel {interaction.channel_id}, interaction {interaction.id})"
    )


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _user_id(interaction: discord.Interaction) -> int | None:
    user = interaction.user
    return None if user is None else user.id
