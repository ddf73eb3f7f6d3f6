"""A fake Discord on 127.0.0.1 for the REAL discord.py client: REST routes and the gateway.

Tests run the bot as it runs in production (`create_bot(settings)` in-process, or `python -m bot run`
in a subprocess) and drive it the way users and Discord do. Nothing here mocks our own code.

Quick start (in-process; see tests/discord/conftest.py for the fixtures that do this)::

    from tests.fakediscord import FakeDiscord, Perm

    fake = await FakeDiscord().start()
    guild = fake.add_guild("Test server")          # @everyone, a bot role with the invite perms
    general = guild.add_text_channel("general")
    alice = guild.add_member(fake.add_user("alice"))
    with fake.patched():                           # discord.http.Route.BASE + DEFAULT_GATEWAY
        bot = create_bot(settings, db_path, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(fake.token))
        await fake.wait_until_connected()          # IDENTIFY seen, READY + GUILD_CREATEs sent
        await bot.wait_until_ready()
        ...
        await bot.close(); await task
    await fake.close()

Out of process: `python -m tests.fakediscord.launch BASE_URL run` runs `python -m bot run` with
discord.py pointed at the fake at BASE_URL (`fake.base`); give it DISCORD_TOKEN=fake.token.

Users acting (each returns an `Interaction` record once INTERACTION_CREATE has been sent)::

    ix = await fake.slash(alice, general, "search", query="activation oracles", public=True)
    ix = await fake.autocomplete(alice, general, "post", focused="title", title="activ")
    ix = await fake.message_command(alice, general, "Search the archive", target=message)
    ix = await fake.click(alice, message, "Next ▶")    # by label or custom_id
    ix = await fake.slash(alice, general, "search", query="x", age=5)  # already 5 s old
    ix = await fake.slash(alice, general, "announce add", channel=news, role=readers)
         # a subcommand; channel/role options take fake Channel/Role objects (sent `resolved`)

  As Discord's client does, `slash` refuses (PermissionError) a command the member may not see:
  without its default_member_permissions, or a guild-only command outside a server. `force=True`
  sends it anyway, to test the bot's own checks.

  Commands must have been synced by the bot (PUT .../commands): the fake builds the option
  payloads from the registered schema, and a command or option the bot did not register raises.

What the bot did about an interaction::

    event = await ix.first()          # the callback: event.payload["type"] 4/5/6/7/8, event.at
    message = await ix.reply()        # the message holding the answer (after defer: the edit)
    choices = await ix.response_choices()     # autocomplete
    await ix.wait_for("followup", count=1)    # kinds: callback, edit_original, delete_original,
                                              # followup, edit_followup, error
    ix.latency()                      # seconds from creation to the first callback

Messages (`Message`): `.content`, `.embeds` (dicts), `.components`, `.buttons()`,
`.button(label)`, `.ephemeral`, `.ephemeral_for`, `.text()`, `.pings` (whom its payloads would
have notified, per allowed_mentions; should stay empty), `.edits`, `.deleted`.
Logs: `channel.messages` (everything), `channel.public_messages()`, `channel.visible_to(user)`,
`fake.messages`, `fake.requests` (every REST call), `fake.rejected` (4xx the fake answered, each
with the Discord error), `fake.unhandled` (routes the fake does not know), `fake.all_pings()`.

Changing the world (gateway events are sent to the bot)::

    await fake.create_channel(guild, "news")              # CHANNEL_CREATE
    await fake.delete_channel(general)                    # CHANNEL_DELETE; then 404 Unknown Channel
    await fake.revoke(general, Perm.SEND_MESSAGES)        # bot overwrite; then 403 Missing Perms
    await fake.set_overwrite(general, role_or_user, allow=..., deny=...)
    await fake.update_role(guild, role, permissions=...)  # GUILD_ROLE_UPDATE
    await fake.remove_guild(guild)                        # GUILD_DELETE
    fake.post(alice, general, "text")                     # a user's message (not dispatched)

  `guild.permissions(user, channel)` is Discord's algorithm (roles, @everyone, overwrites);
  POST /channels/{id}/messages enforces it (View Channel, Send Messages, Embed Links for embeds).

Scripted trouble (patterns are regexes over the path after /api/v10; see CALLBACK, ORIGINAL,
FOLLOWUP, CHANNEL_MESSAGES, GLOBAL_COMMANDS, GUILD_COMMANDS)::

    fake.rate_limit("POST", CALLBACK, retry_after=0.5)   # a 429 discord.py retries after 0.5 s
    fake.fail("POST", CHANNEL_MESSAGES, status=500, times=2)
    fake.delay("PATCH", ORIGINAL, 2.0)
    fake.fail("POST", CHANNEL_MESSAGES, status=502, after_serving=True)  # posted, answer lost
    fake.delay("POST", CHANNEL_MESSAGES, 5.0, after_serving=True)  # posted, answer held back
    fake.callback_seconds = 3.0; fake.token_seconds = 900  # Discord's deadlines, enforced

Discord's rules the fake enforces, so a test fails where Discord would refuse: message limits
(content 2000; embeds 10, title 256, description 4096, 25 fields of 256/1024, footer 2048,
6000 in all; 5 rows of 5 components, custom_id 1-100 and unique, label 80), autocomplete (25
choices, names 1-100), the 3-second callback deadline (then 404 Unknown interaction), one
callback per interaction (40060), 15-minute tokens (401 Invalid Webhook Token), command schemas,
`enforce_nonce` (the same nonce from the bot in a channel within `fake.nonce_seconds` returns the
first message instead of posting again; the nonce comes back only in the POST's answer, never in
history, as on Discord), history reads (1-100 messages, before/after).

The parts are listed in server.py. May import: every module of the package.
"""

from .control import (
    CALLBACK,
    CHANNEL_MESSAGES,
    FOLLOWUP,
    GLOBAL_COMMANDS,
    GUILD_COMMANDS,
    ORIGINAL,
)
from .records import Event, Interaction
from .server import FakeDiscord
from .validation import pings
from .world import Channel, DiscordError, Guild, Message, Perm, Role, User

__all__ = [
    "CALLBACK",
    "CHANNEL_MESSAGES",
    "FOLLOWUP",
    "GLOBAL_COMMANDS",
    "GUILD_COMMANDS",
    "ORIGINAL",
    "Channel",
    "DiscordError",
    "Event",
    "FakeDiscord",
    "Guild",
    "Interaction",
    "Message",
    "Perm",
    "Role",
    "User",
    "pings",
]
