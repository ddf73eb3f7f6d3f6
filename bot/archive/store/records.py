"""What the archive returns, whatever the backend: reports, stats and rows (plain dataclasses).

May import: bot.archive.models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class ArchiveError(RuntimeError):
    """The database cannot be used (newer schema, not an archive file, ...)."""


@dataclass(slots=True)
class IngestReport:
    """What one ingest did."""

    location: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    paragraphs: int = 0  # paragraphs written (new and replaced posts)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    new_post_ids: list[int] = field(default_factory=list)
    # The archive id of every post of the document, in document order (new or matched): what a
    # feed shows now, for the announcer, whichever copy of each post the archive already had.
    post_ids: list[int] = field(default_factory=list)

    @property
    def posts(self) -> int:
        return self.new + self.updated + self.unchanged


@dataclass(frozen=True, slots=True)
class SourceStats:
    location: str
    kind: str
    title: str | None
    posts: int
    last_ingested: datetime | None
    sync: SyncStatus | None = None  # resumable sources (forums, feed archives) only


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """How the last run of a resumable source went (see Archive.record_sync)."""

    started: datetime | None
    finished: datetime | None  # None while a run is under way (or was killed)
    outcome: str | None  # ok | stopped | failed | blocked
    message: str | None


@dataclass(frozen=True, slots=True)
class ArchiveStats:
    posts: int
    paragraphs: int
    first_published: datetime | None
    last_published: datetime | None
    sources: list[SourceStats]
    path: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class ParagraphRow:
    """A paragraph found by full-text search, with its BM25 score (lower is better)."""

    id: int
    post_id: int
    position: int
    text: str
    bm25: float


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on which posts a query may return."""

    author: str | None = None
    after: datetime | None = None
    before: datetime | None = None
