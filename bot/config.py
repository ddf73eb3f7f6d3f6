"""Settings, read once from the environment (and `.env`, loaded by the entry point).

May import: bot.archive; never discord.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .archive.store.files import Location, location_of

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_ARCHIVE_NAME = "lesswrong-posts-2026-06-03-to-04.txt"
DEFAULT_DB = Path("data") / "archive.db"
DEFAULT_FEED = "https://www.lesswrong.com/feed.xml"


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names it."""


class Secret:
    """A value that must never reach a log or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. See .env.example for what each setting means."""

    archive_db: Location = DEFAULT_DB
    discord_token: Secret | None = None
    guild_id: int | None = None
    feed_poll_seconds: int = 600
    feed_allow_private: bool = False  # fetch feeds from loopback/private addresses (SSRF guard off)
    log_level: str | None = None  # None: each command picks its own default
    default_feed: str = DEFAULT_FEED  # what /announce add follows without a feed (not from env)
    forum_headers: Headers = field(default_factory=lambda: Headers({}))  # FORUM_API_HEADERS
    sync_sources: tuple[str, ...] = ()  # ARCHIVE_SYNC: kept in sync by `run`
    sync_hours: float = 24.0  # ARCHIVE_SYNC_HOURS
    sync_pace: float = 3.0  # ARCHIVE_SYNC_PACE: seconds between the sync's requests
    shard_count: int | None = None  # DISCORD_SHARD_COUNT: None is one process, one connection
    shard_ids: tuple[int, ...] | None = None  # DISCORD_SHARD_IDS: this process's shards

    @property
    def syncs_commands(self) -> bool:
        """Whether this process pushes the slash commands: one process of several does, the one
        running shard 0."""
        return self.shard_ids is None or 0 in self.shard_ids

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables; raise ConfigError on unusable values."""
        env = os.environ if env is None else env
        token = env.get("DISCORD_TOKEN", "").strip()
        poll = _int(env, "FEED_POLL_SECONDS", 600)
        if poll < 60:
            raise ConfigError(f"FEED_POLL_SECONDS must be at least 60 (got {poll})")
        allow_private = _bool(env, "FEED_ALLOW_PRIVATE")
        level = env.get("LOG_LEVEL", "").strip().upper() or None
        if level not in {None, "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {level!r})")
        hours = _float(env, "ARCHIVE_SYNC_HOURS", 24.0)
        if hours <= 0:
            raise ConfigError(f"ARCHIVE_SYNC_HOURS must be more than 0 (got {hours:g})")
        pace = _float(env, "ARCHIVE_SYNC_PACE", 3.0)
        if pace < 0:
            raise ConfigError(f"ARCHIVE_SYNC_PACE must be 0 or more (got {pace:g})")
        return cls(
            forum_headers=Headers.parse(env.get("FORUM_API_HEADERS", "")),
            sync_sources=_sync_sources(env.get("ARCHIVE_SYNC", "")),
            sync_hours=hours,
            sync_pace=pace,
            archive_db=location_of(env.get("ARCHIVE_DB", "").strip() or str(DEFAULT_DB)),
            discord_token=Secret(token) if token else None,
            **_shards(env),
            guild_id=_int(env, "DISCORD_GUILD_ID", None),
            feed_poll_seconds=poll,
            feed_allow_private=allow_private,
            log_level=level,
        )


class Headers(Mapping[str, str]):
    """Extra HTTP headers for a forum's API (an access token, say): their values never reach a
    log, a repr or an error message."""

    def __init__(self, headers: dict[str, str]):
        self._headers = dict(headers)

    @classmethod
    def parse(cls, text: str) -> Headers:
        """`Name: value` per line (or separated by a literal \\n); blank lines are ignored.

        A ConfigError names the line, never its value.
        """
        headers: dict[str, str] = {}
        for number, line in enumerate(text.replace("\\n", "\n").splitlines(), 1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            name = name.strip()
            if not colon or not _HEADER_NAME.fullmatch(name) or not value.strip():
                raise ConfigError(
                    f"FORUM_API_HEADERS line {number} is not 'Name: value' (its text is not shown,"
                    " in case it holds a secret)"
                )
            headers[name] = value.strip()
        return cls(headers)

    def __getitem__(self, name: str) -> str:
        return self._headers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __repr__(self) -> str:
        return f"Headers({', '.join(self._headers)}: values hidden)"

    __str__ = __repr__


def _sync_sources(text: str) -> tuple[str, ...]:
    """ARCHIVE_SYNC: comma- or space-separated sources, each a forum or a feed URL."""
    from .archive.forum.sites import parse_site

    sources = tuple(part for part in re.split(r"[,\s]+", text.strip()) if part)
    for source in sources:
        try:
            known = parse_site(source) is not None
        except ValueError as exc:
            raise ConfigError(f"ARCHIVE_SYNC: {exc}") from None
        if not known and not source.lower().startswith(("http://", "https://")):
            raise ConfigError(
                f"ARCHIVE_SYNC: {source!r} is neither a forum (lesswrong, alignmentforum, "
                "eaforum, forum:URL) nor a feed URL"
            )
    return sources


def shipped_archive() -> Path | None:
    """The dump the bot ships with: in the source tree, or in ./data when installed elsewhere."""
    for candidate in (
        REPO_ROOT / "data" / SHIPPED_ARCHIVE_NAME,
        Path("data") / SHIPPED_ARCHIVE_NAME,
    ):
        if candidate.is_file():
            return candidate
    return None


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0 (got {raw!r})")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number (got {raw!r})") from None


def _shards(env: Mapping[str, str]) -> dict[str, object]:
    """DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS ("0-3", "0,2,4-5"), checked against each other."""
    count = _int(env, "DISCORD_SHARD_COUNT", None)
    raw = env.get("DISCORD_SHARD_IDS", "").strip()
    if count is None:
        if raw:
            raise ConfigError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (how many in all)")
        return {}
    if count < 1:
        raise ConfigError(f"DISCORD_SHARD_COUNT must be 1 or more (got {count})")
    if not raw:
        return {"shard_count": count, "shard_ids": tuple(range(count))}
    ids: list[int] = []
    for part in raw.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            span = range(int(first), int(last if dash else first) + 1)
        except ValueError:
            raise ConfigError(
                f"DISCORD_SHARD_IDS must be numbers and ranges like 0-3,5 (got {raw!r})"
            ) from None
        ids.extend(span)
    if not ids or min(ids) < 0 or max(ids) >= count:
        raise ConfigError(
            f"DISCORD_SHARD_IDS must lie in 0-{count - 1} for DISCORD_SHARD_COUNT={count}"
            f" (got {raw!r})"
        )
    return {"shard_count": count, "shard_ids": tuple(sorted(set(ids)))}


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
