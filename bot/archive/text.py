"""Text normalisation shared by parsers, the store and search.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# Every whitespace character but the plain space (what str.isspace() accepts), every other C0 and
# C1 control character and DEL, and lone surrogates (a JSON "\ud800": SQLite refuses them).
_UNCLEAN = re.compile(
    r"[\x00-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ud800-\udfff]"
)
# Control characters that mean nothing in a post: NUL, BEL, BS, ESC, DEL, most of C1. The other
# controls are whitespace to str.split(): tab, newline, CR, VT, FF, the information separators
# \x1c-\x1f and NEL; they separate words, so they become spaces, not nothing.
# A lone surrogate is a character lost on the way: it becomes U+FFFD.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")
_ANY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SEPARATORS = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f\x85")
# A character reference to a control character XML 1.0 forbids (all C0 but tab, LF and CR).
_CONTROL_REFERENCE = re.compile(
    r"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));"
)
REPLACEMENT = "\ufffd"  # what a character lost in decoding becomes
# Shown in place of a control character on a terminal: its Unicode control picture (ESC is ␛),
# and for the C1 controls, which have none, the replacement character.
_PICTURES = {code: 0x2400 + code for code in range(0x20)} | {0x7F: 0x2421}
_PICTURES |= {code: REPLACEMENT for code in (*range(0x80, 0xA0), *range(0xD800, 0xE000))}
# Apostrophes and quotes people type in many shapes; titles compare equal whichever they used.
_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"', "„": '"'})
_DASHES = str.maketrans({"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-"})


def clean_text(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space and trim; NFC-normalise.

    Control characters go (those that separate words become spaces); a lone surrogate becomes
    U+FFFD.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if "  " in text or text[:1] == " " or text[-1:] == " " or _UNCLEAN.search(text):
        # str.split() knows Unicode spaces; 4x faster than re.sub
        return " ".join(_CONTROL.sub(_lost, text).split())
    return text  # already clean, as most text is: checking costs half of cleaning


def strip_controls(text: str) -> tuple[str, int]:
    """Text without control characters but tab, newline and CR, and how many there were.

    For text whose lines count (a document before it is parsed, say): the controls that separate
    words become spaces, the others go; a lone surrogate becomes U+FFFD.
    """
    return _ANY_CONTROL.subn(_replace_control, text)


def strip_markup_controls(markup: str) -> tuple[str, int]:
    """XML or HTML without control characters, raw or written as character references (`&#27;`),
    and how many there were. Parsers refuse both: lxml raises, feedparser loses the item."""
    markup, raw = strip_controls(markup)
    markup, references = _CONTROL_REFERENCE.subn("", markup)
    return markup, raw + references


def printable(text: str) -> str:
    """Text safe to print on a terminal: each control character (tab and newline too) shown as a
    visible symbol, so archive text can never move the cursor or recolour the screen."""
    return text.translate(_PICTURES)


def _lost(match: re.Match[str]) -> str:
    return REPLACEMENT if match.group() >= "\ud800" else ""


def _replace_control(match: re.Match[str]) -> str:
    char = match.group()
    return " " if char in _SEPARATORS else REPLACEMENT if char >= "\ud800" else ""


def title_key(title: str) -> str:
    """A key for comparing titles: NFKC, casefolded, quotes and dashes unified, spaces collapsed."""
    text = unicodedata.normalize("NFKC", title).translate(_QUOTES).translate(_DASHES)
    return _WHITESPACE.sub(" ", text.casefold()).strip()


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut text to at most `limit` characters, at a word boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space >= len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + ellipsis
