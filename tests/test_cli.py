"""The CLI end to end, in subprocesses, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .cli import ARCHIVE_BOT, archive_bot, cli_environment
from .feedserver import Route


@pytest.fixture
def env(tmp_path):
    return cli_environment(tmp_path)


def run(env, cwd, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ARCHIVE_BOT), *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_search_on_a_fresh_checkout_builds_the_archive_and_answers(env, tmp_path):
    result = run(env, tmp_path, "search", "activation oracles", "--json", "--limit", "3")
    assert result.returncode == 0, result.stderr
    assert "First run" in result.stderr
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 3
    top = hits[0]
    assert top["title"] == "Building Better Activation Oracles"
    assert top["url"].startswith("https://www.lesswrong.com/posts/heXwuDRfbQQgB5JLP")
    assert top["published"] == "2026-06-04T18:34:00Z"
    for key in ("author", "paragraph", "text", "excerpt", "score"):
        assert key in top
    assert isinstance(top["paragraph"], int) and top["excerpt"]


def test_human_search_output(env, tmp_path):
    result = run(env, tmp_path, "search", "air purifier battery")
    assert result.returncode == 0
    assert result.stdout.startswith("1. Running An Air Purifier on Batteries")
    empty = run(env, tmp_path, "search", "zzzzqqqq")
    assert empty.returncode == 0 and "No results" in empty.stdout
    close = run(env, tmp_path, "search", "activationoracles")
    assert "Did you mean: Building Better Activation Oracles?" in close.stdout


def test_stats_json_on_the_shipped_archive(env, tmp_path):
    result = run(env, tmp_path, "stats", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["posts"] == 19
    assert stats["paragraphs"] == 1645
    assert stats["first_published"] == "2026-06-03T08:09:00Z"
    assert stats["last_published"] == "2026-06-04T19:23:00Z"
    assert [s["kind"] for s in stats["sources"]] == ["dump"]


def test_second_ingest_changes_nothing_and_export_round_trips(env, tmp_path):
    first = run(env, tmp_path, "ingest")
    assert first.returncode == 0 and "19 new" in first.stdout
    second = run(env, tmp_path, "ingest")
    assert "0 new, 0 updated, 19 unchanged" in second.stdout
    exported = run(env, tmp_path, "export")
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(records) == 19
    assert sum(r["url"] is not None for r in records) == 6
    backup = tmp_path / "backup.jsonl"
    backup.write_text(exported.stdout, encoding="utf-8")
    other = run(env, tmp_path, "--db", str(tmp_path / "other.db"), "ingest", str(backup))
    assert "19 new" in other.stdout, other.stderr
    restored = run(env, tmp_path, "export", "--db", str(tmp_path / "other.db"))
    assert restored.stdout == exported.stdout


def test_search_dash_answers_each_line_as_it_arrives(env, tmp_path):
    run(env, tmp_path, "ingest")
    process = subprocess.Popen(
        [str(ARCHIVE_BOT), "search", "-", "--limit", "2"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        answers = []
        for query in ("activation oracles", "", 'NEAR("*'):
            process.stdin.write(query + "\n")
            process.stdin.flush()
            answers.append(json.loads(process.stdout.readline()))  # flushed before stdin closes
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    assert answers[0][0]["title"] == "Building Better Activation Oracles"
    assert answers[1] == []
    assert isinstance(answers[2], list)


def test_a_broken_dump_is_refused_whole_with_file_and_line(env, tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_text("Title\n\n4 брюмера, 2026 - 10:00\nBody\nDiscuss\nСтраницы", encoding="utf-8")
    result = run(env, tmp_path, "ingest", str(broken))
    assert result.returncode == 1
    assert f"{broken}:3: unknown month" in result.stderr
    assert "Traceback" not in result.stderr
    sources = json.loads(run(env, tmp_path, "stats", "--json").stdout)["sources"]
    assert [Path(s["location"]).name for s in sources] == ["lesswrong-posts-2026-06-03-to-04.txt"]


def test_a_first_import_keeps_what_went_in_and_leaves_no_scratch_file(env, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"title": "Kept", "paragraphs": ["kept text"]}\n', encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b'{"title": "Lost", "paragraphs": ["lost"]}\n{"title": "caf\xe9"}\n')
    db = tmp_path / "new" / "archive.db"
    result = run(env, tmp_path, "--db", str(db), "ingest", str(good), str(broken))
    assert result.returncode == 1
    assert "1 posts (1 new" in result.stdout and "not UTF-8" in result.stderr
    assert [path.name for path in db.parent.iterdir()] == ["archive.db"]
    found = json.loads(run(env, tmp_path, "--db", str(db), "search", "text", "--json").stdout)
    assert [hit["title"] for hit in found] == ["Kept"]
    assert "No results" in run(env, tmp_path, "--db", str(db), "search", "lost").stdout


def test_missing_file_and_bad_options_are_clear_errors(env, tmp_path):
    missing = run(env, tmp_path, "ingest", "nope.txt")
    assert missing.returncode == 1 and "nope.txt: no such file" in missing.stderr
    folder = run(env, tmp_path, "ingest", str(tmp_path))
    assert folder.returncode == 1 and "a folder; name the files in it" in folder.stderr
    bad_limit = run(env, tmp_path, "search", "x", "--limit", "0")
    assert bad_limit.returncode == 2 and "between 1 and 100" in bad_limit.stderr
    bad_env = run({**env, "FEED_POLL_SECONDS": "soon"}, tmp_path, "stats")
    assert bad_env.returncode == 2 and "FEED_POLL_SECONDS" in bad_env.stderr
    (tmp_path / "notes.txt").write_text("a file, not a folder", encoding="utf-8")
    for command in ("search", "ingest"):
        under_a_file = run(env, tmp_path, "--db", "notes.txt/archive.db", command, "x")
        assert under_a_file.returncode == 1, under_a_file.stderr
        assert "notes.txt is a file, not a folder" in under_a_file.stderr
        assert "Traceback" not in under_a_file.stderr
    a_folder = run(env, tmp_path, "--db", str(tmp_path), "stats")
    assert a_folder.returncode == 1 and "cannot open" in a_folder.stderr


def test_run_without_a_token_says_how_to_get_one(env, tmp_path):
    result = run(env, tmp_path, "run")
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and ".env" in result.stderr
    assert "discord.com/developers" in result.stderr


def test_python_dash_m_bot_is_the_same_program(env, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "stats", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and json.loads(result.stdout)["posts"] == 19


async def test_ingest_a_feed_url(env, tmp_path, feed_server, fixture_path):
    feed_server.routes["/feed.xml"] = Route(body=fixture_path("lesswrong-feed.xml").read_bytes())
    status, out, err = await archive_bot(env, tmp_path, "ingest", feed_server.url("feed.xml"))
    assert status == 0, err
    assert "4 posts (4 new" in out
