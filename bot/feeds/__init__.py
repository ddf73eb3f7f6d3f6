"""New-post announcements without Discord: followed feeds, subscriptions, the outbox, the poller.

Nothing here imports discord; the Discord layer implements `announcer.Announcer` and renders
`models.Announcement`.

May import: bot.archive, bot.feeds; never discord.
"""
