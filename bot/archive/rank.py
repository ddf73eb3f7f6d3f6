"""Scoring candidate paragraphs against a query. Pure functions: no I/O, no database.

A paragraph's score adds up evidence that it is what the user is after:
- coverage: the share of the query's keywords it holds, weighted by rarity (IDF), where words the
  post's title already matches count for less (they say which post, not which paragraph);
- phrase and proximity, in proportion to coverage: the query's words next to each other, in order,
  or at least close;
- the title and author of its post matching the query, which weighs more than body text;
- for a question, the kind of answer it expects (a duration for "how long", an amount for "how
  much", a name for "who", a definition for "what is X"); for a lone term, where it is introduced;
- BM25 from the full-text index, a little.
Bare headings and table-of-contents lines are discounted, and the paragraph under a heading
inherits part of the heading's match: people want the section, not its title line.

Every part left earns its place: bench/fit.py --ablate switches each off, on the development and
the sealed query sets. Removed because they gained on neither: how many other paragraphs of the
post match, recency, early position, the speaker-label discount, and the "when", "why" and "how
many" answer cues; and, because it gained no sealed query (one development question of 224),
pointing a quantity question at the paragraph holding a number.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from .expand import Concept, idf
from .models import StoredPost
from .query import STOPWORDS, ParsedQuery, words_of
from .store import ParagraphRow


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each piece of evidence counts.

    Set by hand on the development queries before bench/fit.py existed; its coordinate ascent on
    Hit@1 over five folds keeps every one (no move of any weight to 0, 1/2, 3/2 or 2 times its
    value wins two more training queries than it loses, in any fold).
    """

    next_in_post: float = 0.85  # a post's second paragraph scores this share of its first, ...
    w_phrase: float = 0.6  # as a share of coverage
    w_proximity: float = 0.3  # as a share of coverage
    w_title: float = 1.8  # a query that is the post's title, against a paragraph holding all of it
    w_answer: float = 0.3  # share of coverage added when a question's expected answer is there
    # A cue that says which paragraph of a post, not which post: for a single term, the
    # paragraph that introduces it.
    w_pointer: float = 0.3
    w_section: float = 1.0  # share of a heading's match passed to the paragraph under it
    w_opening: float = 0.6  # preference for a post's opening when the query only names the post
    w_bm25: float = 0.15  # FTS5's BM25, relative to the best candidate's
    naming_discount: float = 0.35  # a word of the post's title or opening, found in a paragraph
    heading_factor: float = 0.65  # a bare heading's share of its evidence


WEIGHTS = Weights()
# Shorter paragraphs say less (a quip mentioning a word, a caption). Hand-set; without it the right
# paragraph comes first for 2.4 points fewer development queries.
FULL_LENGTH_WORDS = 30

_NUMBERED = re.compile(r"^\s*\d+[.)]\s")  # "13. The Art of the Jailbreak." in a contents list
_SENTENCE_END = (".", "?", "!", ":", '"', "”", "’", ")", "]")


@dataclass(frozen=True, slots=True)
class Scored:
    row: ParagraphRow
    score: float
    matched: frozenset[str]  # indexed terms of the query found in the paragraph


