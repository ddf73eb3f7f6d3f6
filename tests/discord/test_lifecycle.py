"""Start-up, command sync, restarts and shutdown; `python -m bot run` and `archive-bot sync` as
real processes against the fake Discord."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakediscord import GLOBAL_COMMANDS, GUILD_COMMANDS

from .conftest import eventually, sessions_locked

REPO = Path(__file__).resolve().parents[2]
NAMES = {"search", "post", "recent", "random", "stats", "help", "announce", "Search the archive"}


async def test_global_commands_sync_only_when_they_changed(world, bots):
    bot = await bots.start()
    assert bot.last_sync.pushed and set(bot.last_sync.names) == NAMES
    assert len(world.fake.requests_to("PUT", GLOBAL_COMMANDS)) == 1
    await bots.stop(bot)

    bot = await bots.start()  # same commands: compared, not pushed
    assert not bot.last_sync.pushed
    assert len(world.fake.requests_to("PUT", GLOBAL_COMMANDS)) == 1
    await bots.stop(bot)

    # Someone changed them on Discord's side (an older deploy): the next start repairs them.
    world.fake.global_commands = [c for c in world.fake.global_commands if c["name"] != "random"]
    search = next(c for c in world.fake.global_commands if c["name"] == "search")
    search["description"] = "an old description"
    bot = await bots.start()
    assert bot.last_sync.pushed
    assert {c["name"] for c in world.fake.global_commands} == NAMES
    assert len(world.fake.requests_to("PUT", GLOBAL_COMMANDS)) == 2


async def test_commands_are_pushed_when_discords_copy_cannot_be_read(world, bots, errors):
    world.fake.fail("GET", GLOBAL_COMMANDS, status=404, message="404: Not Found")
    bot = await bots.start()
    assert bot.last_sync.pushed and {c["name"] for c in world.fake.global_commands} == NAMES
    assert any("could not read the registered commands" in m for m in errors.messages())


async def test_with_a_development_guild_commands_go_there_at_every_start(world, bots):
    guild_id = world.guild.id
    await bots.stop(await bots.start(guild_id=guild_id))
    await bots.start(guild_id=guild_id)
    assert len(world.fake.requests_to("PUT", GUILD_COMMANDS)) == 2
    assert not world.fake.requests_to("PUT", GLOBAL_COMMANDS)
    assert {c["name"] for c in world.fake.guild_commands[guild_id]} == NAMES
    ix = await world.fake.slash(world.alice, world.general, "search", query="oracles")
    assert ix.data["guild_id"] == str(guild_id)  # Discord marks guild commands so
    assert (await ix.reply()).embeds


async def test_a_failed_sync_is_logged_and_the_bot_still_serves(world, bots, errors):
    errors.expect("could not sync slash commands")
    await bots.stop(await bots.start())  # commands registered once
    world.fake.fail("GET", GLOBAL_COMMANDS, status=403, code=50001, message="Missing Access")
    world.fake.fail("PUT", GLOBAL_COMMANDS, status=403, code=50001, message="Missing Access")
    await bots.start()
    assert any("applications.commands" in m for m in errors.messages())
    ix = await world.fake.slash(world.alice, world.general, "search", query="oracles")
    assert (await ix.reply()).embeds


async def test_close_lets_answers_in_hand_finish_and_turns_newcomers_away(
    world, bots, errors, db_path
):
    bot = await bots.start()
    with sessions_locked(db_path):  # the search will wait on this lock
        busy = await world.fake.slash(world.alice, world.general, "search", query="oracles")
        await busy.first()
        closing = asyncio.create_task(bot.close())
        await eventually(lambda: bot.closing)
        late = await world.fake.slash(world.bob, world.general, "help")
        note = await late.reply()
        assert "restarting" in note.content and note.ephemeral
    reply = await busy.reply()
    assert reply.embeds
    await closing
    assert bot.is_closed()
    assert not errors.messages(), errors.messages()  # not even a warning


async def test_close_is_clean(world, bots, errors):
    bot = await bots.start()
    await (await world.fake.slash(world.alice, world.general, "search", query="x")).reply()
    ours = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
    await bots.stop(bot)
    await asyncio.sleep(0)
    assert bot.is_closed() and not bot.cogs
    assert not bot.get_cog("Search")
    left = {t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()}
    assert not (left & ours), left & ours
    with pytest.raises(ValueError):  # the database connections are closed
        await bot.archive.reader.execute("SELECT 1")
    with pytest.raises(ValueError):
        await bot.sessions.db.execute("SELECT 1")
    assert not errors.messages()


# --- the real entry points, as processes -------------------------------------------------------


def bot_env(world, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ARCHIVE_"))}
    env.update(
        DISCORD_TOKEN=world.fake.token,
        ARCHIVE_DB=str(tmp_path / "fresh.db"),
        PYTHONPATH=str(REPO),
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


async def launch(world, tmp_path: Path, *args: str, **extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakediscord.launch",
        world.fake.base,
        *args,
        cwd=tmp_path,
        env=bot_env(world, tmp_path, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_python_m_bot_run_builds_the_archive_answers_and_stops_on_sigterm(world, tmp_path):
    process = await launch(world, tmp_path, "run")
    try:
        await world.fake.wait_until_connected(timeout=60)
        ix = await world.fake.slash(
            world.alice, world.general, "search", query="activation oracles"
        )
        reply = await ix.reply(timeout=30)
        assert reply.embeds[0]["title"] == "1. Building Better Activation Oracles"
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "first run: building" in log and "closed" in log
    assert "Traceback" not in log and " ERROR " not in log and " WARNING " not in log, log
    assert world.fake.token not in log + stdout.decode()  # the token never reaches a log
    assert (tmp_path / "fresh.db").stat().st_size > 100_000


async def test_archive_bot_sync_pushes_global_or_guild_commands(world, tmp_path):
    process = await launch(world, tmp_path, "sync")
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().startswith("synced 8 commands (global): search, post")
    assert {c["name"] for c in world.fake.global_commands} == NAMES
    assert not world.fake.connected  # HTTP only: no gateway session

    guild = str(world.guild.id)
    process = await launch(world, tmp_path, "sync", "--guild", guild)
    await asyncio.wait_for(process.communicate(), 60)
    assert {c["name"] for c in world.fake.guild_commands[world.guild.id]} == NAMES
    process = await launch(world, tmp_path, "sync", "--guild", guild, "--clear")
    stdout, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0 and world.fake.guild_commands[world.guild.id] == []
    assert len(world.fake.requests_to("PUT", GLOBAL_COMMANDS)) == 1


async def test_a_wrong_token_is_a_clear_error(world, tmp_path):
    process = await launch(world, tmp_path, "sync", DISCORD_TOKEN="not-the-token")
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "Discord rejected the token" in stderr.decode()
