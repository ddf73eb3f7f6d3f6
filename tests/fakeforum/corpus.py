"""A deterministic forum archive of any size: the shipped posts' sentences recombined into HTML
shaped like LessWrong's (headings, lists, links, quotes, code, MathJax output with its TeX in
aria-label, footnotes, figures, inlined MathJax CSS), with karma, tags, coauthors, events, deleted
authors and one crowd of posts sharing a single postedAt, as legacy imports have.

Each post's HTML is made when it is asked for, from the post's own seed: 100k posts cost the
server their metadata only.
"""

from __future__ import annotations

import random
import re
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache

from bot.archive.dump import parse_dump
from bot.config import shipped_archive

from .views import FakePost

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])")
FIRST = datetime(2006, 11, 22, tzinfo=UTC)
LAST = datetime(2026, 6, 1, tzinfo=UTC)
TAGS = (
    "AI",
    "Rationality",
    "World Modeling",
    "Interpretability (ML & AI)",
    "AI Governance",
    "Decision Theory",
    "Practical",
    "Community",
    "Forecasting & Prediction",
    "Epistemology",
)
NAMES = "Ada Ben Cleo Dov Eli Fay Gus Hana Ivo Jude Kai Lena Milo Nia Oren Pia Quinn Rhea".split()
SURNAMES = (
    "Abara Brandt Chen Dube Eklund Faro Gill Haas Ito Jovic Kerr Lund Moss Nagy Okoro".split()
)
MATHJAX_CSS = (
    "<style>.mjx-chtml {display: inline-block; line-height: 0; text-indent: 0;} "
    ".mjx-math {display: inline-block; border-collapse: separate;} "
    "@font-face {font-family: MJXc-TeX-main-R; src: local('MathJax_Main');}</style>"
)
FORMULAS = ("x^2", "\\frac{a}{b}", "P(A \\mid B)", "\\mathbb{E}[U]", "\\sum_i w_i x_i")


@cache
def material() -> tuple[list[str], list[str]]:
    """Sentences and title words of the shipped archive."""
    path = shipped_archive()
    assert path is not None, "the shipped archive must be in data/"
    posts = parse_dump(path).posts
    sentences = [
        sentence
        for post in posts
        for paragraph in post.paragraphs
        for sentence in SENTENCE.split(paragraph)
        if 20 <= len(sentence) <= 400
    ]
    return sentences, [word for post in posts for word in post.title.split()]


def post_html(seed: int) -> str:
    """The HTML body of post `seed`, the same every time."""
    rng = random.Random(seed)
    sentences, _ = material()
    parts = [MATHJAX_CSS] if rng.random() < 0.15 else []
    notes = []
    for number in range(max(1, int(rng.lognormvariate(3.0, 0.8)))):
        text = _escape(" ".join(rng.choice(sentences) for _ in range(rng.randint(1, 4))))
        roll = rng.random()
        if number and roll < 0.06:
            parts.append(f"<h2>{text[:60]}</h2>")
        elif roll < 0.14:
            items = "".join(f"<li>{piece}</li>" for piece in text.split(". ")[:4])
            parts.append(f"<ul>{items}</ul>")
        elif roll < 0.18:
            parts.append(f"<blockquote><p>{text}</p></blockquote>")
        elif roll < 0.20:
            parts.append(f"<pre><code>{text[:120]}</code></pre>")
        elif roll < 0.22:
            parts.append(
                f'<figure><img src="https://res.cloudinary.com/x/{seed}.png">'
                f"<figcaption>Figure {number}: {text[:80]}</figcaption></figure>"
            )
        else:
            words = text.split(" ")
            if rng.random() < 0.3:
                at = rng.randrange(len(words))
                words[at] = f'<a href="https://example.org/{seed}/{number}">{words[at]}</a>'
            if rng.random() < 0.2:
                words.insert(rng.randrange(len(words) + 1), _formula(rng.choice(FORMULAS)))
            if rng.random() < 0.05:
                notes.append(rng.choice(sentences))
                words.append(
                    f'<sup class="footnote-ref"><a href="#fn-{seed}-{len(notes)}">'
                    f"[{len(notes)}]</a></sup>"
                )
            parts.append(f"<p>{' '.join(words)}</p>")
    if notes:
        items = "".join(
            f'<li id="fn-{seed}-{n}" class="footnote-item"><p>{_escape(note)} '
            f'<a href="#fnref-{seed}-{n}" class="footnote-backref">↩︎</a></p></li>'
            for n, note in enumerate(notes, 1)
        )
        parts.append(
            f'<section class="footnotes"><ol class="footnotes-list">{items}</ol></section>'
        )
    return "".join(parts)


def generate(count: int, seed: int = 20261202, crowd: int = 150) -> list[FakePost]:
    """`count` posts, oldest first, more of them in later years; `crowd` share one instant."""
    rng = random.Random(seed)
    _, title_words = material()
    span = (LAST - FIRST).total_seconds()
    moments = sorted(FIRST + timedelta(seconds=span * rng.random() ** 0.6) for _ in range(count))
    if crowd and count > crowd * 2:
        legacy = moments[count // 10].replace(microsecond=0)
        moments[count // 10 : count // 10 + crowd] = [legacy] * crowd
        moments.sort()
    posts = []
    for number, moment in enumerate(moments):
        title = " ".join(rng.choice(title_words) for _ in range(rng.randint(3, 9)))
        author = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"
        post = FakePost(
            _id=_post_id(rng),
            title=f"{title} ({number})",
            postedAt=moment.replace(microsecond=moment.microsecond // 1000 * 1000),
            html=lambda seed=seed + number: post_html(seed),
            baseScore=float(int(rng.lognormvariate(2.5, 1.2))),
            commentCount=float(int(rng.lognormvariate(1.5, 1.2))),
            af=rng.random() < 0.1,
            question=rng.random() < 0.03,
            isEvent=rng.random() < 0.02,
            user=None
            if rng.random() < 0.01
            else {
                "_id": f"u{zlib.crc32(author.encode()):08x}",
                "displayName": author,
                "username": author.lower().replace(" ", "-"),
            },
            coauthors=[
                {"_id": f"c{n}", "displayName": f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"}
                for n in range(rng.choice((0, 0, 0, 0, 1, 2)))
            ],
            tags=rng.sample(TAGS, rng.randint(0, 3)),
            onlyVisibleToLoggedIn=rng.random() < 0.005,
        )
        posts.append(post)
    return posts


def _post_id(rng: random.Random) -> str:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
    return "".join(rng.choice(alphabet) for _ in range(17))


def _formula(tex: str) -> str:
    glyphs = re.sub(r"[\\{}_^]", "", tex)
    return (
        '<span class="math-tex"><span class="mjpage"><span class="mjx-chtml">'
        f'<span class="mjx-math" aria-label="{_escape(tex)}"><span class="mjx-mrow" '
        f'aria-hidden="true"><span class="mjx-char MJXc-TeX-math-I">{_escape(glyphs)}</span>'
        "</span></span></span></span></span>"
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