def rank(
    parsed: ParsedQuery,
    concepts: Sequence[Concept],
    rows: Sequence[ParagraphRow],
    posts: dict[int, StoredPost],
    ledes: dict[int, str] | None = None,
    w: Weights = WEIGHTS,
) -> list[Scored]:
    """Score and sort candidate paragraphs, best first. `ledes`: the first paragraph of posts
    with several candidates (naming words only matter to choose between a post's paragraphs).

    Two questions are answered separately. Which post: its title and its best paragraph's full
    evidence. Which paragraph of that post: evidence where the words that merely name the post (in
    its title or opening paragraph) count for less. Posts are compared only on the first,
    paragraphs of one post only on the second.

    `w`: the weights (bench/fit.py tries others).
    """
    live = [c for c in concepts if c.matchable and c.weight > 0]
    total = sum(c.weight for c in live) or 1.0
    bigrams = _query_bigrams(parsed, concepts)
    answer = answer_pattern(parsed, live)
    pointers = pointer_pattern(parsed, live, answer)
    contexts = {
        post_id: _PostContext.build(live, post, (ledes or {}).get(post_id, ""), bigrams, total)
        for post_id, post in posts.items()
    }
    # Only these words can count: forms of the query's concepts and the query's own words.
    wanted = frozenset(
        [*(t for c in live for t in c.forms), *parsed.words, *itertools.chain(*bigrams)]
    )
    evidence = [
        _evidence(row, live, total, bigrams, answer, pointers, contexts.get(row.post_id), wanted, w)
        for row in rows
    ]

    headings = {(e.row.post_id, e.row.position): e for e in evidence if e.heading}
    best_bm25 = min((row.bm25 for row in rows), default=0.0)
    by_post: dict[int, list[tuple[float, _Evidence]]] = defaultdict(list)
    for e in evidence:
        row = e.row
        above = None if e.heading else headings.get((row.post_id, row.position - 1))
        context = contexts.get(row.post_id)
        # A query that only names the post ("activation oracles" for "Building Better Activation
        # Oracles") says nothing about which paragraph: then show how the post opens, and how well
        # a section heading or BM25 matches those naming words counts for as little.
        opening = (context.named_share if context else 0.0) ** 2
        within = (
            e.paragraph_body
            + (1 - opening) * (w.w_section * above.paragraph_body if above else 0.0)
            + (1 - opening) * w.w_bm25 * (row.bm25 / best_bm25 if best_bm25 < 0 else 0.0)
            + w.w_opening * opening / (1 + row.position / 3)
            - (w.w_opening * opening if e.heading else 0.0)
        )
        by_post[row.post_id].append((within, e))

    scored = []
    for post_id, candidates in by_post.items():
        context = contexts.get(post_id)
        post_score = max(e.post_body for _, e in candidates) + w.w_title * (
            context.title_score if context else 0.0
        )
        candidates.sort(key=lambda item: (-item[0], item[1].row.position))
        for place, (_, e) in enumerate(candidates):
            # The post's best paragraph carries the post's score; each further one a little less.
            scored.append(Scored(e.row, post_score * w.next_in_post**place, e.matched))
    scored.sort(key=lambda s: (-s.score, s.row.post_id, s.row.position))
    return scored


@dataclass(frozen=True, slots=True)
class _PostContext:
    """What a post's title and opening say about the query."""

    title_score: float  # 0..1: how well the query names this post
    naming: dict[str, float]  # concept word -> held by the title, author or opening paragraph
    naming_pairs: frozenset[int]  # query word pairs made only of such words
    named_share: float  # 0..1: the share of the query (by weight) its title and author hold

    @classmethod
    def build(
        cls,
        concepts: Sequence[Concept],
        post: StoredPost,
        lede: str,
        bigrams: dict[tuple[str, str], int],
        total: float,
    ) -> _PostContext:
        titled = _title_match(concepts, post)
        naming = {**_words_match(concepts, set(words_of(lede))), **titled} if lede else titled
        if not naming:  # the common case: nothing to discount
            return cls(0.0, naming, frozenset(), 0.0)
        plain = {c.word for c in concepts}
        pairs = frozenset(
            index
            for (a, b), index in bigrams.items()
            if all(word in naming or word in STOPWORDS or word not in plain for word in (a, b))
        )
        score = _title_score(concepts, post, titled, total) if titled else 0.0
        named = sum(c.weight * titled.get(c.word, 0.0) for c in concepts) / total
        return cls(score, naming, pairs, named)


@dataclass(frozen=True, slots=True)
class _Evidence:
    row: ParagraphRow
    post_body: float  # the paragraph's evidence for its post: every word at full weight
    paragraph_body: float  # its evidence among the post's paragraphs: naming words discounted
    heading: bool
    matched: frozenset[str]


