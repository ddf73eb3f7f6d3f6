"""The archive's storage: one interface (`Archive`), kept by concern, today on SQLite.

    records.py     what every backend returns: IngestReport, ArchiveStats, ParagraphRow, Filters
    sqlite.py      Archive: opening, transactions, ingest, resumable sources' cursors and syncs
    schema.py      connection settings and migrations (migrations.py: the numbered scripts)
    ingest.py      how a document's posts enter the archive and merge with stored copies
    matching.py    which stored post a new copy is (guid, URL, title and date)
    posts.py       reading posts (by id, URL, newest, random, all), stats
    queries.py     the search primitives: vocabulary look-ups and FTS5 matches
    vocabulary.py  the table of every indexed word's document counts, kept current per ingest
    files.py       the file itself: its folder, a first import built aside, the run lock

A second backend implements the same public methods (see records.py for what they return); the
ranking, the feeds and the bot only ever see `Archive`. May import: bot.archive.
"""

from .files import ArchiveInUse, run_lock
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
    "ParagraphRow",
    "SourceStats",
    "SyncStatus",
    "run_lock",
]
