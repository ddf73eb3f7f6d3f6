"""/stats (archive size, date range, sources, feed polling health) and /help.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from ..host import Host
from ..render.stats import help_card
from ..render.stats import stats as render_stats
from ..replies import answer, defer


class InfoCog(commands.Cog, name="Info"):
    """What is in the archive, and how to use the bot."""

    def __init__(self, bot: Host):
        self.bot = bot

    @app_commands.command(
        name="stats", description="Archive size, date range, feeds and their health"
    )
    @app_commands.describe(
        public="Show the reply to everyone in the channel (by default only you see it)"
    )
    async def stats(self, interaction: discord.Interaction, public: bool = False) -> None:
        """/stats: size, date range, sources and their health."""
        await defer(interaction, private=not public)
        overview = await self.bot.answers.overview()
        reply = render_stats(
            overview.archive,
            poll_seconds=self.bot.settings.feed_poll_seconds,
            now=datetime.now(UTC),
            feeds=overview.feeds,
        )
        await answer(interaction, reply)

    @app_commands.command(name="help", description="What this bot can do, and how")
    async def help(self, interaction: discord.Interaction) -> None:
        """/help: every command, from the command tree itself."""
        await answer(interaction, help_card(usage(self.bot.tree)))


def usage(tree: app_commands.CommandTree) -> list[tuple[str, str]]:
    """(usage line, description) of every command in the tree, in the order they were added."""
    lines = []
    for command in tree.get_commands(type=discord.AppCommandType.chat_input):
        if isinstance(command, app_commands.Group):
            lines.append(
                (
                    f"/{command.name} {'|'.join(c.name for c in command.commands)}",
                    command.description,
                )
            )
            continue
        if not isinstance(command, app_commands.Command):
            continue
        options = " ".join(f"{p.name}" if p.required else f"[{p.name}]" for p in command.parameters)
        lines.append((f"/{command.name} {options}".rstrip(), command.description))
    for menu in tree.get_commands(type=discord.AppCommandType.message):
        lines.append((f"Apps → {menu.name}", "On any message: search the archive for its text."))
    return lines
