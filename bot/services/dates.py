"""Dates as people type them: `2026-06-04`, `4 June 2026`, `yesterday`, `3 days ago`.

A date means the start of that day (or month, or year) in UTC, so `after: 2026-06-04` keeps posts
published on or after 4 June and `before: 2026-06-04` keeps posts published before it.

May import: bot.archive, bot.feeds, bot.services; never discord.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}

_NUMERIC = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_MONTH_YEAR = re.compile(r"([a-z]+)\.?,?\s+(\d{4})")
_AGO = re.compile(r"(\d{1,4})\s*(d|days?|w|weeks?|m|months?|y|years?)(?:\s+ago)?")
EXAMPLE = "2026-06-04"


class DateError(ValueError):
    """Text that is not a date we understand; the message says what we accept."""


def parse_date(text: str, *, now: datetime | None = None) -> datetime:
    """The moment `text` names, as an aware UTC datetime; raise DateError if it names none."""
    now = now or datetime.now(UTC)
    cleaned = " ".join(text.strip().casefold().split())
    if not cleaned:
        raise DateError("empty date")
    moment = _parse(cleaned, now)
    if moment is None:
        raise DateError(f"not a date; write it like {EXAMPLE}")
    return moment


def _parse(text: str, now: datetime) -> datetime | None:
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if text in ("tomorrow",):
        return today + timedelta(days=1)
    if match := _AGO.fullmatch(text):
        count, unit = int(match.group(1)), match.group(2)
        days = next(size for name, size in _UNITS.items() if name.startswith(unit[0]))
        return today - timedelta(days=count * days)
    if match := _NUMERIC.fullmatch(text):
        year, month, day = (int(part) if part else 1 for part in match.groups())
        return _make(year, month, day)
    if match := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = match.groups()
        return _make(int(year), MONTHS.get(month), int(day))
    if match := _MONTH_DAY_YEAR.fullmatch(text):
        month, day, year = match.groups()
        return _make(int(year), MONTHS.get(month), int(day))
    if match := _MONTH_YEAR.fullmatch(text):
        month, year = match.groups()
        return _make(int(year), MONTHS.get(month), 1)
    try:  # full ISO-8601 with a time, such as 2026-06-04T18:30 or 2026-06-04 18:30+02:00
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _make(year: int, month: int | None, day: int) -> datetime | None:
    if month is None or not 1 <= year <= 9999:
        return None
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
