import io
import json
from datetime import UTC, datetime

import pytest

from bot.archive.jsonl import JsonlError, parse_jsonl, parse_jsonl_lines, write_jsonl
from bot.archive.models import Post


def test_round_trip_keeps_every_field(tmp_path):
    post = Post(
        "Title “quoted”",
        ("one", "two ünïcode"),
        datetime(2026, 6, 4, 19, 23, tzinfo=UTC),
        url="https://www.lesswrong.com/posts/abcdefghijklmnopq/x",
        guid="abcdefghijklmnopq",
        author="Someone",
    )
    out = io.StringIO()
    assert write_jsonl([post], out) == 1
    line = json.loads(out.getvalue())
    assert line["published"] == "2026-06-04T19:23:00Z"
    path = tmp_path / "backup.jsonl"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert parse_jsonl(path).posts == [post]


def test_html_body_is_split_into_paragraphs():
    record = {
        "title": "T",
        "html": "<p>a</p><script>x</script><p>b</p>",
        "published": "2026-06-04T10:00:00+03:00",
    }
    [post] = parse_jsonl_lines([json.dumps(record)], "x").posts
    assert post.paragraphs == ("a", "b")
    assert post.published == datetime(2026, 6, 4, 7, 0, tzinfo=UTC)


def test_bad_lines_are_skipped_with_warnings_naming_the_line():
    lines = [
        json.dumps({"title": "good", "paragraphs": ["x"]}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"title": "no body"}),
        json.dumps({"title": "bad date", "paragraphs": ["x"], "published": "yesterday"}),
        json.dumps({"title": "bad paragraphs", "paragraphs": "x"}),
        "",
    ]
    document = parse_jsonl_lines(lines, "bulk.jsonl")
    assert [p.title for p in document.posts] == ["good"]
    assert [w.split(":")[1] for w in document.warnings] == ["2", "3", "4", "5", "6"]


def test_a_file_with_no_readable_post_is_an_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("nonsense\n", encoding="utf-8")
    with pytest.raises(JsonlError, match="no readable posts"):
        parse_jsonl(path)
    path.write_bytes(b'{"title": "caf\xe9"}\n')
    with pytest.raises(JsonlError, match="not UTF-8"):
        parse_jsonl(path)
