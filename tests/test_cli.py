"""The CLI end to end, in subprocesses, as a user runs it."""

from __future__ import annotations

import json
import sqlite3
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


# --- text integrity (issue 13) ---------------------------------------------------------------

CONTROLS = [
    chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))
]


def raw_controls(text: str) -> list[str]:
    return sorted({char for char in text if char in CONTROLS})


def test_one_invalid_byte_garbles_nothing_but_itself(env, tmp_path):
    # The reproduction, verbatim.
    feed = tmp_path / "u.xml"
    feed.write_bytes(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>naïve — dash</title><description>Body one</description>"
        "<guid>aaaaaaaaaaaaaaaaa</guid></item><item><title>Bad BYTE byte</title>"
        "<description>Body two</description><guid>bbbbbbbbbbbbbbbbb</guid></item>"
        "</channel></rss>".encode().replace(b"BYTE", b"\xff")
    )
    ingested = run(env, tmp_path, "--db", "u.db", "ingest", "u.xml")
    assert ingested.returncode == 0, ingested.stderr
    assert "warning: " + str(feed) + ": 1 byte sequence(s) not valid utf-8" in ingested.stdout
    assert "item 2: 'Bad \ufffd byte' lost characters (U+FFFD)" in ingested.stdout
    exported = run(env, tmp_path, "--db", "u.db", "export")
    titles = [json.loads(line)["title"] for line in exported.stdout.splitlines()]
    assert titles == ["naïve — dash", "Bad \ufffd byte"]


def test_control_characters_in_a_feed_are_removed_and_the_item_kept(env, tmp_path):
    feed = tmp_path / "c.xml"
    feed.write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>Red \x1b[31m alert</title><description>Ring \x07 the bell</description>"
        b"<guid>ccccccccccccccccc</guid></item></channel></rss>"
    )
    ingested = run(env, tmp_path, "ingest", str(feed))
    assert "1 posts (1 new" in ingested.stdout, ingested.stdout + ingested.stderr
    assert "removed 2 control character(s)" in ingested.stdout
    [hit] = json.loads(run(env, tmp_path, "search", "ring the bell", "--json").stdout)
    assert (hit["title"], hit["text"]) == ("Red [31m alert", "Ring the bell")


def test_control_characters_already_in_an_archive_are_never_printed_raw(env, tmp_path):
    run(env, tmp_path, "ingest")
    # An archive written before control characters were refused.
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute(
            "UPDATE posts SET title = 'Air \x1b[2J\x1b[31mPurifier\x07 \x9b1m', author = 'Eve\x08'"
            " WHERE title LIKE 'Running An Air Purifier%'"
        )
        db.execute("UPDATE paragraphs SET text = text || ' battery \x1b]0;owned\x07 \x7f'")
    human = run(env, tmp_path, "search", "air purifier battery")
    assert human.returncode == 0, human.stderr
    assert raw_controls(human.stdout + human.stderr) == []
    assert human.stdout.startswith("1. Air ␛[2J␛[31mPurifier␇ \ufffd1m\n   Eve␈ · ")
    for args in (["search", "air purifier battery", "--json"], ["export"], ["stats"]):
        result = run(env, tmp_path, *args)
        assert result.returncode == 0, result.stderr
        assert raw_controls(result.stdout) == [], args
    [top, *_] = json.loads(run(env, tmp_path, "search", "air purifier battery", "--json").stdout)
    assert top["title"] == "Air \x1b[2J\x1b[31mPurifier\x07 \x9b1m"  # JSON escapes, loses nothing


def test_a_json_backup_with_a_lone_surrogate_and_impossible_dates_goes_in(env, tmp_path):
    backup = tmp_path / "odd.jsonl"
    backup.write_text(
        '{"title": "Lone \\ud800 surrogate", "guid": "s", "paragraphs": ["Body \\u0007 one"],'
        ' "published": "9999-12-31T00:00:00Z"}\n'
        '{"title": "Epoch", "guid": "e", "paragraphs": ["Body two"],'
        ' "published": "1970-01-01T00:00:00Z"}\n',
        encoding="utf-8",
    )
    first = run(env, tmp_path, "ingest", str(backup))
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    assert "2 posts (2 new" in first.stdout
    assert "published 9999-12-31T00:00:00Z cannot be right" in first.stdout
    assert "published 1970-01-01T00:00:00Z cannot be right" in first.stdout
    fixed = backup.read_text(encoding="utf-8").replace("9999-12-31", "2026-06-01")
    backup.write_text(fixed.replace("1970-01-01", "2026-06-02"), encoding="utf-8")
    second = run(env, tmp_path, "ingest", str(backup))
    assert "2 updated" in second.stdout, second.stdout
    records = {
        r["guid"]: r for r in map(json.loads, run(env, tmp_path, "export").stdout.split("\n")[:-1])
    }
    assert records["s"]["title"] == "Lone \ufffd surrogate"
    assert records["s"]["paragraphs"] == ["Body one"]
    assert (records["s"]["published"], records["e"]["published"]) == (
        "2026-06-01T00:00:00Z",
        "2026-06-02T00:00:00Z",
    )


