"""The archive's files: its folder, publishing a first import built aside, removal, the run lock.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from .records import ArchiveError

# Where an archive lives: a SQLite file's path, or a PostgreSQL URL (postgresql://user@host/db).
Location = Path | str


def is_database_url(location: object) -> bool:
    """Whether an archive location names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def location_of(text: str) -> Location:
    """ARCHIVE_DB or --db as given: a database URL stays a string, anything else is a path."""
    text = text.strip()
    return text if is_database_url(text) else Path(text)


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


class ArchiveInUse(ArchiveError):
    """Another process holds the archive's run lock (see run_lock)."""


@contextlib.contextmanager
def run_lock(path: Path | str) -> Iterator[None]:
    """Hold `<archive>.run.lock` while the block runs, or raise ArchiveInUse at once.

    Two `archive-bot run` on one SQLite file would both poll the feeds and announce (the outbox
    keeps that from doubling messages, but every fetch and claim is done twice). An flock is
    released by the kernel when its process dies, however it dies, so a crash leaves no stale
    lock. Where fcntl does not exist (Windows) the block runs unguarded.
    """
    path = Path(path)
    try:
        import fcntl
    except ImportError:
        yield
        return
    make_folder(path)
    lock_path = Path(f"{path}.run.lock")
    with open(lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ArchiveInUse(
                f"{path} is already served by another `archive-bot run` (pid {holder}); stop it "
                "first, or give this one its own archive with --db"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
