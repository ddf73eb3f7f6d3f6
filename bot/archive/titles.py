"""Titles in memory for autocomplete: typed words -> posts in microseconds, no database scan.

Every typed word but the last must match a title word (exactly, or within one or two edits when
no title has it); the last word may be unfinished and matches as a prefix. Stopwords ("of", "a")
are not required. Titles that start with what was typed come first, then newer posts.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .query import STOPWORDS, words_of

_LAST = "\U0010ffff"
UNION_LIMIT = 5_000  # a prefix of more titles than this is tested title by title, newest first
MAX_CORRECTIONS_KEPT = 10_000
SCAN_LIMIT = 1_500  # titles tested one by one for a short prefix, newest first


class TitleIndex:
    """An immutable index of titles; build a new one when titles change."""

    def __init__(self, rows: Iterable[tuple[int, str, int | None]]):
        # Newest first: every posting list keeps this order, so the first matches are the newest.
        ordered = sorted(rows, key=lambda row: (-(row[2] or 0), row[0]))
        self._ids = array("q", (row[0] for row in ordered))
        self._titles = [row[1] for row in ordered]
        self._folded: list[str] = []
        postings: dict[str, array] = defaultdict(lambda: array("I"))
        for index, (_, title, _) in enumerate(ordered):
            words = words_of(title)
            self._folded.append(" ".join(words))
            for word in dict.fromkeys(words):
                postings[word].append(index)
        self._postings = dict(postings)
        self._vocabulary = sorted(postings)
        # Typing a title re-sends the same complete words at every keystroke: remember their
        # corrections (bounded; the index is rebuilt, and this emptied, when titles change).
        self._corrections: dict[str, str | None] = {}

    def __len__(self) -> int:
        return len(self._titles)

    def suggest(self, typed: str, limit: int = 25) -> list[tuple[int, str]]:
        """(post id, title) of the best matches for what has been typed so far."""
        if limit <= 0:
            return []
        words = words_of(typed)
        if not words:
            return [(self._ids[i], self._titles[i]) for i in range(min(limit, len(self)))]
        finished = not typed[-1:].isalnum()
        complete, last = (words, None) if finished else (words[:-1], words[-1])
        # "of", "the", "don't": not worth requiring, unless nothing else was typed.
        required = [w for w in complete if w not in STOPWORDS] or (complete if last is None else [])
        pool = list(itertools.islice(self._matching(required, last), limit * 4))
        phrase = " ".join(words)
        # Titles starting with the typed text first; the others stay newest first.
        pool.sort(key=lambda i: not self._folded[i].startswith(phrase))
        return [(self._ids[i], self._titles[i]) for i in pool[:limit]]

    def closest(self, text: str, limit: int = 3) -> list[str]:
        """Titles most like `text` as a whole (rapidfuzz over every title: for rare use, such as
        suggestions after a search found nothing, not for every keystroke)."""
        found = process.extract(
            " ".join(words_of(text)), self._folded, scorer=fuzz.WRatio, limit=limit, score_cutoff=70
        )
        return [self._titles[index] for _, _, index in found]

    def _matching(self, complete: list[str], last: str | None) -> Iterator[int]:
        """Indices, newest first, of titles holding every complete word and a word starting with
        `last` (corrected when no title has it)."""
        lists: list[Sequence[int]] = []
        for word in complete:
            found = self._postings.get(word) or self._postings.get(self._correct(word) or "")
            if not found:
                return iter(())
            lists.append(found)
        test_prefix = None
        if last is not None:
            low = bisect.bisect_left(self._vocabulary, last)
            high = bisect.bisect_left(self._vocabulary, last + _LAST)
            words = self._vocabulary[low:high]
            if not words:
                corrected = self._correct(last)
                if corrected is None:
                    return iter(())
                lists.append(self._postings[corrected])
            elif sum(len(self._postings[w]) for w in words) <= UNION_LIMIT:
                lists.append(sorted(set().union(*(self._postings[w] for w in words))))
            else:
                test_prefix = last
        if not lists:
            candidates: Iterable[int] = range(len(self))
        else:
            lists.sort(key=len)
            candidates = (i for i in lists[0] if all(_contains(other, i) for other in lists[1:]))
        if test_prefix is None:
            return iter(candidates)
        # Testing titles one by one is bounded: the newest SCAN_LIMIT candidates are enough to
        # suggest from, and the answer must come within milliseconds of the keystroke.
        # A title word starts with the prefix: at the title's start or after a space (two
        # C-level string searches, no loop over the title's words).
        needle = " " + test_prefix
        return (
            i
            for i in itertools.islice(candidates, SCAN_LIMIT)
            if self._folded[i].startswith(test_prefix) or needle in self._folded[i]
        )

    def _correct(self, word: str) -> str | None:
        """The most common title word within one (short words) or two edits of `word`."""
        if word not in self._corrections:
            if len(self._corrections) >= MAX_CORRECTIONS_KEPT:
                self._corrections.clear()
            self._corrections[word] = self._find_correction(word)
        return self._corrections[word]

    def _find_correction(self, word: str) -> str | None:
        if len(word) < 3:
            return None
        low = bisect.bisect_left(self._vocabulary, word[0])
        high = bisect.bisect_left(self._vocabulary, word[0] + _LAST)
        cutoff = 1 if len(word) <= 4 else 2
        near = [w for w in self._vocabulary[low:high] if abs(len(w) - len(word)) <= cutoff]
        found = process.extract(word, near, scorer=OSA.distance, score_cutoff=cutoff, limit=10)
        if not found:
            return None
        return min(found, key=lambda f: (f[1], -len(self._postings[f[0]])))[0]


def _contains(ordered: Sequence[int], value: int) -> bool:
    """Membership in an ascending sequence, by binary search."""
    position = bisect.bisect_left(ordered, value)
    return position < len(ordered) and ordered[position] == value
