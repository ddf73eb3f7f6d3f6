"""The fake Discord itself, seen through the real client: what announcement tests will rely on
(channel messages, permissions, deleted channels, 429s, role changes)."""

from __future__ import annotations

import discord
import pytest

from tests.fakediscord import CHANNEL_MESSAGES, Perm

from .conftest import eventually


async def test_the_client_sees_the_servers_channels_and_its_permissions(world, bot):
    guild = bot.get_guild(world.guild.id)
    channel = bot.get_channel(world.general.id)
    assert guild.name == "Test server" and channel.name == "general"
    perms = channel.permissions_for(guild.me)
    assert perms.send_messages and perms.embed_links and not perms.manage_messages


async def test_channel_messages_are_logged_with_their_pings(world, bot):
    channel = bot.get_channel(world.general.id)
    sent = await channel.send("hello @everyone", embed=discord.Embed(title="New post"))
    [logged] = world.general.public_messages()
    assert logged.id == sent.id and logged.embeds[0]["title"] == "New post"
    assert logged.pings == set()  # the bot's default AllowedMentions.none()
    await channel.send("@everyone", allowed_mentions=discord.AllowedMentions(everyone=True))
    assert world.general.public_messages()[-1].pings == {"@everyone"}


async def test_revoked_permissions_deleted_channels_and_429s(world, bot):
    channel = bot.get_channel(world.general.id)
    await world.fake.revoke(world.general, Perm.SEND_MESSAGES)
    await eventually(lambda: not channel.permissions_for(channel.guild.me).send_messages)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("x")
    assert refused.value.code == 50013

    news = await world.fake.create_channel(world.guild, "news")
    await eventually(lambda: bot.get_channel(news.id) is not None)
    world.fake.rate_limit("POST", CHANNEL_MESSAGES, retry_after=0.2)
    await bot.get_channel(news.id).send("after a 429")
    assert [r.status for r in world.fake.requests_to("POST", CHANNEL_MESSAGES)][-2:] == [429, 200]

    await world.fake.delete_channel(news)
    await eventually(lambda: bot.get_channel(news.id) is None)
    with pytest.raises(discord.NotFound) as gone:
        await bot.http.send_message(news.id, params=discord.http.handle_message_parameters("x"))
    assert gone.value.code == 10003


async def test_role_changes_reach_the_client(world, bot):
    bot_role = next(r for r in world.guild.roles.values() if r.managed)
    await world.fake.update_role(world.guild, bot_role, permissions=Perm.VIEW_CHANNEL)
    world.guild.everyone.permissions = Perm.VIEW_CHANNEL
    await world.fake.update_role(world.guild, world.guild.everyone, permissions=Perm.VIEW_CHANNEL)
    channel = bot.get_channel(world.general.id)
    await eventually(lambda: not channel.permissions_for(channel.guild.me).send_messages)
    assert world.guild.permissions(world.fake.bot_user, world.general) == Perm.VIEW_CHANNEL
