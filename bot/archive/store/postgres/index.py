"""PostgreSQL's text index: each paragraph's and title's words as a stored tsvector, and the
vocabulary table kept in step, inside the ingest's transaction (the TextIndex of
../connection.py).

The words are query.words_of's, the folding FTS5's unicode61 tokenizer does on SQLite, so both
backends hold the same terms and search expands a query the same way on either. A paragraph's
tsvector holds where each word stands (how often it occurs is what BM25 counts), and `words` its
length; a post's marks title words A and author words B, as FTS5 weighs its two columns.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from ...query import words_of
from ..connection import Connection

MAX_LEXEME_BYTES = 2046  # PostgreSQL's limit for one lexeme; longer "words" are not indexed
MAX_POSITION = 16383  # and for a position
MAX_POSITIONS = 255  # positions kept per lexeme (PostgreSQL keeps at most 256)


def lexemes(text: str) -> list[str]:
    """The distinct indexable words of a text."""
    return [w for w in dict.fromkeys(words_of(text)) if len(w.encode()) <= MAX_LEXEME_BYTES]


def quoted(lexeme: str) -> str:
    """A lexeme as tsvector / tsquery input text: taken literally, whatever it holds."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def folded(terms: Iterable[str]) -> list[str]:
    """The terms as the index holds words (FTS5 folds a query's terms the same way)."""
    return list(dict.fromkeys(word for term in terms for word in words_of(term)))


def _term(term: str) -> str:
    words = words_of(term)  # "foo-bar" is two words, both wanted (FTS5: the phrase)
    if not words:
        return quoted(term)
    both = " & ".join(map(quoted, words))
    return both if len(words) == 1 else f"({both})"


def any_of(terms: Iterable[str]) -> str:
    """tsquery text matching rows that hold any of the terms."""
    return " | ".join(_term(term) for term in dict.fromkeys(terms)) or "''"


def all_of(groups: Iterable[Iterable[str]]) -> str:
    """tsquery text matching rows that hold, for every group, one of its terms."""
    return " & ".join(f"({any_of(group)})" for group in groups)


def _vector(words: Iterable[tuple[str, str]]) -> str:
    """tsvector text of (word, weight) pairs in reading order: each word with its positions."""
    positions: dict[str, list[str]] = {}
    for place, (word, weight) in enumerate(words, start=1):
        if len(word.encode()) <= MAX_LEXEME_BYTES:
            kept = positions.setdefault(word, [])
            if len(kept) < MAX_POSITIONS:
                kept.append(f"{min(place, MAX_POSITION)}{weight}")
    return " ".join(f"{quoted(word)}:{','.join(places)}" for word, places in positions.items())


def paragraph_vector(text: str) -> tuple[str, int]:
    """A paragraph's tsvector text and how many words it holds."""
    words = words_of(text)
    return _vector((word, "") for word in words), len(words)


def title_vector(title: str, author: str | None) -> str:
    """A post's tsvector text: title words weighted A, author words B."""
    return _vector(
        [(word, "A") for word in words_of(title)] + [(word, "B") for word in words_of(author or "")]
    )


_ADD_PARAGRAPHS = """
    INSERT INTO vocabulary (term, paragraphs, titles)
    SELECT lexeme, count(*), 0 FROM paragraphs, unnest(paragraphs.tsv)
    WHERE paragraphs.id BETWEEN ? AND ? GROUP BY lexeme
    ON CONFLICT (term) DO UPDATE SET paragraphs = vocabulary.paragraphs + excluded.paragraphs
"""
_REMOVE_PARAGRAPHS = """
    UPDATE vocabulary SET paragraphs = vocabulary.paragraphs - gone.count
    FROM (SELECT lexeme, count(*) AS count FROM paragraphs, unnest(paragraphs.tsv)
          WHERE paragraphs.post_id = ? GROUP BY lexeme) AS gone
    WHERE vocabulary.term = gone.lexeme
"""
_CORPUS_DELTA = """
    UPDATE corpus SET paragraphs = corpus.paragraphs + ? * counted.paragraphs,
                      words = corpus.words + ? * counted.words
    FROM (SELECT count(*) AS paragraphs, coalesce(sum(words), 0) AS words
          FROM paragraphs WHERE {where}) AS counted
"""
RECOUNT = """
    SELECT lexeme, CAST(sum(paragraphs) AS bigint), CAST(sum(titles) AS bigint) FROM (
        SELECT lexeme, count(*) AS paragraphs, 0 AS titles
        FROM paragraphs, unnest(paragraphs.tsv) GROUP BY lexeme
        UNION ALL
        SELECT lexeme, 0, count(*) FROM posts, unnest(posts.tsv) GROUP BY lexeme
    ) AS counts GROUP BY lexeme
"""
_REBUILD = (
    "DELETE FROM vocabulary",
    "INSERT INTO vocabulary (term, paragraphs, titles) " + RECOUNT,
    """
    UPDATE corpus SET paragraphs = counted.paragraphs, words = counted.words
    FROM (SELECT count(*) AS paragraphs, coalesce(sum(words), 0) AS words
          FROM paragraphs) AS counted
    """,
)


class TsvIndex:
    """The TextIndex of a PostgreSQL archive."""

    async def write_paragraphs(
        self, db: Connection, rows: Sequence[tuple[int, int, int, str]], *, record: bool
    ) -> None:
        await db.executemany(
            "INSERT INTO paragraphs (id, post_id, position, text, tsv, words)"
            " VALUES (?, ?, ?, ?, CAST(? AS tsvector), ?)",
            [(*row, *paragraph_vector(row[3])) for row in rows],
        )
        first, last = rows[0][0], rows[-1][0]
        await db.execute(_CORPUS_DELTA.format(where="id BETWEEN ? AND ?"), (1, 1, first, last))
        if record:
            await db.execute(_ADD_PARAGRAPHS, (first, last))

    async def removing_paragraphs(self, db: Connection, post_id: int) -> None:
        await db.execute(_REMOVE_PARAGRAPHS, (post_id,))
        await db.execute(_CORPUS_DELTA.format(where="post_id = ?"), (-1, -1, post_id))

    async def titles_changed(
        self,
        db: Connection,
        posts: Sequence[tuple[int, str, str | None]],
        removed: Sequence[tuple[str, str | None]] = (),
        *,
        record: bool,
    ) -> None:
        await db.executemany(
            "UPDATE posts SET tsv = CAST(? AS tsvector) WHERE id = ?",
            [(title_vector(title, author), post_id) for post_id, title, author in posts],
        )
        if not record:
            return
        delta: Counter[str] = Counter()
        for title, author in (pair[1:] for pair in posts):
            delta.update(lexemes(f"{title} {author or ''}"))
        for title, author in removed:
            delta.subtract(lexemes(f"{title} {author or ''}"))
        await db.executemany(
            """
            INSERT INTO vocabulary (term, paragraphs, titles) VALUES (?, 0, ?)
            ON CONFLICT (term) DO UPDATE SET titles = vocabulary.titles + excluded.titles
            """,
            [(term, count) for term, count in delta.items() if count],
        )

    async def settled(self) -> None:
        return None  # every write above is awaited where it is made

    async def finish(self, db: Connection, *, rebuild: bool) -> None:
        if rebuild:
            for statement in _REBUILD:
                await db.execute(statement)
        else:
            await db.execute("DELETE FROM vocabulary WHERE paragraphs <= 0 AND titles <= 0")
