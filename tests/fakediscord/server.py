"""The fake Discord, assembled: `FakeDiscord` is its parts, one module each.

    world         users, roles, overwrites, messages, channels, guilds; permissions
    records       interactions and their events, scripted rules, REST requests
    validation    Discord's limits on messages, choices and command schemas
    control       state, lifecycle, changing the world, scripted trouble, what tests look at
    user_actions  what a user does: commands, autocomplete, clicks
    gateway       the websocket: IDENTIFY, READY, dispatched events
    rest          the REST routes and application commands
    bot_actions   what the bot does: interaction callbacks, followups, channel messages

Import the fake from the package (tests/fakediscord/__init__.py), whose docstring shows how to
use it; the other names it exports live in the modules above.
May import: every module of the package.
"""

from __future__ import annotations

from .bot_actions import BotActions
from .control import Control
from .gateway import Gateway
from .rest import Rest
from .user_actions import UserActions


class FakeDiscord(Control, UserActions, Gateway, Rest, BotActions):
    """Discord's REST API and gateway for one bot application, on 127.0.0.1."""
