"""The archive's files: the folder it lives in, publishing a finished first import, removal.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import os
from pathlib import Path

from .records import ArchiveError


def publish(staging: Path, path: Path) -> bool:
    """Give the finished archive its real name unless that name was taken meanwhile."""
    if path.exists():
        return False
    try:
        os.link(staging, path)  # unlike a rename, never replaces a file made meanwhile
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links
        os.replace(staging, path)
    return True


def make_folder(path: Path) -> None:
    """Create the folder a database file goes in, or say in an ArchiveError why it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ArchiveError(f"{path}: {path.parent} is a file, not a folder") from None
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot create its folder ({exc.strerror})") from None


def remove_database(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
