import dataclasses
import os
import sqlite3
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.archive.feed import parse_feed
from bot.archive.models import Post, SourceDocument
from bot.archive.sources import read_source
from bot.archive.store import Archive, ArchiveError
from bot.archive.store.postgres.archive import PostgresArchive

WHEN = datetime(2026, 6, 4, 12, 0, tzinfo=UTC)


def doc(*posts: Post, kind: str = "jsonl", location: str = "test.jsonl") -> SourceDocument:
    return SourceDocument(location, kind, list(posts))


def a_post(title="Title", paragraphs=("one", "two"), **fields) -> Post:
    fields.setdefault("published", WHEN)
    return Post(title, tuple(paragraphs), **fields)


async def assert_index_in_sync(archive: Archive) -> None:
    """The backend's own check that the index and vocabulary match the paragraphs and posts."""
    assert await archive.index_problems() == []


# What the database raises when inject_failure's trigger fires.
INJECTED = (sqlite3.IntegrityError, asyncpg.RaiseError)


async def inject_failure(archive: Archive) -> None:
    """A trigger that makes the database itself fail on a paragraph whose text is 'boom'."""
    async with archive.transaction() as db:
        if isinstance(archive, PostgresArchive):
            await db.execute(
                """
                CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'injected failure'; END $$
                """
            )
            await db.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON paragraphs FOR EACH ROW"
                " WHEN (new.text = 'boom') EXECUTE FUNCTION boom()"
            )
        else:
            await db.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON paragraphs WHEN new.text = 'boom' "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )


async def counts(archive: Archive) -> tuple[int, int]:
    stats = await archive.stats()
    return stats.posts, stats.paragraphs


async def test_ingesting_the_shipped_archive_twice_changes_nothing(archive, shipped_dump):
    first = await archive.ingest(await read_source(str(shipped_dump)))
    assert (first.new, first.paragraphs) == (19, 1645)
    exported = [post async for post in archive.iter_posts()]
    second = await archive.ingest(await read_source(str(shipped_dump)))
    assert (second.new, second.updated, second.unchanged, second.paragraphs) == (0, 0, 19, 0)
    assert await counts(archive) == (19, 1645)
    assert [post async for post in archive.iter_posts()] == exported
    await assert_index_in_sync(archive)


async def test_known_urls_enrich_the_dump(archive, shipped_dump):
    await archive.ingest(await read_source(str(shipped_dump)))
    posts = {post.title: post async for post in archive.iter_posts()}
    oracles = posts["Building Better Activation Oracles"]
    assert (
        oracles.url
        == "https://www.lesswrong.com/posts/heXwuDRfbQQgB5JLP/building-better-activation-oracles"
    )
    assert oracles.guid == "heXwuDRfbQQgB5JLP"
    assert sum(post.url is not None for post in posts.values()) == 6


async def test_a_changed_post_has_its_paragraphs_replaced(archive):
    await archive.ingest(doc(a_post(guid="g1", paragraphs=("old one", "old two", "old three"))))
    report = await archive.ingest(doc(a_post(guid="g1", paragraphs=("new one",))))
    assert (report.updated, report.paragraphs) == (1, 1)
    [post] = [p async for p in archive.iter_posts()]
    assert post.paragraphs == ("new one",)
    assert await archive.match_paragraphs(["old"], 10) == []
    assert [row.text for row in await archive.match_paragraphs(["new"], 10)] == ["new one"]


async def test_a_failure_mid_ingest_leaves_the_previous_state_whole(archive):
    await archive.ingest(doc(a_post("Kept", guid="k", paragraphs=("kept text",))))
    # A real SQLite failure, raised by the database itself on the third post.
    await inject_failure(archive)
    batch = doc(
        a_post("Kept", guid="k", paragraphs=("changed text",)),
        a_post("Second", guid="s"),
        a_post("Third", guid="t", paragraphs=("boom",)),
    )
    with pytest.raises(INJECTED, match="injected failure"):
        await archive.ingest(batch)
    assert await counts(archive) == (1, 1)
    [post] = [p async for p in archive.iter_posts()]
    assert post.paragraphs == ("kept text",)
    assert [row.text for row in await archive.match_paragraphs(["kept"], 10)] == ["kept text"]
    assert await archive.match_paragraphs(["second", "changed"], 10) == []


