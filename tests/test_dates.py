"""Dates people type into the after/before options."""

from datetime import UTC, datetime

import pytest

from bot.services.dates import DateError, parse_date

NOW = datetime(2026, 6, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-04", datetime(2026, 6, 4, tzinfo=UTC)),
        ("2026/6/4", datetime(2026, 6, 4, tzinfo=UTC)),
        ("2026.06.04", datetime(2026, 6, 4, tzinfo=UTC)),
        ("2026-06", datetime(2026, 6, 1, tzinfo=UTC)),
        ("2026", datetime(2026, 1, 1, tzinfo=UTC)),
        ("4 June 2026", datetime(2026, 6, 4, tzinfo=UTC)),
        ("4th Jun, 2026", datetime(2026, 6, 4, tzinfo=UTC)),
        ("June 4, 2026", datetime(2026, 6, 4, tzinfo=UTC)),
        ("  Sept 30 2025 ", datetime(2025, 9, 30, tzinfo=UTC)),
        ("june 2026", datetime(2026, 6, 1, tzinfo=UTC)),
        ("2026-06-04T18:30", datetime(2026, 6, 4, 18, 30, tzinfo=UTC)),
        ("2026-06-04 18:30+02:00", datetime(2026, 6, 4, 16, 30, tzinfo=UTC)),
        ("today", datetime(2026, 6, 10, tzinfo=UTC)),
        ("Yesterday", datetime(2026, 6, 9, tzinfo=UTC)),
        ("3 days ago", datetime(2026, 6, 7, tzinfo=UTC)),
        ("2w", datetime(2026, 5, 27, tzinfo=UTC)),
        ("1 year ago", datetime(2025, 6, 10, tzinfo=UTC)),
    ],
)
def test_dates_people_type(text, expected):
    assert parse_date(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "2026-13-01",
        "2026-02-30",
        "31 Foo 2026",
        "06/04/2026",
        "x" * 6000,
        "0000",
    ],
)
def test_what_is_not_a_date_is_refused_with_an_example(text):
    with pytest.raises(DateError, match=r"2026-06-04|empty"):
        parse_date(text, now=NOW)
