"""The Discord bot: a discord.py Bot built by create_bot(settings), holding the archive."""

from __future__ import annotations

import logging
from pathlib import Path

import discord
from discord.ext import commands

from .archive.search import Searcher
from .archive.store import Archive
from .config import Settings

log = logging.getLogger(__name__)


class ArchiveBot(commands.Bot):
    """The bot. Resources are opened in setup_hook and closed in close()."""

    def __init__(self, settings: Settings, db_path: Path):
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.none() | discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.settings = settings
        self.db_path = db_path
        self.archive: Archive | None = None
        self.searcher: Searcher | None = None

    async def setup_hook(self) -> None:
        self.archive = await Archive.open(self.db_path)
        self.searcher = Searcher(self.archive)

    async def close(self) -> None:
        await super().close()
        if self.archive is not None:
            await self.archive.close()


def create_bot(settings: Settings, db_path: Path | None = None) -> ArchiveBot:
    """Build the bot without starting it (tests run it in-process against a fake Discord)."""
    return ArchiveBot(settings, db_path or settings.db_path)


def run_bot(settings: Settings, db_path: Path) -> int:
    """Run the bot until it is stopped; returns the process exit status."""
    assert settings.discord_token is not None
    bot = create_bot(settings, db_path)
    try:
        bot.run(settings.discord_token.reveal(), log_handler=None)
    except discord.LoginFailure:
        log.error("Discord rejected the token: check DISCORD_TOKEN in .env")
        return 1
    return 0