async def test_dump_then_feed_merges_instead_of_duplicating(archive, shipped_dump, fixture_path):
    await archive.ingest(await read_source(str(shipped_dump)))
    report = await archive.ingest(
        parse_feed(
            fixture_path("lesswrong-feed.xml").read_bytes(), "https://www.lesswrong.com/feed.xml"
        )
    )
    # Oracles and Logits match on guid (from known URLs); Sixteen Schemes on title and date.
    assert (report.new, report.updated) == (1, 3)
    stats = await archive.stats()
    assert stats.posts == 20
    posts = {post.title: post async for post in archive.iter_posts()}
    schemes = posts["Sixteen Schemes for AI Safety"]
    assert schemes.url.endswith("/S1xteenSchemesAI7/sixteen-schemes-for-ai-safety")
    assert schemes.author == "Scheme Lister"
    assert "Sixteen schemes for AI safety" not in posts
    assert {s.kind: s.posts for s in stats.sources} == {"dump": 19, "feed": 4}


async def test_dump_after_feed_does_not_revert_the_feed_text(archive, shipped_dump, fixture_path):
    feed = parse_feed(fixture_path("lesswrong-feed.xml").read_bytes(), "feed")
    await archive.ingest(feed)
    await archive.ingest(await read_source(str(shipped_dump)))
    again = await archive.ingest(await read_source(str(shipped_dump)))
    assert (again.new, again.updated, again.paragraphs) == (0, 0, 0)
    assert (await archive.ingest(feed)).unchanged == 4
    posts = {post.title: post async for post in archive.iter_posts()}
    assert posts["Building Better Activation Oracles"].paragraphs[0] == (
        "Work done for our MATS 10.0 Sprint project."
    )
    assert await counts(archive) == (20, (await archive.stats()).paragraphs)
    await assert_index_in_sync(archive)


async def test_same_title_far_apart_in_time_is_two_posts(archive):
    await archive.ingest(doc(a_post("Open Thread")))
    await archive.ingest(doc(a_post("Open Thread", published=WHEN + timedelta(days=7))))
    assert (await counts(archive))[0] == 2


async def test_same_title_within_a_day_with_normalised_spelling_is_one_post(archive):
    await archive.ingest(doc(a_post("Don’t\u00a0Panic"), kind="dump", location="d"))
    report = await archive.ingest(
        doc(a_post("don't panic", published=WHEN + timedelta(hours=20), url="https://e.org/p"))
    )
    assert report.updated == 1
    assert (await counts(archive))[0] == 1


async def test_same_title_with_different_guids_is_two_posts(archive):
    await archive.ingest(doc(a_post("Weekly Links", guid="aaa")))
    await archive.ingest(doc(a_post("Weekly Links", guid="bbb")))
    assert (await counts(archive))[0] == 2


async def test_a_redated_post_keeps_its_first_date(archive):
    await archive.ingest(doc(a_post(guid="g")))
    report = await archive.ingest(doc(a_post(guid="g", published=WHEN + timedelta(days=2))))
    assert report.unchanged == 1
    assert (await archive.stats()).first_published == WHEN


async def test_url_already_owned_by_another_post_is_not_stolen(archive):
    await archive.ingest(doc(a_post("A", guid="a", url="https://e.org/a")))
    await archive.ingest(doc(a_post("B", guid="b", url="https://e.org/b")))
    report = await archive.ingest(doc(a_post("B", guid="b", url="https://e.org/a")))
    assert any("already belongs to another post" in w for w in report.warnings)
    posts = {p.title: p async for p in archive.iter_posts()}
    assert posts["B"].url == "https://e.org/b"


