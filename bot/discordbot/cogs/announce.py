"""/announce add|remove|list|status: which channels announce which feeds' new posts.

Server-only, and offered by Discord only to members with Manage Server; the cog checks that too
(a stale command registration must not open it to everyone). The work is in
services/announcements.py; what needs Discord's view of the server (can the bot post in that
channel? is the role pingable?) is checked here.

May import: discord, bot.services, bot.archive, bot.feeds, bot.config.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from ...services.answers import BadInput
from ..host import Host
from ..render.announcements import missing_permissions
from ..render.subscriptions import (
    announce_status,
    subscribed,
    subscription_choices,
    subscription_list,
    unsubscribed,
)
from ..replies import answer, defer


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AnnounceCog(
    commands.GroupCog,
    name="Announce",
    group_name="announce",
    group_description="Announce new posts of a feed in a channel (Manage Server)",
):
    """Subscriptions of this server's channels to feeds."""

    def __init__(self, bot: Host):
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only server members with Manage Server, whatever Discord was told to show."""
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="add", description="Announce a feed's new posts in a channel")
    @app_commands.describe(
        channel="Where to announce",
        feed="The feed's address (default: LessWrong, https://www.lesswrong.com/feed.xml)",
        role="A role to mention in each announcement (never @everyone)",
        keywords="Only posts mentioning one of these, comma-separated: alignment, oracles",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        feed: str | None = None,
        role: discord.Role | None = None,
        keywords: str | None = None,
    ) -> None:
        """/announce add: check the channel and role here, the rest in Announcements.add."""
        me = channel.guild.me
        missing = missing_permissions(channel.permissions_for(me))
        if missing:
            raise BadInput(
                f"I can't announce in #{channel.name}: I lack {_join(missing)} there. Give me "
                "that in the channel's permissions, then run /announce add again."
            )
        warnings = []
        if role is not None:
            if role.is_default():
                raise BadInput(
                    "Pick a role to mention, or none: announcements never ping @everyone or @here."
                )
            if not role.mentionable and not channel.permissions_for(me).mention_everyone:
                warnings.append(
                    f"@{role.name} is not mentionable and I lack “Mention @everyone, @here and All "
                    "Roles”, so Discord will show the mention without pinging anyone. Make the "
                    "role mentionable to have it pinged."
                )
        await defer(interaction)
        added = await self.bot.announcements.add(
            interaction.guild_id,
            channel.id,
            feed,
            role_id=role.id if role is not None else None,
            keywords=keywords,
        )
        reply = subscribed(
            added.subscription, added.feed, fetching=added.fetching, warnings=warnings
        )
        await answer(interaction, reply)

    @app_commands.command(name="remove", description="Stop announcing a feed in a channel")
    @app_commands.describe(subscription="Which one: pick from the list as you type")
    async def remove(self, interaction: discord.Interaction, subscription: str) -> None:
        """/announce remove: one subscription of this server."""
        await defer(interaction)
        removed = await self.bot.announcements.remove(interaction.guild_id, subscription)
        await answer(interaction, unsubscribed(removed))

    @remove.autocomplete("subscription")
    async def remove_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """This server's subscriptions matching what has been typed."""
        if interaction.guild is None or not interaction.permissions.manage_guild:
            return []
        names = {channel.id: channel.name for channel in interaction.guild.channels}
        found = await self.bot.announcements.matching(interaction.guild_id, current, names)
        return subscription_choices(found, names)

    @app_commands.command(name="list", description="The feeds this server announces, and where")
    async def list_(self, interaction: discord.Interaction) -> None:
        """/announce list: this server's subscriptions."""
        await defer(interaction)
        subscriptions = await self.bot.announcements.subscriptions(interaction.guild_id)
        await answer(interaction, subscription_list(subscriptions))

    @app_commands.command(
        name="status", description="Health of this server's feeds and announcement channels"
    )
    async def status(self, interaction: discord.Interaction) -> None:
        """/announce status: feeds' polling health and each subscription's state."""
        await defer(interaction)
        status = await self.bot.announcements.status(interaction.guild_id)
        guild = interaction.guild
        problems = {sub.id: channel_problem(guild, sub.channel_id) for sub in status.subscriptions}
        await answer(interaction, announce_status(status, problems, now=discord.utils.utcnow()))


def channel_problem(guild: discord.Guild | None, channel_id: int) -> str | None:
    """What stops the bot from announcing in a channel now, as Discord's cache sees it."""
    channel = guild.get_channel(channel_id) if guild is not None else None
    if channel is None:
        return "the channel no longer exists (or I can't see it)"
    missing = missing_permissions(channel.permissions_for(guild.me))
    return f"I lack {_join(missing)} there" if missing else None


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
