"""Deterministic benchmark queries drawn from a synthetic archive, of every kind people type."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

KINDS = ("title", "typo", "phrase", "name", "question", "keyword", "pasted", "noise")
WORD = re.compile(r"[A-Za-z]{4,}")
QUESTION_OPENERS = ("what is", "how does", "why do", "how much", "who wrote about", "when did")
NOISE = ("/search {}", "@everyone {} ??", "**{}** 🙏", "pls find: {}!!!", "<@1234> {}", "`{}`")


def typo(rng: random.Random, word: str) -> str:
    """One random edit: a swap, a drop, a double or a wrong letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    match rng.randrange(4):
        case 0:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        case 1:
            return word[:i] + word[i + 1 :]
        case 2:
            return word[:i] + word[i] + word[i:]
        case _:
            return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def make_queries(jsonl: Path, per_kind: int = 30, seed: int = 7) -> list[tuple[str, str]]:
    """(kind, query) pairs, `per_kind` of each kind, from posts sampled across the file."""
    posts = []
    with jsonl.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number % 37 == 0:  # a spread sample, without reading everything into memory
                posts.append(json.loads(line))
    return queries_for(posts, per_kind, seed)


def queries_for(posts: list[dict], per_kind: int = 30, seed: int = 7) -> list[tuple[str, str]]:
    """(kind, query) pairs from sample posts: dicts with title, author and paragraphs."""
    rng = random.Random(seed)
    posts = [post for post in posts if post.get("author") and post.get("paragraphs")]
    queries: list[tuple[str, str]] = []
    for kind in KINDS:
        for _ in range(per_kind):
            post = rng.choice(posts)
            paragraph = rng.choice(post["paragraphs"])
            words = WORD.findall(paragraph) or ["model"]
            if kind == "title":
                title_words = post["title"].split()[:-1]
                start = rng.randrange(max(1, len(title_words) - 2))
                query = " ".join(title_words[start : start + rng.randint(2, 4)])
            elif kind == "typo":
                query = " ".join(
                    typo(rng, w.lower()) for w in rng.sample(words, min(3, len(words)))
                )
            elif kind == "phrase":
                tokens = paragraph.split()
                start = rng.randrange(max(1, len(tokens) - 6))
                query = " ".join(tokens[start : start + rng.randint(4, 7)])
            elif kind == "name":
                query = post["author"] if rng.random() < 0.5 else typo(rng, post["author"])
            elif kind == "question":
                picked = rng.sample(words, min(2, len(words)))
                query = f"{rng.choice(QUESTION_OPENERS)} {' '.join(picked)}?"
            elif kind == "keyword":
                query = rng.choice(words).lower()
            elif kind == "pasted":
                query = paragraph[:400]
            else:
                query = rng.choice(NOISE).format(" ".join(rng.sample(words, min(2, len(words)))))
            queries.append((kind, query))
    return queries