async def test_schema_is_migrated_once_and_newer_schemas_are_refused(tmp_path):
    path = tmp_path / "a.db"
    async with await Archive.open(path):
        pass
    async with await Archive.open(path) as archive:
        assert await archive.is_empty()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 999")
    with pytest.raises(ArchiveError, match="newer than this archive-bot knows"):
        await Archive.open(path)


async def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "not.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError, match="not an archive database"):
        await Archive.open(path)


async def test_readers_never_see_half_an_ingest(archive):
    """The reader connection sees the committed state while a write transaction is open."""
    await archive.ingest(doc(a_post("Before", guid="b")))
    with pytest.raises(ZeroDivisionError):
        async with archive.transaction() as db:
            await db.execute(
                "INSERT INTO posts (id, title, title_key, authority, body_hash, first_seen,"
                " updated_at) VALUES (1000, 'Half', 'half', 0, '', 0, 0)"
            )
            assert (await archive.stats()).posts == 1
            1 / 0  # noqa: B018 (an error: the transaction rolls back)
    assert (await archive.stats()).posts == 1


async def test_two_copies_of_a_post_in_one_document_become_one_post_with_the_last_body(archive):
    report = await archive.ingest(
        doc(a_post(guid="g", paragraphs=("first copy",)), a_post(guid="g", paragraphs=("second",)))
    )
    assert (report.new, report.updated) == (1, 1)
    [post] = [p async for p in archive.iter_posts()]
    assert post.paragraphs == ("second",)
    assert [row.text for row in await archive.match_paragraphs(["first", "second"], 10)] == [
        "second"
    ]


async def test_ingest_larger_than_one_batch_with_updates_in_between(archive):
    from bot.archive.store import INGEST_BATCH

    many = [
        a_post(f"Post {n}", guid=f"g{n}", paragraphs=(f"text {n}",))
        for n in range(INGEST_BATCH * 2 + 7)
    ]
    await archive.ingest(doc(*many))
    changed = [
        a_post(f"Post {n}", guid=f"g{n}", paragraphs=(f"changed {n}", "more"))
        for n in range(0, len(many), 3)
    ]
    report = await archive.ingest(doc(*changed))
    assert report.updated == len(changed)
    stats = await archive.stats()
    assert stats.posts == len(many)
    assert stats.paragraphs == len(many) + len(changed)
    hits = await archive.match_paragraphs(["changed"], 10_000)
    assert len(hits) == len(changed)
    assert len(await archive.match_paragraphs(["text"], 10_000)) == len(many) - len(changed)
    await assert_index_in_sync(archive)


async def test_a_source_read_while_ingesting_is_all_or_nothing(archive, tmp_path):
    from bot.archive.jsonl import JsonlError, stream_jsonl
    from bot.archive.store import INGEST_BATCH

    path = tmp_path / "big.jsonl"
    good = [f'{{"title": "Post {n}", "paragraphs": ["text {n}"]}}' for n in range(INGEST_BATCH + 5)]
    path.write_text("\n".join(good) + "\n", encoding="utf-8")
    report = await archive.ingest(stream_jsonl(path))
    assert report.new == len(good)

    broken = tmp_path / "broken.jsonl"
    more = [f'{{"title": "More {n}", "paragraphs": ["more"]}}' for n in range(INGEST_BATCH + 5)]
    broken.write_bytes(("\n".join(more) + "\n").encode() + b'{"title": "caf\xe9"}\n')
    with pytest.raises(JsonlError, match="not UTF-8"):
        await archive.ingest(stream_jsonl(broken))  # fails after a whole batch was written
    assert (await counts(archive))[0] == len(good)
    await assert_index_in_sync(archive)


async def test_a_built_archive_appears_whole_and_opens_as_an_ordinary_one(tmp_path):
    path = tmp_path / "new.db"
    staging = tmp_path / "new.db.building"
    staging.write_bytes(b"left by an import that was killed")
    async with Archive.building(path) as archive:
        await archive.ingest(doc(a_post("First", guid="1"), a_post("Second", guid="2")))
        await archive._writer.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON paragraphs WHEN new.text = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )
        with pytest.raises(sqlite3.IntegrityError, match="injected failure"):
            await archive.ingest(doc(a_post("Third", guid="3", paragraphs=("boom",))))
        assert not path.exists()  # nobody sees it half built
        await assert_index_in_sync(archive)  # the failed ingest rolled back without a log file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]
    async with await Archive.open(path) as archive:
        assert await counts(archive) == (2, 4)
        async with archive.reader.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"
        await assert_index_in_sync(archive)


