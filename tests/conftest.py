"""Fixtures shared by every test: real SQLite files in tmp_path, real HTTP servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.archive.store import Archive
from bot.config import shipped_archive

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


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[Archive]:
    store = await Archive.open(tmp_path / "archive.db")
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
