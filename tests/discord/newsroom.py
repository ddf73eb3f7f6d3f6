"""The announcement tests' rig: the real bot against the fake Discord, a LessWrong-shaped feed on
127.0.0.1, and a clock the test moves (backoff and retries without waiting).

The poller runs its own loop in the bot, as in production; `poll()` moves the clock, wakes the
loop and waits for a round that began after the call, so what the test published is seen.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from bot.discordbot.app import ArchiveBot
from bot.feeds.schedule import PollPolicy
from tests.fakediscord import Channel, Message, User
from tests.feeds.harness import FakeClock
from tests.feeds.lesswrong import Item, rss
from tests.feedserver import FeedServer

from .conftest import Bots, World


class Newsroom:
    """Start/restart the bot with a fake clock; publish feed items; follow and poll."""

    def __init__(self, world: World, bots: Bots, server: FeedServer):
        self.world = world
        self.fake = world.fake
        self.bots = bots
        self.server = server
        self.clock = FakeClock()
        self.policy = PollPolicy(rng=random.Random(5), pause_after=3)
        self.bot: ArchiveBot | None = None

    async def start(self, **overrides: Any) -> ArchiveBot:
        """The bot, with private feed addresses allowed (the feed server is on 127.0.0.1)."""
        settings = {"feed_allow_private": True, "default_feed": self.url(), **overrides}
        options = {"clock": self.clock, "policy": self.policy, "timeout": 2.0}
        self.bot = await self.bots.start(poller_options=options, **settings)
        await self.poll(advance=0)  # past the round at start-up
        return self.bot

    async def stop(self) -> None:
        assert self.bot is not None
        await self.bots.stop(self.bot)
        self.bot = None

    async def restart(self, advance: float = 0, **overrides: Any) -> ArchiveBot:
        """A new process on the same database, `advance` seconds later."""
        await self.stop()
        self.clock.advance(advance)
        return await self.start(**overrides)

    def url(self, path: str = "feed.xml") -> str:
        return self.server.url(path)

    def publish(self, items: list[Item], path: str = "feed.xml") -> None:
        self.server.publish(path, rss(items))

    async def follow(
        self, channel: Channel, /, *, user: User | None = None, **options: Any
    ) -> Message:
        """/announce add in `channel` by the server's owner; the reply, once the feed is read."""
        guild = channel.guild
        assert guild is not None
        ix = await self.fake.slash(
            user or guild.owner, channel, "announce add", channel=channel, **options
        )
        reply = await ix.reply()
        await self.poll(advance=0)
        return reply

    async def command(
        self, channel: Channel, name: str, /, *, user: User | None = None, **options: Any
    ) -> Message:
        """Any /announce subcommand by the owner (or `user`); its reply."""
        assert channel.guild is not None
        ix = await self.fake.slash(
            user or channel.guild.owner, channel, f"announce {name}", **options
        )
        return await ix.reply()

    async def poll(self, advance: float = 600) -> None:
        """Let `advance` seconds pass, then wait for a full round of the bot's poller."""
        assert self.bot is not None and self.bot.poller is not None
        poller = self.bot.poller
        self.clock.advance(advance)
        target = poller.rounds_started + 1
        poller.wake()
        async with asyncio.timeout(15):
            while poller.rounds < target:  # noqa: ASYNC110 - a counter, not an event
                await asyncio.sleep(0.01)

    async def poll_when_due(self, path: str = "feed.xml") -> None:
        """Move the clock to the feed's next poll, then run a round."""
        feed = await self.feed(path)
        self.clock.now = max(self.clock.now, feed.next_poll.timestamp())
        await self.poll(advance=0)

    async def wait_for_channel(self, channel: Channel) -> None:
        """Until the bot's cache knows a channel (its CHANNEL_CREATE/UPDATE arrived)."""
        await self.wait_for_permission(channel, "view_channel", None)

    async def wait_for_permission(self, channel: Channel, name: str, value: bool | None) -> None:
        """Until the bot's cache says it has (or lacks) a permission in a channel."""
        assert self.bot is not None
        async with asyncio.timeout(5):
            while True:
                cached = self.bot.get_channel(channel.id)
                if cached is not None and (
                    value is None or getattr(cached.permissions_for(cached.guild.me), name) == value
                ):
                    return
                await asyncio.sleep(0.01)

    async def bot_sees_role(self, role) -> None:
        """Tell the bot about a role added after it connected (GUILD_ROLE_CREATE)."""
        assert self.bot is not None
        guild = next(g for g in self.fake.guilds.values() if role.id in g.roles)
        await self.fake.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()}
        )
        async with asyncio.timeout(5):
            while self.bot.get_guild(guild.id).get_role(role.id) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    async def feed(self, path: str = "feed.xml"):
        assert self.bot is not None and self.bot.poller is not None
        (found,) = [f for f in await self.bot.poller.store.feeds() if f.url == self.url(path)]
        return found


def announcements(channel: Channel) -> list[Message]:
    """The bot's own channel messages (not replies to commands), oldest first."""
    return [
        m for m in channel.public_messages() if m.interaction is None and m.author.bot and m.embeds
    ]


def titles(channel: Channel) -> list[list[str]]:
    """Per announcement in the channel, the titles of the posts it shows (a digest: several)."""
    result = []
    for message in announcements(channel):
        embed = message.embeds[0]
        if embed.get("fields"):
            result.append([f["name"].split(". ", 1)[1] for f in embed["fields"]])
        elif embed.get("title") != "Announcements paused":
            result.append([embed["title"]])
    return result


def posts(channel: Channel) -> list[str]:
    """Every post title announced in the channel, in order, digests flattened."""
    return [title for message in titles(channel) for title in message]


def notices(channel: Channel) -> list[str]:
    return [
        m.embeds[0]["description"]
        for m in announcements(channel)
        if m.embeds[0].get("title") == "Announcements paused"
    ]