async def test_a_build_that_fails_leaves_nothing_and_never_replaces_a_file(tmp_path):
    path = tmp_path / "new.db"
    with pytest.raises(RuntimeError, match="stop"):
        async with Archive.building(path) as archive:
            await archive.ingest(doc(a_post("First", guid="1")))
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []

    with pytest.raises(ArchiveError, match=r"import is kept as .*new\.db\.building"):
        async with Archive.building(path) as archive:
            await archive.ingest(doc(a_post("First", guid="1")))
            path.write_bytes(b"made meanwhile")  # a bot started on the same file
    assert path.read_bytes() == b"made meanwhile"
    async with await Archive.open(tmp_path / "new.db.building") as kept:
        assert await counts(kept) == (1, 2)
    with pytest.raises(ArchiveError, match="already exists"):
        async with Archive.building(path):
            pass


async def vocabulary_rows(archive: Archive) -> dict[str, tuple[int, int]]:
    async with archive.reader.execute("SELECT term, paragraphs, titles FROM vocabulary") as cur:
        return {term: (paragraphs, titles) for term, paragraphs, titles in await cur.fetchall()}


async def test_small_ingests_keep_the_vocabulary_equal_to_a_recount(archive):
    """A small ingest into a larger archive patches the vocabulary instead of recounting it;
    after additions, replaced bodies, new titles and authors, and a rolled-back ingest, the
    patched table must equal what FTS5 counts."""
    bulk = [
        a_post(
            f"Café post {n}", guid=f"g{n}", paragraphs=(f"alpha beta {n}", "gamma"), author="Ann"
        )
        for n in range(40)
    ]
    await archive.ingest(doc(*bulk))  # into an empty archive: rebuilt
    assert await archive.index_problems() == []

    await archive.ingest(
        doc(
            a_post("Café post 1", guid="g1", paragraphs=("delta only",), author="Bo Zed"),
            a_post("Renamed entirely", guid="g2", paragraphs=("alpha beta 2", "gamma")),
            a_post("Brand new naïve post", guid="new", paragraphs=("epsilon", "alpha")),
            kind="feed",
        )
    )
    patched = await vocabulary_rows(archive)
    assert await archive.index_problems() == []
    assert patched["naive"] == (0, 1) and patched["delta"] == (1, 0) and patched["zed"] == (0, 1)
    assert patched["gamma"] == (39, 0)  # one post no longer has it

    await inject_failure(archive)
    with pytest.raises(INJECTED):
        await archive.ingest(
            doc(a_post("Doomed", guid="d", paragraphs=("zeta", "boom")), kind="feed")
        )
    async with archive.transaction() as db:
        await db.execute(
            "DROP TRIGGER boom ON paragraphs"
            if isinstance(archive, PostgresArchive)
            else "DROP TRIGGER boom"
        )
    await archive.ingest(doc(a_post("After", guid="a", paragraphs=("eta",)), kind="feed"))
    patched = await vocabulary_rows(archive)
    assert await archive.index_problems() == []
    assert "zeta" not in patched and "doomed" not in patched


