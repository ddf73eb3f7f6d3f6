"""Fixtures shared by every test: real SQLite files in tmp_path, real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.archive.store import Archive
from bot.config import shipped_archive

from . import postgres
from .feedserver import FeedServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def shipped_dump_path() -> Path:
    path = shipped_archive()
    assert path is not None, "the shipped archive must be in data/"
    return path


@pytest.fixture
def shipped_dump(shipped_dump_path) -> Path:
    return shipped_dump_path


@pytest.fixture
def fixture_path():
    return lambda name: FIXTURES / name


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session (tests/postgres.py): its URL."""
    try:
        with postgres.cluster() as url:
            yield url
    except postgres.Unavailable as exc:
        if postgres.REQUIRED:
            pytest.fail(f"PostgreSQL is required here (ARCHIVE_BOT_TEST_POSTGRES): {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


_databases = itertools.count(1)


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on the session's cluster, dropped after the test."""
    name = f"test_{next(_databases)}"
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield postgres.with_database(postgres_server, name)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's archive lives: a SQLite file, then a PostgreSQL database (the contract
    tests run on both)."""
    if request.param == "sqlite":
        return tmp_path / "archive.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def archive(archive_location: Path | str) -> AsyncIterator[Archive]:
    store = await Archive.open(archive_location)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = await FeedServer().start()
    try:
        yield server
    finally:
        await server.close()
