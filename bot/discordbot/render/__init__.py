"""Pure builders: answers -> Discord messages, within Discord's limits, one module per feature.

limits.py holds `Reply` and `fit()`, the one function that knows Discord's length limits; parts.py
the pieces every reply uses (escaping, links, dates, buttons, notices); then search.py, posts.py,
stats.py, announcements.py and subscriptions.py, as the cogs are split. Nothing here does I/O.
Text from users or from the archive is escaped (markdown and mentions) before it reaches a
message, and messages are sent with `AllowedMentions.none()` (see `Reply`), so even a mention
that slipped through could not ping anyone. May import: discord, bot.services, bot.archive and
bot.feeds (their types).
"""