async def test_a_forum_copy_enriches_the_post_and_outranks_the_feed(archive):
    await archive.ingest(
        doc(a_post("Oracles", guid="abcdefghijklmnopq", paragraphs=("feed text",)), kind="feed")
    )
    forum = a_post(
        "Oracles",
        guid="abcdefghijklmnopq",
        url="https://www.lesswrong.com/posts/abcdefghijklmnopq/oracles",
        paragraphs=("forum text",),
        author="Ann",
        coauthors=("Bo", "Cy"),
        tags=("AI", "Interpretability"),
        karma=42,
        comments=7,
        af=True,
        link_url="https://example.org/paper",
    )
    report = await archive.ingest(doc(forum, kind="forum", location="forum:https://lw"))
    assert (report.new, report.updated) == (0, 1)
    [stored] = (await archive.get_posts(report.post_ids)).values()
    assert (stored.karma, stored.comments, stored.af, stored.coauthors) == (
        42,
        7,
        True,
        ("Bo", "Cy"),
    )
    assert stored.authors == "Ann, Bo and Cy"
    assert stored.link_url == "https://example.org/paper"

    # The feed's copy comes again: it may not revert the forum's text or metadata.
    again = a_post("Oracles", guid="abcdefghijklmnopq", paragraphs=("feed text",), author="X")
    await archive.ingest(doc(again, kind="feed"))
    [post] = [p async for p in archive.iter_posts()]
    assert post.paragraphs == ("forum text",)
    assert (post.author, post.karma, post.tags) == ("Ann", 42, ("AI", "Interpretability"))

    # A later forum fetch updates karma and tags in place.
    newer = dataclasses.replace(forum, karma=50, tags=("AI",))
    report = await archive.ingest(doc(newer, kind="forum", location="forum:https://lw"))
    assert report.updated == 1
    [post] = [p async for p in archive.iter_posts()]
    assert (post.karma, post.tags) == (50, ("AI",))
    assert (await archive.ingest(doc(newer, kind="forum", location="forum:https://lw"))).unchanged


async def test_the_alignment_forum_copy_does_not_move_a_lesswrong_post(archive):
    lw = a_post(
        "Risks",
        guid="FkgsxrGf3QxhfLWHG",
        url="https://www.lesswrong.com/posts/FkgsxrGf3QxhfLWHG/risks",
    )
    af = dataclasses.replace(lw, url="https://www.alignmentforum.org/posts/FkgsxrGf3QxhfLWHG/risks")
    await archive.ingest(doc(lw, kind="forum", location="forum:lw"))
    await archive.ingest(doc(af, kind="forum", location="forum:af"))
    renamed = dataclasses.replace(lw, url="https://www.lesswrong.com/posts/FkgsxrGf3QxhfLWHG/new")
    await archive.ingest(doc(renamed, kind="forum", location="forum:lw"))
    [post] = [p async for p in archive.iter_posts()]
    assert post.url == "https://www.lesswrong.com/posts/FkgsxrGf3QxhfLWHG/new"


async def test_forum_fields_survive_export_and_import(archive, tmp_path):
    from bot.archive.jsonl import parse_jsonl, write_jsonl

    forum = a_post("P", guid="g", author="Ann", coauthors=("Bo",), tags=("AI",), karma=3, af=False)
    await archive.ingest(doc(forum, a_post("Plain", guid="h"), kind="forum", location="forum:x"))
    path = tmp_path / "backup.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_jsonl([p async for p in archive.iter_posts()], out)
    first, second = path.read_text(encoding="utf-8").splitlines()
    assert '"coauthors": ["Bo"], "tags": ["AI"], "karma": 3, "af": false' in first
    assert "karma" not in second and "tags" not in second
    restored = parse_jsonl(path).posts
    assert restored[0] == dataclasses.replace(forum, published=restored[0].published)


def feed_with(title: bytes, body: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>F</title>'
        b"<item><title>" + title + b"</title><description>" + body + b"</description>"
        b"<guid>lossyPost0000001</guid><pubDate>Thu, 04 Jun 2026 12:00:00 GMT</pubDate></item>"
        b"</channel></rss>"
    )


CLEAN_FEED = feed_with("naïve — dash".encode(), "Déjà vu".encode())
# The same item with two bytes lost: one in the title, one in the text.
LOSSY_FEED = feed_with("naXve — dash".encode(), "Déjà X vu".encode()).replace(b"X", b"\xff")


