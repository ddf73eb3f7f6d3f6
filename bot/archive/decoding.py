"""A feed's bytes made fit for the XML parser: read in the encoding they declare, controls removed.

feedparser decodes a document as a whole: when the declared encoding fails on one invalid byte, it
falls back to windows-1252 or iso-8859-2, and every non-ASCII character of every item turns into
mojibake. Decoding here first, with the declared encoding, turns each invalid sequence into U+FFFD
where it stands, in its own item. Control characters, which XML 1.0 forbids (a BEL makes the
document malformed and costs the item around it), are removed as well, including those written as
character references (`&#x1b;`).

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from .text import REPLACEMENT, strip_markup_controls

# Byte order marks and the first bytes of an unmarked UTF-16/32 "<?", as XML 1.0 appendix F reads
# them; anything else is read through its declaration, UTF-8 when it has none.
_MARKS = (
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DECLARED_ENCODING = re.compile(r"""^(\ufeff?<\?xml[^>]*?\bencoding\s*=\s*["'])[^"']*""")


@dataclass(frozen=True, slots=True)
class Decoded:
    """A document ready for feedparser, and what it took."""

    data: bytes
    encoding: str | None  # the encoding read (None: left to feedparser's guess)
    replaced: int = 0  # invalid byte sequences now U+FFFD
    controls: int = 0  # control characters removed


def prepare(data: bytes) -> Decoded:
    """Decode `data` as it declares itself; repair it only if it needs it.

    A document that decodes cleanly and holds no control character is passed on untouched; one
    that needed repair, re-encoded as UTF-8 with a declaration saying so. A document that is
    mostly not in its declared encoding (a windows-1252 page declared UTF-8, say) is left to
    feedparser's guess, which reads it better than replacing every accented letter would.
    """
    encoding = _declared_encoding(data)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        return Decoded(data, None)
    try:
        text = data.decode(codec)
        replaced = 0
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
        genuine = data.count(REPLACEMENT.encode(codec, errors="ignore") or b"\x00\x00\x00\x00")
        replaced = max(1, text.count(REPLACEMENT) - genuine)
        decoded = len(text) - len(text.encode("ascii", errors="ignore")) - replaced
        if replaced > max(1, decoded):  # more lost than read: the declaration is wrong
            return Decoded(data, None)
    text, controls = strip_markup_controls(text)
    if not replaced and not controls:
        return Decoded(data, codec)
    if codec not in ("utf-8", "utf-8-sig"):
        text = _DECLARED_ENCODING.sub(r"\g<1>utf-8", text, count=1)
    return Decoded(text.encode("utf-8"), codec, replaced, controls)


def _declared_encoding(data: bytes) -> str:
    for mark, encoding in _MARKS:
        if data.startswith(mark):
            return encoding
    declaration = _DECLARATION.match(data[:1024])
    return declaration.group(1).decode("ascii") if declaration else "utf-8"
