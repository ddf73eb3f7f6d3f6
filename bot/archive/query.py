"""Understanding what a user typed: normalisation, words, stopwords, and safe FTS5 expressions.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MAX_QUERY_CHARS = 2000  # longer input is cut: a pasted page adds nothing a paragraph doesn't
MAX_TERMS = 32
MAX_TERM_CHARS = 40

# Same notion of a word as FTS5's unicode61 tokenizer: runs of letters and digits.
WORD = re.compile(r"[^\W_]+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_AFTER_URL = ">)]}.,;:!?'\"”’"
MAX_LINKS = 5
# "/search ...", "!search ...", "search: ..." pasted along with the query.
_COMMAND_PREFIX = re.compile(r"^\s*(?:[/!?.]\s*(?:search|find|s)\b|(?:search|find)\s*:)\s*", re.I)
_MENTION = re.compile(r"<(?:@[!&]?|#|a?:\w+:)\d+>|@(?:everyone|here)\b")
_ENDS_MID_WORD = re.compile(r"[^\W_]$")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves s t don didn doesn isn wasn aren
    weren won wouldn shouldn couldn ve ll re d m also get got via vs etc""".split()
    # Chatter people wrap around a search in a chat: "anyone know that post about ...".
    + """anyone anybody know knows pls plz please lol find found looking remember post posts
    article thread someone somebody thing things one ones wants want wanted""".split()
)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query reduced to what search works with."""

    raw: str
    text: str  # the words, space-separated, as typed (for display and fuzzy comparison)
    words: tuple[str, ...]  # every folded word in order, repeats kept (for phrase matching)
    terms: tuple[str, ...]  # distinct folded words, in order
    keywords: tuple[str, ...]  # terms that are not stopwords (all terms if every one is)
    open_ended: bool  # the last word may be unfinished (typed without a space after it)
    links: tuple[str, ...] = ()  # URLs pasted into the query (not searched as words)

    @property
    def empty(self) -> bool:
        return not self.terms


def fold(word: str) -> str:
    """Case- and accent-insensitive form of a word, as the FTS index stores it."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words_of(text: str) -> list[str]:
    """The folded words of a text, in order (the same words `fold` gives, word by word)."""
    # Normalising the whole text at once is several times faster than folding word by word.
    text = text.casefold()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return WORD.findall(text)


def parse_query(raw: str) -> ParsedQuery:
    """Normalise user input: NFKC, no command prefix, URLs, mentions or markdown; folded words."""
    text = unicodedata.normalize("NFKC", raw[:MAX_QUERY_CHARS]).replace("\x00", " ")
    text = _COMMAND_PREFIX.sub("", text)
    # Discord users wrap a link in <...> to keep it from unfurling; a sentence may end right after.
    links = tuple(dict.fromkeys(_link(url) for url in _URL.findall(text)))
    text = _MENTION.sub(" ", _URL.sub(" ", text))
    surface = WORD.findall(text)
    words = tuple(w for w in (fold(word) for word in surface) if len(w) <= MAX_TERM_CHARS)
    terms = tuple(dict.fromkeys(words))[:MAX_TERMS]
    keywords = tuple(t for t in terms if t not in STOPWORDS) or terms
    return ParsedQuery(
        raw=raw,
        text=" ".join(surface),
        words=words[: MAX_TERMS * 4],
        terms=terms,
        keywords=keywords,
        open_ended=bool(_ENDS_MID_WORD.search(text)),
        links=links[:MAX_LINKS],
    )


def _link(url: str) -> str:
    url = url.rstrip(_AFTER_URL)
    return url if "://" in url else "https://" + url  # "www.lesswrong.com/posts/..."


def fts_quote(term: str) -> str:
    """One term as an FTS5 string literal: whatever it holds, FTS5 reads it as plain text."""
    return '"' + term.replace('"', '""') + '"'


def fts_any(terms: Iterable[str]) -> str:
    """An FTS5 expression matching rows that hold any of the terms."""
    return " OR ".join(fts_quote(term) for term in terms)


def fts_all(groups: Iterable[Iterable[str]]) -> str:
    """An FTS5 expression matching rows that hold, for every group, one of its terms."""
    return " AND ".join(f"({fts_any(group)})" for group in groups)
