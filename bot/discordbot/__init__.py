"""Everything that talks to Discord, and the only package of bot/ that may import discord.

app.py is the bot (start-up, shutdown, the command tree); cogs/ the slash commands and buttons;
render/ turns answers into embeds within Discord's limits; replies.py sends them and reports
errors; announcer.py delivers the outbox's announcements; sync.py decides when to push commands;
oneshot.py serves the CLI's `sync` and `poll --once`. What the commands answer is decided in
bot.services, without Discord. May import: discord, bot.services, bot.archive, bot.feeds,
bot.config.
"""
