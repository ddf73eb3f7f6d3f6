"""What the bot's commands do, without Discord: answers to searches and post lookups, the
subscription rules of /announce, search sessions, and the dates users type.

The Discord layer (bot.discordbot) only checks input, calls these and renders what they return;
the tests call them directly. May import: bot.archive, bot.feeds. Never discord.
"""
