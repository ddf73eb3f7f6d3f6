"""Parser for the plain-text dump of a Drupal aggregator page ("Сборщик RSS-лент", Russian locale).

Layout of the page, as saved to text:

    <header lines>
    Title
    <blank line, sometimes missing>
    4 июня, 2026 - 22:23          <- Moscow time (UTC+3)
    body line                       <- each non-empty line is one paragraph
    ...
    Discuss                         <- exactly this; "Discussion" and the like are body text
    <next title ...>
    Страницы                        <- the pager; the page ends here

Structural damage (undecodable bytes, an unknown month, no posts at all) raises DumpError naming the
file and line, so nothing is half-ingested; damage confined to one post skips it with a warning.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from .models import Post, SourceDocument
from .text import clean_text

log = logging.getLogger(__name__)

MOSCOW = timezone(timedelta(hours=3), "MSK")
GENITIVE_MONTHS = {
    "января": 1,
    "февраля": 2,
    "марта": 3,
    "апреля": 4,
    "мая": 5,
    "июня": 6,
    "июля": 7,
    "августа": 8,
    "сентября": 9,
    "октября": 10,
    "ноября": 11,
    "декабря": 12,
}
END_OF_POST = "Discuss"
END_OF_PAGE = "Страницы"

_DATE_LINE = re.compile(r"(\d{1,2}) (\w+), (\d{4}) - (\d{1,2}):(\d{2})")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class DumpError(ValueError):
    """The file cannot be read as an aggregator dump; the message names the file and line."""


def parse_dump(path: Path | str) -> SourceDocument:
    """Parse a dump file into posts, in page order."""
    path = Path(path)
    return parse_dump_bytes(path.read_bytes(), str(path))


def parse_dump_bytes(data: bytes, location: str) -> SourceDocument:
    """Parse the bytes of a dump; `location` names the file in errors and warnings."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DumpError(
            f"{location}:{line}: not UTF-8 text "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    lines = _LINE_BREAK.split(text)
    warnings: list[str] = []

    end = len(lines)
    for number, line in enumerate(lines):
        if line.strip() == END_OF_PAGE:
            end = number
            break
    else:
        warnings.append(
            f"{location}: no '{END_OF_PAGE}' line at the end; the page may be cut short"
        )

    dates = [(number, _parse_date(lines[number], location, number)) for number in range(end)]
    dates = [(number, moment) for number, moment in dates if moment is not None]
    if not dates:
        raise DumpError(f"{location}: no posts found (no line like '4 июня, 2026 - 22:23')")

    posts: list[Post] = []
    for index, (date_line, published) in enumerate(dates):
        title_line = _title_line(lines, date_line)
        next_title = _title_line(lines, dates[index + 1][0]) if index + 1 < len(dates) else None
        # The body runs to the next post's title (or its date line, if that post has no title).
        body_end = end if index + 1 == len(dates) else (next_title or dates[index + 1][0])
        where = f"{location}:{date_line + 1}"
        if title_line is None:
            warnings.append(f"{where}: a date with no title above it; post skipped")
            continue
        title = clean_text(lines[title_line])
        body = [clean_text(line) for line in lines[date_line + 1 : body_end]]
        if END_OF_POST in body:
            body = body[: len(body) - 1 - body[::-1].index(END_OF_POST)]
        elif index + 1 < len(dates) or end < len(lines):
            warnings.append(f"{where}: post {title!r} has no '{END_OF_POST}' line; kept as found")
        paragraphs = tuple(p for p in (strip_inline_css(line) for line in body) if p)
        if not paragraphs:
            warnings.append(f"{where}: post {title!r} has no body; post skipped")
            continue
        posts.append(Post(title=title, paragraphs=paragraphs, published=published))

    if not posts:
        raise DumpError(f"{location}: no usable posts; " + "; ".join(warnings))
    for warning in warnings:
        log.warning("%s", warning)
    return SourceDocument(
        location=location, kind="dump", posts=posts, warnings=warnings, cleaned=True
    )


def _parse_date(line: str, location: str, number: int) -> datetime | None:
    """The UTC time on a date line, or None when the line is not one."""
    match = _DATE_LINE.fullmatch(line.strip())
    if match is None:
        return None
    day, month_name, year, hour, minute = match.groups()
    month = GENITIVE_MONTHS.get(month_name.lower())
    if month is None:
        raise DumpError(f"{location}:{number + 1}: unknown month {month_name!r} in date {line!r}")
    try:
        local = datetime(int(year), month, int(day), int(hour), int(minute), tzinfo=MOSCOW)
    except ValueError as exc:
        raise DumpError(
            f"{location}:{number + 1}: impossible date {line.strip()!r} ({exc})"
        ) from None
    return local.astimezone(UTC)


def _title_line(lines: list[str], date_line: int) -> int | None:
    """The index of the title above a date line: the line before it, or the one before a blank."""
    for candidate in (date_line - 1, date_line - 2):
        if candidate < 0:
            return None
        text = lines[candidate].strip()
        if text:
            return None if text == END_OF_POST or _DATE_LINE.fullmatch(text) else candidate
    return None


# --- Inlined MathJax stylesheets -------------------------------------------------------------
# Three posts carry MathJax's CHTML stylesheet flattened into a paragraph, between two halves of a
# sentence. A run starts at a MathJax selector or @font-face and continues while the text reads as
# `selector { declarations }`; declarations may hold quoted braces (content: "{").

_CSS_START = re.compile(r"mjx-[a-z]|\.MJX|\.TEX-|@font-face|_::-webkit")
_SELECTOR = re.compile(r"""\s*((?:/\*.*?\*/|[\w\s\-\[\]="'.:#>+~*,()@\\^$|!%])*?)\s*\{""", re.S)
_MAX_SELECTOR = 300


def strip_inline_css(line: str) -> str:
    """Cut inlined MathJax CSS out of a line, keeping the prose on both sides."""
    start = 0
    while (found := _CSS_START.search(line, start)) is not None:
        end = _consume_rules(line, found.start())
        if end is None:
            start = found.end()
            continue
        line = (line[: found.start()].rstrip() + " " + line[end:].lstrip()).strip()
        start = found.start()
    return line


def _consume_rules(text: str, position: int) -> int | None:
    """The end of the run of CSS rules starting at `position`, or None if none starts there."""
    end = None
    while True:
        selector = _SELECTOR.match(text, position)
        if selector is None or len(selector.group(1)) > _MAX_SELECTOR or not selector.group(1):
            return end
        block_end = _block_end(text, selector.end())
        if block_end is None:
            return end
        end = position = block_end


def _block_end(text: str, position: int) -> int | None:
    """Given the index just after an opening brace, the index just after its closing brace."""
    depth, quote, index = 1, "", position
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            if close < 0:
                return None
            index = close + 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return None
