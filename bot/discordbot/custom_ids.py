"""The `custom_id`s of the bot's buttons: all the state a button needs, so it works after a restart.

Every id starts with `ab:`; an `ab:` id that none of these patterns matches is from an older version
of the bot and is answered with "expired" (see cogs/buttons.py). Ids stay far below Discord's
100-character limit.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import re

PREFIX = "ab:"
_ID = r"\d{1,19}"

PAGE = re.compile(rf"ab:page:(?P<session>{_ID}):(?P<page>\d{{1,3}}):(?P<direction>prev|next)")
SHARE = re.compile(rf"ab:share:(?P<session>{_ID}):(?P<page>\d{{1,3}})")
MORE = re.compile(rf"ab:more:(?P<session>{_ID}):(?P<post>{_ID})")
SUGGESTION = re.compile(rf"ab:try:(?P<session>{_ID}):(?P<index>\d)")
SHARE_POST = re.compile(rf"ab:post:(?P<post>{_ID}):share")
ALL = (PAGE, SHARE, MORE, SUGGESTION, SHARE_POST)
TEMPLATE = r"ab:(?:page|share|more|try|post):[0-9a-z:]{1,90}"  # every kind, loosely


def page(session_id: int, target: int, direction: str) -> str:
    """Go to page `target` (0-based) of a search; `direction` keeps prev and next ids distinct."""
    return f"ab:page:{session_id}:{target}:{direction}"


def share(session_id: int, page: int) -> str:
    """Post this page of a private search in the channel."""
    return f"ab:share:{session_id}:{page}"


def more(session_id: int, post_id: int) -> str:
    """Show the other paragraphs of a post that match the search."""
    return f"ab:more:{session_id}:{post_id}"


def suggestion(session_id: int, index: int) -> str:
    """Search again for the `index`-th "did you mean" suggestion of a search that found nothing."""
    return f"ab:try:{session_id}:{index}"


def share_post(post_id: int) -> str:
    """Post a private /post or /random card in the channel."""
    return f"ab:post:{post_id}:share"


def is_ours(custom_id: str) -> bool:
    """True for any id this bot ever made, current or not."""
    return custom_id.startswith(PREFIX)