def _evidence(
    row: ParagraphRow,
    concepts: Sequence[Concept],
    total: float,
    bigrams: dict[tuple[str, str], int],
    answer: list[tuple[re.Pattern[str], float]],
    pointers: list[tuple[re.Pattern[str], float]],
    context: _PostContext | None,
    wanted: frozenset[str],
    w: Weights,
) -> _Evidence:
    words = words_of(row.text)
    positions = _positions(words, wanted)
    naming = context.naming if context else {}
    full = discounted = 0.0
    matched: set[str] = set()
    spots: list[list[int]] = []
    for concept in concepts:
        strength, where, terms = _match(concept, positions)
        if strength:
            full += concept.weight * strength
            if naming.get(concept.word):
                strength *= w.naming_discount
            discounted += concept.weight * strength
            matched |= terms
            spots.append(where)
    proximity = _proximity(spots)
    answers = w.w_answer * max(
        (cue for pattern, cue in answer if pattern.search(row.text)), default=0
    )
    pointed = w.w_pointer * max(
        (cue for pattern, cue in pointers if pattern.search(row.text)), default=0
    )
    pairs = _pairs_at(words, positions, bigrams)
    phrase_full = _phrase(pairs, bigrams)
    phrase_own = _phrase(pairs, bigrams, context.naming_pairs if context else frozenset())
    heading = looks_like_heading(row.text, len(words))
    length = 0.75 + 0.25 * min(1.0, len(words) / FULL_LENGTH_WORDS)

    def body(coverage: float, phrase: float) -> float:
        # An exact phrase is what was asked for, however short the paragraph holding it; but a
        # phrase of words that only name the post (its title, say) makes no heading worth showing.
        shape = 1.0 if phrase >= 0.99 else w.heading_factor if heading else length
        return (
            shape
            * coverage
            / total
            * (1 + w.w_phrase * phrase + w.w_proximity * proximity + answers)
        )

    return _Evidence(
        row,
        body(full, phrase_full),
        body(discounted, phrase_own) + (pointed if full else 0.0),
        heading,
        frozenset(matched),
    )


def _positions(words: list[str], wanted: frozenset[str]) -> dict[str, list[int]]:
    """Where each word of interest (a form of the query or a query word) occurs."""
    positions: dict[str, list[int]] = defaultdict(list)
    for index, word in enumerate(words):
        if word in wanted:
            positions[word].append(index)
    return positions


def _pairs_at(
    words: list[str], positions: dict[str, list[int]], bigrams: dict[tuple[str, str], int]
) -> set[int]:
    """The query pairs (by index) found as adjacent words, looked for only where they can start."""
    found = set()
    last = len(words) - 1
    for word, where in positions.items():
        for index in where:
            if index < last and (pair := bigrams.get((word, words[index + 1]))) is not None:
                found.add(pair)
    return found


def _match(concept: Concept, positions: dict[str, list[int]]) -> tuple[float, list[int], set[str]]:
    """How strongly a paragraph holds a concept (its best form's weight), where, and which forms."""
    strength, where, terms = 0.0, [], set()
    for term, weight in concept.forms.items():
        found = positions.get(term)
        if found:
            strength = max(strength, weight)
            where.extend(found)
            terms.add(term)
    return strength, where, terms


def _title_match(concepts: Sequence[Concept], post: StoredPost) -> dict[str, float]:
    """concept word -> strength with which the post's title or author holds it."""
    words = set(words_of(post.title))
    if post.author:
        words.update(words_of(post.author))
    return _words_match(concepts, words)


def _words_match(concepts: Sequence[Concept], words: set[str]) -> dict[str, float]:
    """concept word -> strength with which a set of words holds it."""
    result = {}
    for concept in concepts:
        strength = max((w for term, w in concept.forms.items() if term in words), default=0.0)
        if strength:
            result[concept.word] = strength
    return result


def _query_bigrams(parsed: ParsedQuery, concepts: Sequence[Concept]) -> dict[tuple[str, str], int]:
    """Adjacent word pairs of the query, in every indexed form, mapped to the pair they stand for.

    Pairs of two stopwords ("in a") say nothing and are left out.
    """
    forms = {c.word: c.forms for c in concepts}
    pairs: dict[tuple[str, str], int] = {}
    for index, (first, second) in enumerate(zip(parsed.words, parsed.words[1:], strict=False)):
        if first in STOPWORDS and second in STOPWORDS:
            continue
        for a in forms.get(first) or (first,):
            for b in forms.get(second) or (second,):
                pairs.setdefault((a, b), index)
    return pairs


def _title_score(
    concepts: Sequence[Concept], post: StoredPost, matched: dict[str, float], total: float
) -> float:
    """How well the query names this post, 0..1: the share of the query found in the title or
    author (super-linear: a title sharing one word of five is weak evidence), times how much of
    the title the query covers (a query that is the title scores 1)."""
    found = sum(c.weight * matched.get(c.word, 0.0) for c in concepts) / total
    title_words = [w for w in words_of(post.title) if w not in STOPWORDS]
    if not title_words:
        return found**1.5
    query_forms = {term for c in concepts for term in c.forms}
    covered = sum(word in query_forms for word in title_words) / len(title_words)
    return found**1.5 * (0.5 + 0.5 * covered)


def _phrase(
    found: set[int], bigrams: dict[tuple[str, str], int], ignored: frozenset[int] = frozenset()
) -> float:
    """Share of the query's adjacent word pairs that occur adjacent in the paragraph."""
    if not bigrams:
        return 0.0
    return len(found - ignored) / len(set(bigrams.values()))


