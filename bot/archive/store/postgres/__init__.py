"""The PostgreSQL backend: the archive in a database several bot processes share.

    archive.py     PostgresArchive: the pool, transactions, what differs from SQLite's Archive
    connection.py  asyncpg speaking the store's small connection interface (`?` placeholders)
    schema.py      the numbered migrations (the same tables as SQLite's, tsvector for FTS5)
    index.py       each paragraph's and title's words as a tsvector; the vocabulary kept in step
    search.py      the full-text matches, ranked by BM25 as FTS5 ranks them
    leader.py      electing the one process that polls and announces (an advisory lock)

May import: bot.archive only; never discord.
"""