async def test_a_copy_that_lost_characters_never_replaces_a_clean_one(archive):
    await archive.ingest(parse_feed(CLEAN_FEED, "feed"))
    report = await archive.ingest(parse_feed(LOSSY_FEED, "feed"))
    assert report.unchanged == 1
    assert (
        "'na\ufffdve — dash': this copy's title lost characters (U+FFFD); kept the stored one"
        in (report.warnings)
    )
    assert any("this copy's text lost characters" in w for w in report.warnings)
    [post] = [p async for p in archive.iter_posts()]
    assert (post.title, post.paragraphs) == ("naïve — dash", ("Déjà vu",))


async def test_a_clean_copy_repairs_one_that_lost_characters(archive):
    await archive.ingest(parse_feed(LOSSY_FEED, "feed"))
    report = await archive.ingest(parse_feed(CLEAN_FEED, "feed"))
    assert report.updated == 1
    [post] = [p async for p in archive.iter_posts()]
    assert (post.title, post.paragraphs) == ("naïve — dash", ("Déjà vu",))
    assert [row.text for row in await archive.match_paragraphs(["déjà"], 5)] == ["Déjà vu"]


async def test_control_characters_never_reach_the_archive_whatever_the_source(archive):
    # A source that does not clean its text (what the parsers do is not relied on).
    raw = Post(
        "Title \x1b[31mred\x07",
        ("keeps\ttabs\nand lines\x00", "\x08\x7f", "C1\x9b too"),
        WHEN,
        url="https://e.org/p\x00",
        guid="g\x1b",
        author="Ann\x07",
    )
    report = await archive.ingest(doc(raw))
    assert "'Title [31mred': removed control characters" in report.warnings
    [post] = [p async for p in archive.iter_posts()]
    assert post == Post(
        "Title [31mred",
        ("keeps\ttabs\nand lines", "C1 too"),
        WHEN,
        url="https://e.org/p",
        guid="g",
        author="Ann",
    )


@pytest.mark.parametrize(
    "wrong", [datetime(9999, 12, 31, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)]
)
async def test_an_implausible_date_is_unknown_until_a_copy_gives_a_likely_one(archive, wrong):
    report = await archive.ingest(doc(a_post(guid="g", published=wrong)))
    assert any("cannot be right" in w and "taken as unknown" in w for w in report.warnings)
    assert (await archive.stats()).first_published is None
    await archive.ingest(doc(a_post(guid="g", published=WHEN)))
    assert (await archive.stats()).first_published == WHEN
    # From then on the first plausible date wins, as for any re-dated post.
    await archive.ingest(doc(a_post(guid="g", published=WHEN + timedelta(days=2))))
    await archive.ingest(doc(a_post(guid="g", published=wrong)))
    assert (await archive.stats()).first_published == WHEN


async def test_a_date_more_than_a_day_ahead_is_refused_and_a_later_one_within_a_day_kept(archive):
    now = datetime.now(UTC)
    await archive.ingest(doc(a_post(guid="far", published=now + timedelta(days=3))))
    await archive.ingest(doc(a_post("Soon", guid="soon", published=now + timedelta(hours=20))))
    posts = {p.guid: p async for p in archive.iter_posts()}
    assert posts["far"].published is None
    assert posts["soon"].published == (now + timedelta(hours=20)).replace(microsecond=0)


async def test_an_implausible_date_stored_by_an_older_version_gives_way(archive):
    await archive.ingest(doc(a_post(guid="g")))
    async with archive.transaction() as db:
        await db.execute("UPDATE posts SET published = 253402214400")  # 9999-12-31
    report = await archive.ingest(doc(a_post(guid="g", published=WHEN + timedelta(hours=1))))
    assert report.updated == 1
    assert (await archive.stats()).first_published == WHEN + timedelta(hours=1)


def test_the_run_lock_admits_one_holder_and_frees_on_exit(tmp_path):
    from bot.archive.store import ArchiveInUse, run_lock

    db = tmp_path / "archive.db"
    with run_lock(db), pytest.raises(ArchiveInUse, match=rf"pid {os.getpid()}"), run_lock(db):
        pass
    with run_lock(db):  # released: the next run may start
        pass