def _proximity(spots: list[list[int]]) -> float:
    """1.0 when the matched concepts sit side by side, falling as the window holding them grows."""
    if len(spots) < 2:
        return 0.0
    events = sorted((position, index) for index, where in enumerate(spots) for position in where)
    need = len(spots)
    counts: dict[int, int] = defaultdict(int)
    covered = 0
    best = math.inf
    left = 0
    for _right, (position, index) in enumerate(events):
        counts[index] += 1
        if counts[index] == 1:
            covered += 1
        while covered == need:
            best = min(best, position - events[left][0] + 1)
            counts[events[left][1]] -= 1
            if counts[events[left][1]] == 0:
                covered -= 1
            left += 1
    return min(1.0, need / best) if best < math.inf else 0.0


def coverage(concepts: Sequence[Concept], words: set[str], total: int) -> float:
    """How much of the query a set of words holds, 0..1: each keyword counts by its rarity (IDF)
    times the weight of its best form among `words` (1.0 as typed, less for another inflection
    or a guessed correction). A keyword the archive does not hold at all counts as the rarest
    word: it is the query's most specific part, and nothing answers it."""
    held = wanted = 0.0
    for concept in concepts:
        weight = concept.weight if concept.forms else idf(0, total)
        wanted += weight
        held += weight * max((w for term, w in concept.forms.items() if term in words), default=0)
    return held / wanted if wanted else 1.0


def looks_like_heading(text: str, word_count: int | None = None) -> bool:
    """A bare heading, a one-line list item or a table-of-contents entry."""
    if word_count is None:
        word_count = len(words_of(text))
    stripped = text.rstrip()
    if word_count <= 8 and not stripped.endswith(_SENTENCE_END):
        return True
    return bool(_NUMBERED.match(text)) and word_count <= 20


# --- what kind of answer a question asks for -----------------------------------------------------

_AMOUNT = r"[$€£]\s?\d|\b\d[\d,.]*\s*(?:k|m|bn|%|percent|dollars?|usd|million|billion|thousand)\b"
_ANSWER_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(question, re.I), answer)
    for question, answer in (
        (
            r"^how (?:long|much time)\b",
            r"\b\d[\d,.]*\s*(?:-\s*\d+\s*)?(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?"
            r"|months?|years?)\b|\b(?:minutes|hours|days|weeks|months|years)\b",
        ),
        (r"^how much\b|\b(?:cost|costs|price|budget|money|funding)\b", _AMOUNT),
        (r"^(?:who|which (?:person|people|thinkers?|authors?))\b", r"\b[A-Z][a-z]+ [A-Z][a-z]+"),
    )
)
_DEFINITION_QUESTION = re.compile(
    r"^(?:what(?:'s| is| are| does)|define|definition of|meaning of)\s+(?:an? |the )?", re.I
)


def pointer_pattern(
    parsed: ParsedQuery,
    concepts: Sequence[Concept],
    answer: list[tuple[re.Pattern[str], float]],
) -> list[tuple[re.Pattern[str], float]]:
    """Patterns of the paragraph a query points at within a post (see Weights.w_pointer), with the
    strength of each cue: for a lone term, where it is introduced."""
    if not answer and len(concepts) == 1 and len(parsed.keywords) == 1:
        return _introduction(concepts[0])
    return []


def _introduction(subject: Concept) -> list[tuple[re.Pattern[str], float]]:
    """Where a term is introduced. An expansion in parentheses, "Discounted Reward for ...
    (DReST)", is the surest sign; "DReST is ..." a weaker one."""
    forms = "|".join(re.escape(term) for term in subject.forms)
    return [
        (re.compile(rf"\w\s+\((?:{forms})\)", re.I), 1.0),
        (re.compile(rf"\b(?:{forms})\b,?\s+(?:is|are|means|refers|stands)\b", re.I), 0.5),
    ]


def answer_pattern(
    parsed: ParsedQuery, concepts: Sequence[Concept]
) -> list[tuple[re.Pattern[str], float]]:
    """Patterns the answer to a question is likely to contain, each with the strength of the cue
    (an empty list for queries that are not questions)."""
    text = parsed.text
    if _DEFINITION_QUESTION.match(text) and concepts:
        return _introduction(max(concepts, key=lambda c: c.weight))
    return [
        (re.compile(answer), 1.0) for question, answer in _ANSWER_KINDS if question.search(text)
    ]
