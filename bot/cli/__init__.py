"""The `archive-bot` command line (entry point `bot.cli:main`, also `python -m bot`).

main.py parses and dispatches; archive_commands.py and bot_commands.py hold the commands;
backfill_view.py draws a forum backfill's progress. May import: bot.archive, bot.feeds,
bot.services, bot.config; bot.discordbot only inside the commands that need Discord.
"""

from .main import main

__all__ = ["main"]
