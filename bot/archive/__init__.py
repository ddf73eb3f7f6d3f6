"""The archive: parsing sources, storing posts in SQLite and searching them.

Nothing in this package imports discord; the bot and the CLI both stand on it.

May import: bot.archive only; never discord.
"""
