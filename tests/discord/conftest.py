"""Fixtures for the Discord layer: the real bot (create_bot) against the fake Discord.

`world` is a fake Discord with one server, #general, and two members (alice and bob). `bots` starts
and stops the bot against it (several times, for restarts). Every test also fails if anything
logged an ERROR, or a traceback, unless it says it expects one with `errors.expect(...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.archive.models import Post, SourceDocument
from bot.archive.sources import read_source
from bot.archive.store import Archive
from bot.config import Secret, Settings, shipped_archive
from bot.discordbot.app import ArchiveBot, create_bot
from bot.services.sessions import sessions_location
from tests.fakediscord import Channel, FakeDiscord, Guild, User


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped archive as a database, built once per run and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "archive.db"

    async def build() -> None:
        async with await Archive.open(path) as archive:
            await archive.ingest(await read_source(str(shipped_archive())))

    asyncio.run(build())
    return path


@pytest.fixture
def db_path(seeded_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    shutil.copy(seeded_template, path)
    return path


async def eventually(test, timeout: float = 5.0) -> None:
    """Wait until test() is true (for things the bot does after its reply, like logging)."""
    async with asyncio.timeout(timeout):
        while not test():  # noqa: ASYNC110 - log records and requests have no event to await
            await asyncio.sleep(0.02)


@contextlib.contextmanager
def sessions_locked(db_path: Path) -> Iterator[None]:
    """Hold the write lock of the bot's sessions file, as another process could: a /search then
    waits (SQLite's busy timeout) before it can store its session. A real, slow search."""
    connection = sqlite3.connect(sessions_location(db_path), isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("COMMIT")
    finally:
        connection.close()


async def add_posts(db_path: Path, *posts: Post) -> None:
    """Ingest extra posts into a test's archive before the bot starts (a JSONL-like source)."""
    async with await Archive.open(db_path) as archive:
        await archive.ingest(SourceDocument("test-posts.jsonl", "jsonl", list(posts)))


@dataclass
class World:
    fake: FakeDiscord
    guild: Guild
    general: Channel
    alice: User
    bob: User


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = await FakeDiscord().start()
    guild = fake.add_guild("Test server")
    general = guild.add_text_channel("general")
    alice = guild.add_member(fake.add_user("alice"))
    bob = guild.add_member(fake.add_user("bob"))
    try:
        with fake.patched():
            yield World(fake, guild, general, alice, bob)
    finally:
        await fake.close()


class Bots:
    """Starts the real bot against the fake; stop() is clean or the test fails."""

    def __init__(self, world: World, db_path: Path):
        self.world = world
        self.db_path = db_path
        self.running: list[tuple[ArchiveBot, asyncio.Task]] = []

    def settings(self, **overrides) -> Settings:
        values = dict(archive_db=self.db_path, discord_token=Secret(self.world.fake.token))
        values.update(overrides)
        return Settings(**values)

    async def start(self, *, poller_options: dict | None = None, **overrides) -> ArchiveBot:
        bot = create_bot(
            self.settings(**overrides), guild_ready_timeout=0.05, poller_options=poller_options
        )
        task = asyncio.create_task(bot.start(self.world.fake.token))
        self.running.append((bot, task))
        async with asyncio.timeout(15):
            while not bot.is_ready():
                if task.done():
                    task.result()  # start-up failed: raise why
                await asyncio.sleep(0.01)
        return bot

    async def stop(self, bot: ArchiveBot) -> None:
        for entry in list(self.running):
            if entry[0] is bot:
                self.running.remove(entry)
                await bot.close()
                await asyncio.wait_for(entry[1], 10)

    async def stop_all(self) -> None:
        for bot, _ in list(self.running):
            await self.stop(bot)


@pytest.fixture
async def bots(world: World, db_path: Path) -> AsyncIterator[Bots]:
    harness = Bots(world, db_path)
    try:
        yield harness
    finally:
        await harness.stop_all()


@pytest.fixture
async def bot(bots: Bots) -> ArchiveBot:
    """The bot, started against `world` with the shipped archive."""
    return await bots.start()


class ErrorLog(logging.Handler):
    """Collects WARNING+ records of the bot and discord.py; ERRORs fail the test unless expected."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.expected: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def expect(self, *fragments: str) -> None:
        """ERROR records containing any of these fragments are part of the test."""
        self.expected += fragments

    def messages(self, level: int = logging.WARNING) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]

    def unexpected(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()}"
            for r in self.records
            if (r.levelno >= logging.ERROR or r.exc_info)
            and not any(f in r.getMessage() for f in self.expected)
        ]


@pytest.fixture(autouse=True)
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(min(previous, logging.INFO) if previous else logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    assert not handler.unexpected(), "unexpected errors logged:\n" + "\n".join(handler.unexpected())


@pytest.fixture
def newsroom(world: World, bots: Bots, feed_server):
    """The announcement rig (tests/discord/newsroom.py); start it with `await newsroom.start()`."""
    from .newsroom import Newsroom

    return Newsroom(world, bots, feed_server)
