"""From typed words to indexed terms: exact forms, other forms of a word, typo corrections.

Every query keyword becomes a `Concept`: the indexed terms that may stand for it, each with a weight
(1.0 for the word as typed). Candidates for a typo are kept side by side rather than decided here:
the paragraphs that hold them together with the other query words decide which reading was meant
("spce" -> spec or space).

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from .query import STOPWORDS, ParsedQuery

VARIANT_WEIGHT = 0.85  # oracles -> oracle
COMPLETION_WEIGHT = 0.7  # activ -> activation (an unfinished last word)
TYPO_WEIGHTS = {1: 0.8, 2: 0.6}  # by edit distance (a transposition counts as one edit)
MAX_VARIANTS = 4
MAX_TYPO_CANDIDATES = 3
LONG_QUERY = 12  # keywords; longer queries are pasted passages
MAX_SUFFIX_CHANGE = 3  # letters an inflection may change at the end of the typed word
_LAST = "\U0010ffff"  # sorts after every other character: "abc" <= term < "abc" + _LAST

_stemmer = snowballstemmer.stemmer("english")


class Vocabulary(Protocol):
    """What expansion needs from the archive (Archive implements it)."""

    async def term_counts(self, terms: list[str]) -> dict[str, tuple[int, int]]: ...

    async def terms_with_prefixes(
        self, prefixes: Iterable[str], *, extra_chars: int = ..., limit: int = ...
    ) -> dict[str, list[tuple[str, int, int]]]: ...

    async def terms_between(
        self, low: str, high: str, *, min_length: int = 1, max_length: int = 64, limit: int = ...
    ) -> list[tuple[str, int, int]]: ...


@dataclass(slots=True)
class Concept:
    """One query keyword and the indexed terms that stand for it."""

    word: str
    forms: dict[str, float] = field(default_factory=dict)  # term -> weight (1.0 = as typed)
    documents: dict[str, int] = field(default_factory=dict)  # term -> paragraphs holding it
    title_documents: dict[str, int] = field(default_factory=dict)  # term -> titles holding it
    weight: float = 0.0  # importance in the query: inverse document frequency of its best form
    corrected: bool = False  # the word itself is not in the archive; forms are guesses

    @property
    def matchable(self) -> bool:
        return bool(self.forms)

    def add(self, term: str, weight: float, paragraphs: int, titles: int) -> None:
        """Let `term` stand for the concept (keeping a higher weight it already has)."""
        self.forms[term] = max(weight, self.forms.get(term, 0.0))
        self.documents[term] = paragraphs
        self.title_documents[term] = titles


async def expand(
    parsed: ParsedQuery, vocabulary: Vocabulary, paragraphs_total: int
) -> list[Concept]:
    """The concepts of a query's keywords, with their indexed forms and weights.

    A long query is a pasted passage: its words are exact, so it gets no other forms or guesses
    (and stays fast however long it is).
    """
    exact_only = len(parsed.keywords) > LONG_QUERY
    counts = await vocabulary.term_counts(list(parsed.keywords))
    roots = {} if exact_only else {w: stem(w) for w in parsed.keywords if _has_family(w)}
    families = await vocabulary.terms_with_prefixes(r for r in roots.values() if len(r) >= 3)
    concepts = []
    last = parsed.terms[-1] if parsed.open_ended and parsed.terms else None
    for word in parsed.keywords:
        concept = Concept(word)
        paragraphs, titles = counts.get(word, (0, 0))
        if paragraphs or titles:
            concept.add(word, 1.0, paragraphs, titles)
        if word in roots:
            _add_variants(concept, roots[word], families.get(roots[word], []))
        if not exact_only and not concept.forms and word == last and len(word) >= 3:
            await _add_completions(concept, vocabulary)
        if not exact_only and not concept.forms and len(word) >= 3 and not word.isdigit():
            concept.corrected = True
            await _add_corrections(concept, vocabulary)
        concept.weight = _idf(concept, paragraphs_total)
        concepts.append(concept)
    return concepts


def _has_family(word: str) -> bool:
    return len(word) >= 4 and not word.isdigit()


def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def _add_variants(concept: Concept, root: str, rows: list[tuple[str, int, int]]) -> None:
    """Other inflections of the word that the archive holds: the same English stem, differing
    only in the last few letters (the stemmer alone would make "activities" a form of
    "activation", and "general" one of "generalization")."""
    word = concept.word
    variants = sorted(
        (
            row
            for row in rows
            if row[0] != word
            and stem(row[0]) == root
            and _shared_start(row[0], word) >= len(word) - MAX_SUFFIX_CHANGE
        ),
        key=lambda row: -row[1],
    )
    for term, paragraphs, titles in variants[:MAX_VARIANTS]:
        concept.add(term, VARIANT_WEIGHT, paragraphs, titles)


async def _add_completions(concept: Concept, vocabulary: Vocabulary) -> None:
    """Words the unfinished last word may be the start of, most common first."""
    rows = await vocabulary.terms_between(concept.word, concept.word + _LAST, limit=2000)
    for term, paragraphs, titles in sorted(rows, key=lambda row: -row[1])[:MAX_VARIANTS]:
        concept.add(term, COMPLETION_WEIGHT, paragraphs, titles)


async def _add_corrections(concept: Concept, vocabulary: Vocabulary) -> None:
    """Indexed words within one or two edits of a word the archive does not hold."""
    word = concept.word
    max_distance = 1 if len(word) <= 4 else 2
    low, high = len(word) - max_distance, len(word) + max_distance
    # Most typos keep the first two letters, and that slice of the vocabulary is small: look there
    # first, and widen to the first letter, then to a swapped opening pair ("rwold"), only while
    # nothing within one edit has turned up.
    rows: dict[str, tuple[int, int]] = {}
    found: list[tuple[str, float, int]] = []
    for prefix in dict.fromkeys((word[:2], word[0], word[1])):
        for term, paragraphs, titles in await vocabulary.terms_between(
            prefix, prefix + _LAST, min_length=low, max_length=high
        ):
            rows[term] = (paragraphs, titles)
        found = process.extract(
            word, list(rows), scorer=OSA.distance, score_cutoff=max_distance, limit=50
        )
        if any(distance <= 1 for _, distance, _ in found):
            break
    if not found:
        return
    # Closest first, then the most common; stopwords make poor corrections ("wrold" -> would).
    found.sort(key=lambda item: (item[1], item[0] in STOPWORDS, -sum(rows[item[0]])))
    for term, distance, _ in found[:MAX_TYPO_CANDIDATES]:
        concept.add(term, TYPO_WEIGHTS[int(distance)], *rows[term])


def _shared_start(a: str, b: str) -> int:
    """How many leading letters two words share."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _idf(concept: Concept, total: int) -> float:
    """IDF of the concept's main form. Not squared, as it was: plain IDF puts the right paragraph
    first for 78.4 % of the sealed queries against 75.7 % (bench/fit.py --ablate)."""
    if not concept.forms:
        return 0.0
    main = max(concept.forms, key=lambda term: concept.forms[term])  # as typed, or best guess
    return idf(concept.documents.get(main, 0), total)


def idf(documents: int, total: int) -> float:
    """Inverse document frequency of a term held by `documents` of `total` paragraphs."""
    return math.log(1.0 + (total + 1) / (documents + 1))
