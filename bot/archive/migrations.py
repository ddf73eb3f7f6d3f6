"""Numbered schema migrations. Each runs in one transaction together with its version bump.

Append new migrations; never edit one that has shipped. PRAGMA user_version holds the number of
migrations applied.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: posts, paragraphs, sources, and FTS5 indexes kept in sync by triggers.
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        location TEXT NOT NULL UNIQUE,      -- a file path or a feed URL
        kind TEXT NOT NULL,                 -- dump | feed | jsonl
        title TEXT,
        last_ingested_at INTEGER            -- unix seconds
    );

    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        guid TEXT UNIQUE,
        url TEXT UNIQUE,
        title TEXT NOT NULL,
        title_key TEXT NOT NULL,            -- text.title_key(title), for matching across sources
        author TEXT,
        published INTEGER,                  -- unix seconds, UTC
        authority INTEGER NOT NULL,         -- rank of the source kind that wrote the body
        body_hash TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX posts_title_key ON posts(title_key);
    CREATE INDEX posts_published ON posts(published);

    CREATE TABLE post_sources (
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        PRIMARY KEY (post_id, source_id)
    ) WITHOUT ROWID;

    CREATE TABLE paragraphs (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,          -- 0-based, within the post
        text TEXT NOT NULL,
        UNIQUE (post_id, position)
    );

    -- New paragraphs are indexed by the store in one INSERT ... SELECT per batch: a per-row
    -- AFTER INSERT trigger made ingestion six times slower. Deletes and updates (rare, and also
    -- reached through ON DELETE CASCADE) stay on triggers so no path can leave stale index rows.
    CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
        text, content='paragraphs', content_rowid='id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER paragraphs_ad AFTER DELETE ON paragraphs BEGIN
        INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER paragraphs_au AFTER UPDATE OF text ON paragraphs BEGIN
        INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO paragraphs_fts(rowid, text) VALUES (new.id, new.text);
    END;

    -- Every indexed word with the number of paragraphs holding it: typo correction and
    -- "did you mean" draw on it.
    CREATE VIRTUAL TABLE paragraphs_vocab USING fts5vocab(paragraphs_fts, 'row');

    CREATE VIRTUAL TABLE posts_fts USING fts5(
        title, author, content='posts', content_rowid='id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN
        INSERT INTO posts_fts(rowid, title, author) VALUES (new.id, new.title, new.author);
    END;
    CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, author)
        VALUES ('delete', old.id, old.title, old.author);
    END;
    CREATE TRIGGER posts_au AFTER UPDATE OF title, author ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, author)
        VALUES ('delete', old.id, old.title, old.author);
        INSERT INTO posts_fts(rowid, title, author) VALUES (new.id, new.title, new.author);
    END;
    """,
)
