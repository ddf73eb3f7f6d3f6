"""The `vocabulary` table kept in step with the full-text indexes, inside each ingest transaction.

Search reads a term's document counts from `vocabulary` (term, paragraphs, titles) because
fts5vocab recounts postings on every read. Rebuilding the table from fts5vocab costs time in
proportion to the whole index (1.4 s at 1M paragraphs), which is fine once after a bulk load and
far too much for each page of a backfill or each feed poll. So an ingest that adds a little to a
large archive records what it adds and removes in a temporary, contentless FTS5 table with the same
tokenizer (the text is tokenised a second time, so the counts are exactly FTS5's), and applies the
per-term differences at the end; one that at least doubles the archive rebuilds instead.

Only the store's ingestion calls these, with the writer connection inside its transaction.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

# The same tokenizer as paragraphs_fts and posts_fts (migration 1): the counts must be FTS5's own.
_TOKENIZER = "unicode61 remove_diacritics 2"

# One column per kind of change; fts5vocab's 'col' view counts, per term and column, the rows
# holding the term, which is what the vocabulary table counts.
SETUP = (
    "PRAGMA temp_store = MEMORY",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocabulary_delta USING fts5("
    f"added, removed, titles_added, titles_removed, content='', tokenize='{_TOKENIZER}')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocabulary_delta_counts "
    "USING fts5vocab(temp, vocabulary_delta, col)",
)

_APPLY = """
    INSERT INTO vocabulary (term, paragraphs, titles)
    SELECT term,
           sum(CASE col WHEN 'added' THEN doc WHEN 'removed' THEN -doc ELSE 0 END),
           sum(CASE col WHEN 'titles_added' THEN doc WHEN 'titles_removed' THEN -doc ELSE 0 END)
    FROM temp.vocabulary_delta_counts WHERE true GROUP BY term
    ON CONFLICT (term) DO UPDATE SET
        paragraphs = paragraphs + excluded.paragraphs,
        titles = titles + excluded.titles
"""
_DROP_EMPTY = """
    DELETE FROM vocabulary
    WHERE paragraphs <= 0 AND titles <= 0
      AND term IN (SELECT term FROM temp.vocabulary_delta_counts)
"""
_CLEAR = "INSERT INTO temp.vocabulary_delta(vocabulary_delta) VALUES ('delete-all')"
RECOUNT = """
    SELECT term, sum(paragraphs), sum(titles) FROM (
        SELECT term, doc AS paragraphs, 0 AS titles FROM paragraphs_vocab
        UNION ALL
        SELECT term, 0, doc FROM posts_vocab
    ) GROUP BY term
"""
_REBUILD = "INSERT INTO vocabulary (term, paragraphs, titles) " + RECOUNT


async def prepare(db: aiosqlite.Connection) -> None:
    """Create this connection's temporary delta table (once per connection)."""
    for statement in SETUP:
        await db.execute(statement)


def added_paragraphs(first_id: int, last_id: int) -> tuple[str, tuple[int, int]]:
    """The statement recording paragraphs first_id..last_id, just written, as added."""
    return (
        "INSERT INTO temp.vocabulary_delta(added) "
        "SELECT text FROM paragraphs WHERE id BETWEEN ? AND ?",
        (first_id, last_id),
    )


async def removing_paragraphs(db: aiosqlite.Connection, post_id: int) -> None:
    """Record a post's paragraphs as removed; call it before they are deleted."""
    await db.execute(
        "INSERT INTO temp.vocabulary_delta(removed) SELECT text FROM paragraphs WHERE post_id = ?",
        (post_id,),
    )


async def titles_changed(
    db: aiosqlite.Connection,
    added: Iterable[tuple[str, str | None]] = (),
    removed: Iterable[tuple[str, str | None]] = (),
) -> None:
    """Record (title, author) pairs a post gained or lost (posts_fts indexes both)."""
    for column, pairs in (("titles_added", added), ("titles_removed", removed)):
        rows = [(f"{title} {author or ''}",) for title, author in pairs]
        if rows:
            await db.executemany(f"INSERT INTO temp.vocabulary_delta({column}) VALUES (?)", rows)


async def apply(db: aiosqlite.Connection, *, rebuild: bool) -> None:
    """Bring `vocabulary` up to date: add the recorded differences, or rebuild it whole."""
    if rebuild:
        await db.execute("DELETE FROM vocabulary")
        await db.execute(_REBUILD)
    else:
        await db.execute(_APPLY)
        await db.execute(_DROP_EMPTY)
    await db.execute(_CLEAR)