def test_search_says_which_words_no_post_mentions(env, tmp_path):
    human = run(env, tmp_path, "search", "zorblax optimizer", "--limit", "1")
    assert human.stdout.startswith("No post mentions *zorblax*; showing results for *optimizer*.")
    hits = json.loads(run(env, tmp_path, "search", "zorblax optimizer", "--json").stdout)
    assert hits and all(hit["unmatched"] == ["zorblax"] for hit in hits)
    matched = json.loads(run(env, tmp_path, "search", "activation oracles", "--json").stdout)
    assert matched and all(hit["unmatched"] == [] for hit in matched)
    lines = run(env, tmp_path, "search", "-", stdin="qwxzv\nactivation oracles\n").stdout
    first, second = (json.loads(line) for line in lines.splitlines())
    assert first == [] or all(hit["unmatched"] == ["qwxzv"] for hit in first)
    assert second and all(hit["unmatched"] == [] for hit in second)


def test_a_second_run_on_the_same_archive_refuses_to_start(env, tmp_path):
    from bot.archive.store import run_lock

    db = tmp_path / "served.db"
    env = {**env, "DISCORD_TOKEN": "not-a-real-token"}
    with run_lock(db):  # as a running `archive-bot run` holds it
        second = run(env, tmp_path, "--db", str(db), "run")
    assert second.returncode == 1
    assert "already served by another `archive-bot run`" in second.stderr
    assert "Traceback" not in second.stderr


def test_the_run_lock_dies_with_its_process(tmp_path):
    from bot.archive.store import run_lock

    db = tmp_path / "served.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from bot.archive.store import run_lock\n"
            f"with run_lock({str(db)!r}):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        holder.kill()  # SIGKILL: no chance to clean up
        holder.wait(10)
        with run_lock(db):  # the kernel released it
            pass
    finally:
        holder.kill()
        holder.wait(10)


def test_the_same_commands_on_a_postgresql_archive(postgres_url, tmp_path):
    # ARCHIVE_DB as a URL: the first search fills the database from the shipped dump, the
    # password never shows, and no SQLite file appears.
    url = postgres_url.replace("postgres@", "postgres:hunter2@", 1)  # the cluster trusts all
    env = cli_environment(tmp_path, ARCHIVE_DB=url)
    result = run(env, tmp_path, "search", "activation oracles", "--json", "--limit", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["title"] == "Building Better Activation Oracles"
    stats = run(env, tmp_path, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["posts"] == 19
    assert "hunter2" not in result.stderr + stats.stdout + stats.stderr
    assert not list(tmp_path.glob("*.db"))


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path):
    env = cli_environment(tmp_path, ARCHIVE_DB="postgresql://bot:secret@127.0.0.1:1/archive")
    result = run(env, tmp_path, "stats")
    assert result.returncode == 1
    assert "cannot connect" in result.stderr and "Traceback" not in result.stderr
    assert "secret" not in result.stderr


def test_search_says_when_nothing_matches_well(env, tmp_path):
    human = run(env, tmp_path, "search", "weather forecast for london tomorrow", "--limit", "1")
    assert human.stdout.startswith(
        "Nothing in the archive matches this well; the closest paragraphs:\n\n1. "
    )
    both = run(env, tmp_path, "search", "zorblax recipes", "--limit", "1").stdout.splitlines()
    assert both[:3] == [
        "No post mentions *zorblax*; showing results for *recipes*.",
        "Nothing in the archive matches this well; the closest paragraphs:",
        "",
    ]
    answered = run(env, tmp_path, "search", "air purifier on batteries", "--limit", "1")
    assert answered.stdout.startswith("1. Running An Air Purifier on Batteries")


def test_search_json_says_on_every_hit_whether_the_hits_are_weak(env, tmp_path):
    weak = json.loads(run(env, tmp_path, "search", "chocolate chip cookies", "--json").stdout)
    assert weak and all(hit["weak"] is True for hit in weak)
    answered = json.loads(run(env, tmp_path, "search", "activation oracles", "--json").stdout)
    assert answered and all(hit["weak"] is False for hit in answered)
    assert list(answered[0])[-2:] == ["unmatched", "weak"]  # added last, the rest unchanged
    lines = run(env, tmp_path, "search", "-", stdin="chocolate chip cookies\nscheming\n").stdout
    first, second = (json.loads(line) for line in lines.splitlines())
    assert first and all(hit["weak"] is True for hit in first)
    assert second and all(hit["weak"] is False for hit in second)
