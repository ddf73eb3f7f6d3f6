"""What a cog needs from the bot it is loaded into: the services it asks and the command tree.

The cogs are typed against this protocol, not against `app.ArchiveBot`, so `app` imports the cogs
and nothing imports `app` back. May import: discord, bot.services, bot.archive, bot.config.
"""

from __future__ import annotations

from typing import Any, Protocol

from discord import app_commands

from ..archive.search import Searcher
from ..config import Settings
from ..services.announcements import Announcements
from ..services.answers import Answers
from ..services.sessions import SessionStore


class Host(Protocol):
    """The bot as a cog sees it (ArchiveBot is one)."""

    settings: Settings
    answers: Answers
    announcements: Announcements
    searcher: Searcher
    sessions: SessionStore

    @property
    def tree(self) -> app_commands.CommandTree[Any]: ...
