"""The archive's storage: one interface (`Archive`), kept by concern, on SQLite or PostgreSQL.

    records.py     what every backend returns: IngestReport, ArchiveStats, ParagraphRow, Filters
    sqlite.py      Archive: opening, transactions, ingest, resumable sources' cursors and syncs
    schema.py      connection settings and migrations (migrations.py: the numbered scripts)
    connection.py  the small connection interface the shared SQL is written against
    ingest.py      how a document's posts enter the archive and merge with stored copies
    matching.py    which stored post a new copy is (guid, URL, title and date)
    posts.py       reading posts (by id, URL, newest, random, all), stats
    queries.py     the search primitives: vocabulary look-ups and FTS5 matches
    fts.py         the FTS5 index kept in step with an ingest
    vocabulary.py  the table of every indexed word's document counts, kept current per ingest
    leader.py      which process runs the background duties (always this one, on SQLite)
    files.py       the file itself: its folder, a first import built aside, the run lock
    postgres/      the same interface on a PostgreSQL database (ARCHIVE_DB=postgresql://...)

`Archive.open(location)` opens either, by the location's form (files.Location). The ranking, the
feeds and the bot only ever see `Archive`. May import: bot.archive.
"""

from .files import ArchiveInUse, Location, is_database_url, location_of, run_lock
from .ingest import AUTHORITY, INGEST_BATCH
from .records import (
    ArchiveError,
    ArchiveStats,
    Filters,
    IngestReport,
    ParagraphRow,
    SourceStats,
    SyncStatus,
)
from .sqlite import Archive

__all__ = [
    "AUTHORITY",
    "INGEST_BATCH",
    "Archive",
    "ArchiveError",
    "ArchiveInUse",
    "ArchiveStats",
    "Filters",
    "IngestReport",
    "Location",
    "ParagraphRow",
    "SourceStats",
    "SyncStatus",
    "is_database_url",
    "location_of",
    "run_lock",
]
