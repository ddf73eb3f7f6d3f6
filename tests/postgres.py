"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl from the installed binaries, on a
Unix socket in a temporary folder, no TCP port, gone when the session ends.

Where the binaries are missing the PostgreSQL tests are skipped with one line saying why, except
when ARCHIVE_BOT_TEST_POSTGRES=required (set by .ci/run), where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

REQUIRED = os.environ.get("ARCHIVE_BOT_TEST_POSTGRES", "") == "required"


class Unavailable(Exception):
    """No PostgreSQL server can be started here (the reason is the message)."""


def server_binaries() -> Path:
    """The folder of initdb and pg_ctl: $PG_BIN, or the newest /usr/lib/postgresql/*/bin."""
    if configured := os.environ.get("PG_BIN"):
        return Path(configured)
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    for folder in reversed(installed):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    raise Unavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl): "
        "apt-get install postgresql postgresql-contrib, or set PG_BIN"
    )


@contextlib.contextmanager
def cluster(*, durable: bool = False, settings: Sequence[str] = ()) -> Iterator[str]:
    """Start a cluster; yields the libpq URL of its `postgres` database.

    Not `durable` (for tests): no fsync, no full-page writes. `settings`: more `name=value`
    server settings (bench/backends.py sets shared_buffers)."""
    binaries = server_binaries()
    folder = Path(tempfile.mkdtemp(prefix="archive-bot-pg-"))
    data = folder / "data"
    as_user: list[str] = []
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:  # initdb refuses to run as root: run the server as `postgres`
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no `postgres` user") from None
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
        user = "postgres"
    environment = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def run(*command: str) -> None:
        done = subprocess.run(
            [*as_user, *command],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            text=True,
            env=environment,
            check=False,
        )
        if done.returncode != 0:
            raise Unavailable(f"{command[0]} failed: {(done.stderr or done.stdout).strip()}")

    try:
        run(
            str(binaries / "initdb"),
            "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        options = [f"-k {folder}", "-c listen_addresses="]
        if not durable:
            options += ["-c fsync=off", "-c full_page_writes=off"]
        options += [f"-c {setting}" for setting in settings]
        log = folder / "server.log"  # the server's output: not our pipes, which it would hold
        run(
            str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", " ".join(options), "-w", "-s",
            "start",
        )  # fmt: skip
        try:
            yield f"postgresql://{user}@/postgres?host={quote(str(folder), safe='')}"
        finally:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-s", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def with_database(url: str, name: str) -> str:
    """The same server's URL for another database."""
    head, _, query = url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}?{query}"
