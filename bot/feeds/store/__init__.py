"""All SQL of the announcement feature: feeds, their visible items, subscriptions and the outbox.

It lives in the archive's file (tables from migration 2) and writes through
`Archive.transaction()`, so posts, feed state and outbox rows change under one writer. Queries a
server makes take its guild_id; the poller's own queries span every guild. FeedStore is the one
class the rest of the bot uses; its methods are kept by concern in feeds.py, subscriptions.py
and outbox.py, and rows.py turns rows into models. May import: bot.archive, bot.feeds.
"""

from __future__ import annotations

from ...archive.store import Archive
from .feeds import FeedRecords
from .outbox import OutboxRecords
from .rows import Candidate, GuildStatus
from .subscriptions import SubscriptionRecords

__all__ = ["Candidate", "FeedStore", "GuildStatus"]


class FeedStore(FeedRecords, SubscriptionRecords, OutboxRecords):
    """Feeds, subscriptions and the outbox, in the archive's database."""

    def __init__(self, archive: Archive):
        self.archive = archive
