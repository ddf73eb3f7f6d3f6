"""The buttons under the bot's replies: from a click's custom_id to the cog method that answers it.

A button's custom_id holds everything its click needs (see custom_ids.py), so buttons work on any
message, after any restart. discord.py hands a click to the `ArchiveButton` DynamicItem registered
at start-up when the interaction carries the message the button is on, as Discord's always does;
`ArchiveBot.on_interaction` answers the rest (no message in the payload, or an id from an older
version of the bot). Both go through `handle()`.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import discord

from .. import custom_ids
from ..render.parts import EXPIRED, notice
from ..replies import guarded, tell

log = logging.getLogger(__name__)

# pattern -> (cog name, method name, arguments from the match)
ROUTES: list[tuple[re.Pattern[str], str, str, Callable[[re.Match[str]], tuple]]] = [
    (custom_ids.PAGE, "Search", "turn_page", lambda m: (int(m["session"]), int(m["page"]))),
    (custom_ids.SHARE, "Search", "share", lambda m: (int(m["session"]), int(m["page"]))),
    (custom_ids.MORE, "Search", "more", lambda m: (int(m["session"]), int(m["post"]))),
    (
        custom_ids.SUGGESTION,
        "Search",
        "try_suggestion",
        lambda m: (int(m["session"]), int(m["index"])),
    ),
    (custom_ids.SHARE_POST, "Posts", "share_post", lambda m: (int(m["post"]),)),
]


async def handle(interaction: discord.Interaction, custom_id: str) -> None:
    """Answer a click on one of our buttons; an id no route knows is answered as expired."""
    for pattern, cog_name, method, arguments in ROUTES:
        if match := pattern.fullmatch(custom_id):
            await guarded(interaction, _call(interaction, cog_name, method, arguments(match)))
            return
    log.info("unknown button %r: answered as expired", custom_id)
    await tell(interaction, notice(EXPIRED))


async def _call(interaction: discord.Interaction, cog_name: str, method: str, args: tuple) -> None:
    cog = interaction.client.get_cog(cog_name)  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError(f"the {cog_name} cog is not loaded")
    await getattr(cog, method)(interaction, *args)


def dispatched_by_discord_py(interaction: discord.Interaction, custom_id: str) -> bool:
    """Whether discord.py will give this click to ArchiveButton: it must match the template, and
    the payload must carry the message with that button on it."""
    if not ArchiveButton.__discord_ui_compiled_template__.fullmatch(custom_id):
        return False
    message = interaction.message
    if message is None:
        return False
    return any(
        getattr(child, "custom_id", None) == custom_id
        for row in message.components
        for child in getattr(row, "children", [row])
    )


class ArchiveButton(discord.ui.DynamicItem[discord.ui.Button], template=custom_ids.TEMPLATE):
    """Every kind of button this bot makes, dispatched by handle()."""

    def __init__(self, custom_id: str):
        super().__init__(discord.ui.Button(custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Any, match: re.Match[str]
    ) -> ArchiveButton:
        """Rebuild the button from a clicked custom_id (it holds all the state)."""
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer the click."""
        await handle(interaction, self.item.custom_id or "")
