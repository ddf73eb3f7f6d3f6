"""The best window of a paragraph for a query, cut at word boundaries, with matched words marked.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .query import WORD, fold

ELLIPSIS = "…"
EXCERPT_CHARS = 300


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A piece of a paragraph; `spans` are (start, end) offsets of matched words in `text`."""

    text: str
    spans: tuple[tuple[int, int], ...]

    def marked(self, before: str = "**", after: str = "**", escape=lambda s: s) -> str:
        """The excerpt with each matched span wrapped (for markdown bold, say); text escaped."""
        out, cursor = [], 0
        for start, end in self.spans:
            out.append(escape(self.text[cursor:start]))
            out.append(before + escape(self.text[start:end]) + after)
            cursor = end
        out.append(escape(self.text[cursor:]))
        return "".join(out)


def make_excerpt(text: str, terms: Iterable[str], width: int = EXCERPT_CHARS) -> Excerpt:
    """The window of about `width` characters holding the most distinct query terms."""
    wanted = set(terms)
    matches = [
        (m.start(), m.end(), key) for m in WORD.finditer(text) if (key := fold(m.group())) in wanted
    ]
    if len(text) <= width:
        return Excerpt(text, tuple((s, e) for s, e, _ in matches))
    start = _best_start(text, matches, width)
    end = min(len(text), start + width)
    # Cut at word boundaries, never through a matched word.
    if start > 0:
        space = text.find(" ", start)
        if 0 <= space < start + 40:
            start = space + 1
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start + width // 2:
            end = space
    head = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(text) else ""
    piece = text[start:end]
    body = piece.strip()
    body_start = start + len(piece) - len(piece.lstrip())
    body_end = body_start + len(body)
    shift = len(head) - body_start
    spans = tuple(
        (s + shift, e + shift) for s, e, _ in matches if s >= body_start and e <= body_end
    )
    return Excerpt(head + body + tail, spans)


def _best_start(text: str, matches: list[tuple[int, int, str]], width: int) -> int:
    """Start of the window covering the most distinct terms (then the most matches)."""
    if not matches:
        return 0
    best_key, best_start = (-1, -1), 0
    left = 0
    for right in range(len(matches)):
        while matches[right][1] - matches[left][0] > width:
            left += 1
        window = matches[left : right + 1]
        key = (len({m[2] for m in window}), len(window))
        if key > best_key:
            best_key = key
            # Centre the matched stretch in the window, leaving some context before it.
            span = window[-1][1] - window[0][0]
            best_start = max(0, window[0][0] - max(0, (width - span) // 3))
    return min(best_start, max(0, len(text) - width))
