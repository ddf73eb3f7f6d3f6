"""Settings, read once from the environment (and `.env`, loaded by the entry point)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_ARCHIVE_NAME = "lesswrong-posts-2026-06-03-to-04.txt"
DEFAULT_DB = Path("data") / "archive.db"
DEFAULT_FEED = "https://www.lesswrong.com/feed.xml"


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

    db_path: Path = DEFAULT_DB
    discord_token: Secret | None = None
    guild_id: int | None = None
    feed_poll_seconds: int = 600
    feed_allow_private: bool = False  # fetch feeds from loopback/private addresses (SSRF guard off)
    log_level: str | None = None  # None: each command picks its own default
    default_feed: str = DEFAULT_FEED  # what /announce add follows without a feed (not from env)

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
        return cls(
            db_path=Path(env.get("ARCHIVE_DB", "").strip() or DEFAULT_DB),
            discord_token=Secret(token) if token else None,
            guild_id=_int(env, "DISCORD_GUILD_ID", None),
            feed_poll_seconds=poll,
            feed_allow_private=allow_private,
            log_level=level,
        )


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


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
