"""/post (with title autocomplete), /recent and /random, and sharing a private post card.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from ...services.answers import BadInput
from ..host import Host
from ..render.limits import fit
from ..render.parts import POST_GONE, notice
from ..render.posts import post_card, post_not_found, title_choices
from ..render.posts import recent as render_recent
from ..replies import answer, defer, tell

log = logging.getLogger(__name__)

AUTOCOMPLETE_SECONDS = 1.5  # Discord drops an autocomplete answer after 3 s; better none than late


class PostsCog(commands.Cog, name="Posts"):
    """Looking posts up: by title, the newest, one at random."""

    def __init__(self, bot: Host):
        self.bot = bot

    @app_commands.command(
        name="post", description="Show a post: opening, author, date, reading time"
    )
    @app_commands.describe(
        title="The post's title: pick it from the list as you type",
        public="Show the reply to everyone in the channel (by default only you see it)",
    )
    async def post(self, interaction: discord.Interaction, title: str, public: bool = False):
        """/post: the post a picked or typed title names, or the closest titles."""
        if not title.strip():
            raise BadInput("Type a title, or pick one from the list as you type.")
        await defer(interaction, private=not public)
        lookup = await self.bot.answers.find_post(title)
        if lookup.post is None:
            await tell(interaction, post_not_found(lookup))
            return
        preview = await self.bot.answers.preview(lookup.post.id)
        if preview is None:
            await tell(interaction, notice(POST_GONE))
            return
        await answer(interaction, post_card(preview, private=not public))

    @post.autocomplete("title")
    async def post_title(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Titles matching what has been typed, from the searcher's in-memory title list."""
        try:
            async with asyncio.timeout(AUTOCOMPLETE_SECONDS):
                posts = await self.bot.answers.title_choices(current)
        except TimeoutError:
            log.warning(
                "title autocomplete took over %.0f s; answered nothing", AUTOCOMPLETE_SECONDS
            )
            return []
        return title_choices(posts)

    @app_commands.command(name="recent", description="The newest posts in the archive")
    @app_commands.describe(
        count="How many posts (1-20, default 5)",
        public="Show the reply to everyone in the channel (by default only you see it)",
    )
    async def recent(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, 20] = 5,
        public: bool = False,
    ) -> None:
        """/recent: the newest posts."""
        count = max(1, min(count, 20))  # Discord enforces the range in its client, not for us
        await defer(interaction, private=not public)
        posts = await self.bot.answers.recent(count)
        await answer(interaction, render_recent(posts))

    @app_commands.command(name="random", description="A post from the archive, picked at random")
    @app_commands.describe(
        public="Show the reply to everyone in the channel (by default only you see it)"
    )
    async def random(self, interaction: discord.Interaction, public: bool = False) -> None:
        """/random: a post picked at random."""
        await defer(interaction, private=not public)
        preview = await self.bot.answers.random_preview()
        if preview is None:
            await tell(interaction, notice("The archive is empty."))
            return
        await answer(interaction, post_card(preview, private=not public))

    async def share_post(self, interaction: discord.Interaction, post_id: int) -> None:
        """Share in channel, under a private post card."""
        await defer(interaction, new_message=False)
        preview = await self.bot.answers.preview(post_id)
        if preview is None:
            await tell(interaction, notice(POST_GONE))
            return
        shared = post_card(preview, private=False)
        await interaction.followup.send(**shared.send_kwargs(), ephemeral=False, wait=True)
        shared.content = "✅ Shared in the channel."
        await answer(interaction, fit(shared))
