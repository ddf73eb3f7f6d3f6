"""archive-bot: answers questions from an archive of blog posts and announces new ones.

May import: bot.cli.
"""

__version__ = "0.1.0"
