"""/search, the "Search the archive" message menu, and what the buttons under results do.

A button's custom_id names the search session and the page (see custom_ids.py); cogs/buttons.py
routes a click to the methods here, so buttons work after any restart while the session is kept.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from ...services.answers import BadInput, SearchRequest
from ...services.sessions import SearchSession
from ..host import Host
from ..render.limits import fit
from ..render.parts import EMPTY_MESSAGE, EXPIRED, NOT_YOURS, POST_GONE, notice
from ..render.search import post_matches, search_page
from ..replies import answer, defer, tell

log = logging.getLogger(__name__)

MENU_NAME = "Search the archive"


class SearchCog(commands.Cog, name="Search"):
    """Search commands and the handlers behind the result buttons."""

    def __init__(self, bot: Host):
        self.bot = bot
        self.menu = app_commands.ContextMenu(name=MENU_NAME, callback=self.search_message)

    async def cog_load(self) -> None:
        """Add the message menu and start pruning old sessions."""
        self.bot.tree.add_command(self.menu)
        self.prune_sessions.start()

    async def cog_unload(self) -> None:
        """Stop pruning and remove the message menu."""
        self.prune_sessions.cancel()
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # --- commands ------------------------------------------------------------------------------

    @app_commands.command(name="search", description="Search the archive for matching paragraphs")
    @app_commands.describe(
        query="Words to look for",
        author="Only posts whose author's name contains this",
        after="Only posts published on or after this date: 2026-06-04, 4 June 2026, yesterday…",
        before="Only posts published before this date",
        public="Show the reply to everyone in the channel (by default only you see it)",
    )
    async def search(
        self,
        interaction: discord.Interaction,
        query: str,
        author: str | None = None,
        after: str | None = None,
        before: str | None = None,
        public: bool = False,
    ) -> None:
        """/search: check the options, defer, search, answer with the first page."""
        request = SearchRequest.parse(query, author, after, before)
        await defer(interaction, private=not public)
        page = await self.bot.answers.search(request, interaction.user.id)
        await answer(interaction, search_page(page, private=not public))

    async def search_message(self, interaction: discord.Interaction, message: discord.Message):
        """The message menu: search for the text of the message it was used on, privately."""
        text = message.content or " ".join(
            part for embed in message.embeds for part in (embed.title, embed.description) if part
        )
        if not text.strip():
            raise BadInput(EMPTY_MESSAGE)
        request = SearchRequest.parse(text)
        await defer(interaction, private=True)
        page = await self.bot.answers.search(request, interaction.user.id)
        await answer(interaction, search_page(page, private=True))

    # --- buttons -------------------------------------------------------------------------------

    async def turn_page(self, interaction: discord.Interaction, session_id: int, page: int) -> None:
        """Previous / next: the searcher's own message shows another page."""
        await defer(interaction, new_message=False)
        session = await self._owned_session(interaction, session_id)
        if session is None:
            return
        result = await self.bot.answers.page(SearchRequest.from_session(session), page, session.id)
        await answer(interaction, search_page(result, private=_is_private(interaction)))

    async def share(self, interaction: discord.Interaction, session_id: int, page: int) -> None:
        """Share in channel: post this page of a private search for everyone."""
        await defer(interaction, new_message=False)
        session = await self._owned_session(interaction, session_id)
        if session is None:
            return
        result = await self.bot.answers.page(SearchRequest.from_session(session), page, session.id)
        shared = search_page(result, private=False)
        await interaction.followup.send(**shared.send_kwargs(), ephemeral=False, wait=True)
        # The private copy loses its share button, and says where its public twin went.
        shared.content = f"{shared.content}\n✅ Shared in the channel."
        await answer(interaction, fit(shared))

    async def more(self, interaction: discord.Interaction, session_id: int, post_id: int) -> None:
        """More from this post: its other matching paragraphs, privately, for whoever asks."""
        await defer(interaction, private=True, new_message=True)
        session = await self.bot.answers.session(session_id)
        if session is None:
            await tell(interaction, notice(EXPIRED))
            return
        matches = await self.bot.answers.more_from_post(
            SearchRequest.from_session(session), post_id
        )
        if matches is None:
            await tell(interaction, notice(POST_GONE))
            return
        await answer(interaction, post_matches(matches))

    async def try_suggestion(
        self, interaction: discord.Interaction, session_id: int, index: int
    ) -> None:
        """A "did you mean" button: search for the suggestion, in place of the empty result."""
        await defer(interaction, new_message=False)
        session = await self._owned_session(interaction, session_id)
        if session is None:
            return
        suggestions = await self.bot.searcher.did_you_mean(session.query)
        if index >= len(suggestions):
            await tell(interaction, notice(EXPIRED))
            return
        request = SearchRequest(suggestions[index], session.author, session.after, session.before)
        page = await self.bot.answers.search(request, interaction.user.id)
        await answer(interaction, search_page(page, private=_is_private(interaction)))

    async def _owned_session(
        self, interaction: discord.Interaction, session_id: int
    ) -> SearchSession | None:
        """The session behind a button if it is still kept and this user made it; else say why."""
        session = await self.bot.answers.session(session_id)
        if session is None:
            await tell(interaction, notice(EXPIRED))
            return None
        if session.user_id != interaction.user.id:
            await tell(interaction, notice(NOT_YOURS))
            return None
        return session

    # --- housekeeping --------------------------------------------------------------------------

    @tasks.loop(hours=24)
    async def prune_sessions(self) -> None:
        """Once a day (and at start): forget sessions older than 30 days."""
        try:
            await self.bot.sessions.prune()
        except Exception:  # an exception would end the loop for good: log it and try tomorrow
            log.exception("pruning search sessions failed")


def _is_private(interaction: discord.Interaction) -> bool:
    message = interaction.message
    return message is not None and message.flags.ephemeral
