"""Settings from the environment: the announcement settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_FEED, ConfigError, Settings


def test_defaults():
    settings = Settings.from_env({})
    assert settings.feed_poll_seconds == 600 and not settings.feed_allow_private
    assert settings.default_feed == DEFAULT_FEED


@pytest.mark.parametrize("raw, allowed", [("1", True), ("true", True), ("0", False), ("", False)])
def test_feed_allow_private(raw, allowed):
    assert Settings.from_env({"FEED_ALLOW_PRIVATE": raw}).feed_allow_private is allowed


@pytest.mark.parametrize(
    "env, message",
    [
        ({"FEED_ALLOW_PRIVATE": "maybe"}, "FEED_ALLOW_PRIVATE must be 1 or 0"),
        ({"FEED_POLL_SECONDS": "30"}, "at least 60"),
        ({"FEED_POLL_SECONDS": "often"}, "whole number"),
    ],
)
def test_unusable_values_name_the_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_sync_and_forum_header_settings():
    settings = Settings.from_env(
        {
            "ARCHIVE_SYNC": "lesswrong, forum:https://forum.example.org https://blog.example/feed",
            "ARCHIVE_SYNC_HOURS": "6",
            "FORUM_API_HEADERS": "X-Access: abc\\nFrom: me@example.org",
        }
    )
    assert settings.sync_sources == (
        "lesswrong",
        "forum:https://forum.example.org",
        "https://blog.example/feed",
    )
    assert settings.sync_hours == 6.0 and settings.sync_pace == 3.0
    assert dict(settings.forum_headers) == {"X-Access": "abc", "From": "me@example.org"}
    assert "abc" not in repr(settings) and "abc" not in str(settings.forum_headers)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"ARCHIVE_SYNC": "lesswrongg"}, "neither a forum"),
        ({"ARCHIVE_SYNC": "forum:nowhere"}, "after 'forum:'"),
        ({"ARCHIVE_SYNC_HOURS": "0"}, "more than 0"),
        ({"FORUM_API_HEADERS": "Bad Name: x"}, "line 1 is not 'Name: value'"),
    ],
)
def test_unusable_sync_values_name_the_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_archive_db_is_a_path_or_a_database_url():
    assert str(Settings.from_env({}).archive_db) == "data/archive.db"
    assert Settings.from_env({"ARCHIVE_DB": " /srv/bot/a.db "}).archive_db == Path("/srv/bot/a.db")
    url = "postgresql://bot@db.example:5432/archive?sslmode=require"
    assert Settings.from_env({"ARCHIVE_DB": url}).archive_db == url  # not mangled into a path


@pytest.mark.parametrize(
    "env, count, ids",
    [
        ({}, None, None),
        ({"DISCORD_SHARD_COUNT": "4"}, 4, (0, 1, 2, 3)),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "2-3"}, 4, (2, 3)),
        ({"DISCORD_SHARD_COUNT": "8", "DISCORD_SHARD_IDS": "5, 0-1,1"}, 8, (0, 1, 5)),
    ],
)
def test_shards(env, count, ids):
    settings = Settings.from_env(env)
    assert (settings.shard_count, settings.shard_ids) == (count, ids)
    assert settings.syncs_commands is (ids is None or 0 in ids)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DISCORD_SHARD_IDS": "0-1"}, "needs DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_COUNT": "0"}, "1 or more"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1-2"}, "must lie in 0-1"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "one"}, "numbers and ranges"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1-0"}, "must lie in"),
    ],
)
def test_unusable_shard_settings_say_what_is_wrong(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)
