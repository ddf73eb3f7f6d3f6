"""Running `archive-bot` as a user does: a subprocess with its own environment."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ARCHIVE_BOT = Path(sys.executable).with_name("archive-bot")


def cli_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This process's environment without Discord or archive settings, the archive in tmp_path."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ARCHIVE_", "FEED_"))
    }
    environment["ARCHIVE_DB"] = str(tmp_path / "cli.db")
    environment.update(extra)
    return environment


async def archive_bot(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run `archive-bot ARGS` without blocking the event loop (a test's server may be on it)."""
    process = await asyncio.create_subprocess_exec(
        str(ARCHIVE_BOT),
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()
