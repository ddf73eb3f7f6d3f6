"""What the commands share: the usage error, opening the archive, an ingest's summary.

May import: bot.archive, bot.config.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..archive.sources import read_source
from ..archive.store import Archive, IngestReport, Location
from ..archive.text import printable
from ..config import shipped_archive


class UsageError(Exception):
    """A mistake on the command line; printed without a traceback, exit status 2."""


async def open_archive(archive_db: Location) -> Archive:
    """Open the archive, building it from the shipped dump the first time."""
    archive = await Archive.open(archive_db)
    try:
        if await archive.is_empty() and (shipped := shipped_archive()) is not None:
            print(f"First run: building {archive.path} from {shipped} ...", file=sys.stderr)
            report = await archive.ingest(await read_source(str(shipped)))
            print(format_report(report), file=sys.stderr)
    except BaseException:
        await archive.close()
        raise
    return archive


def require_shipped_archive() -> Path:
    path = shipped_archive()
    if path is None:
        raise UsageError(
            "the shipped archive (data/*.txt) is not here; name a file or URL to ingest"
        )
    return path


def format_report(report: IngestReport) -> str:
    rate = report.paragraphs / report.seconds if report.seconds > 0 else 0.0
    lines = [
        f"{report.location}: {report.posts} posts ({report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged), {report.paragraphs} paragraphs written "
        f"in {report.seconds:.2f} s ({rate:,.0f} paragraphs/s), {len(report.warnings)} warnings"
    ]
    lines += [f"  warning: {printable(warning)}" for warning in report.warnings]
    return "\n".join(lines)
