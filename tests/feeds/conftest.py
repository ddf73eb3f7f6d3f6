from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ..feedserver import FeedServer
from .harness import Harness


@pytest.fixture
async def rig(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Harness]:
    harness = await Harness(tmp_path, feed_server).open()
    try:
        yield harness
    finally:
        await harness.close()
