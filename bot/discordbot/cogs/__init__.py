"""The Discord layer, thin: each command checks input, defers, asks `answers`, renders, sends.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""
