"""Numbered schema migrations. Each runs in one transaction together with its version bump.

Append new migrations; never edit one that has shipped. PRAGMA user_version holds the number of
migrations applied.

May import: bot.archive only; never discord.
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
    # 2: a plain copy of the index's vocabulary with document counts. fts5vocab counts postings on
    # every read (50 ms for a common word at 1M paragraphs); this table answers point and prefix
    # lookups in microseconds. Ingestion rebuilds it in the same transaction that changes text.
    """
    CREATE TABLE vocabulary (
        term TEXT PRIMARY KEY,
        paragraphs INTEGER NOT NULL,        -- paragraphs holding the term
        titles INTEGER NOT NULL             -- posts whose title or author holds it
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE posts_vocab USING fts5vocab(posts_fts, 'row');
    INSERT INTO vocabulary (term, paragraphs, titles)
        SELECT term, sum(paragraphs), sum(titles) FROM (
            SELECT term, doc AS paragraphs, 0 AS titles FROM paragraphs_vocab
            UNION ALL
            SELECT term, 0, doc FROM posts_vocab
        ) GROUP BY term;
    """,
    # 3: followed feeds, per-channel subscriptions and the announcement outbox (bot/feeds/).
    """
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT,                         -- the feed's own title, once fetched
        etag TEXT,                          -- validators for the next conditional GET
        last_modified TEXT,
        last_poll INTEGER,                  -- unix seconds of the last attempt
        last_status INTEGER,                -- HTTP status of the last attempt (NULL: no answer)
        last_success INTEGER,
        polls INTEGER NOT NULL DEFAULT 0,
        not_modified INTEGER NOT NULL DEFAULT 0,    -- polls answered 304
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_poll INTEGER NOT NULL DEFAULT 0,
        retry_after_until INTEGER,          -- the server's Retry-After, as a moment
        paused_at INTEGER,                  -- NULL: not paused
        last_error TEXT,
        items_at INTEGER,                   -- when feed_items was last replaced (NULL: never)
        created_at INTEGER NOT NULL
    );

    -- The items a feed showed at its last successful fetch, newest first. A 304 keeps them;
    -- new and repaired subscriptions take their baseline from here.
    CREATE TABLE feed_items (
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,          -- 0 = first in the document
        PRIMARY KEY (feed_id, post_id)
    ) WITHOUT ROWID;

    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        channel_id INTEGER NOT NULL,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        role_id INTEGER,                    -- the only role an announcement may mention
        keywords TEXT NOT NULL DEFAULT '',  -- newline-separated; empty: every post
        baseline_pending INTEGER NOT NULL DEFAULT 1,  -- 1 until the feed's backlog is marked seen
        broken_at INTEGER,                  -- NULL: healthy
        broken_reason TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (guild_id, channel_id, feed_id)
    );
    CREATE INDEX subscriptions_feed ON subscriptions(feed_id);

    -- One row per (subscription, post): the post is announced in that channel at most once,
    -- whatever its date does. Notices (feed paused) have no post and a key of their own.
    -- state: baseline | filtered | duplicate (never sent), pending, claimed (a send may have
    -- happened: look for the nonce before sending again), sent, failed (rejected by Discord).
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE,
        notice_key TEXT,
        notice TEXT,
        state TEXT NOT NULL,
        nonce TEXT,                         -- shared by the rows of one message (a digest)
        attempts INTEGER NOT NULL DEFAULT 0,
        message_id INTEGER,
        error TEXT,
        not_before INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        CHECK ((post_id IS NULL) = (notice_key IS NOT NULL)),
        UNIQUE (subscription_id, post_id),
        UNIQUE (subscription_id, notice_key)
    );
    CREATE INDEX outbox_nonce ON outbox(nonce);
    CREATE INDEX outbox_post ON outbox(post_id);
    CREATE INDEX outbox_waiting ON outbox(subscription_id, state)
        WHERE state IN ('pending', 'claimed');
    """,
    # 4: what a forum (ForumMagnum's GraphQL API) knows of a post, and where a resumable source
    # (a forum backfill, a feed's archive pages) continues, with how its last sync went.
    """
    ALTER TABLE posts ADD COLUMN coauthors TEXT;        -- newline-separated display names
    ALTER TABLE posts ADD COLUMN karma INTEGER;         -- the forum's baseScore when last fetched
    ALTER TABLE posts ADD COLUMN comments INTEGER;      -- commentCount when last fetched
    ALTER TABLE posts ADD COLUMN af INTEGER;            -- 1: also an Alignment Forum post
    ALTER TABLE posts ADD COLUMN link_url TEXT;         -- a linkpost's external link
    CREATE INDEX posts_karma ON posts(karma) WHERE karma IS NOT NULL;

    CREATE TABLE post_tags (
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (post_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX post_tags_tag ON post_tags(tag);

    ALTER TABLE sources ADD COLUMN cursor TEXT;         -- JSON, written with each page it covers
    ALTER TABLE sources ADD COLUMN sync_started INTEGER;    -- unix seconds
    ALTER TABLE sources ADD COLUMN sync_finished INTEGER;
    ALTER TABLE sources ADD COLUMN sync_outcome TEXT;   -- ok | stopped | failed | blocked
    ALTER TABLE sources ADD COLUMN sync_message TEXT;   -- what it did, or why it stopped
    """,
)
