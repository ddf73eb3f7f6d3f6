"""A deterministic synthetic archive: the shipped posts' sentences recombined at any size.

Real sentences keep the text realistic; a long Zipf-distributed tail of invented words stands in for
the names, jargon and typos of a real archive of ~100k posts, so the vocabulary grows with size the
way a real one does (Heaps' law) instead of stopping at the 19 posts' words.

    python bench/synthetic.py 100000 > bench/out/synthetic-100k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakeforum.corpus import material

SYLLABLES = (
    "ka lo mi ra ten vos quil bar dre sta pho nix gor tul mev zan rif oct plen sur dax "
    "wen cor fil har ist jun lek mor nav op pra qui sel tor ul vin wes xo yor zet"
).split()
FIRST_NAMES = (
    "Ada Ben Cleo Dov Eli Fay Gus Hana Ivo Jude Kai Lena Milo Nia Oren Pia Quinn Rhea Sol Tova"
).split()
LAST_NAMES = (
    "Abara Brandt Chen Dube Eklund Faro Gill Haas Ito Jovic Kerr Lund Moss Nagy Okoro Park".split()
)
EPOCH = datetime(2009, 2, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 6, 1, tzinfo=UTC) - EPOCH).total_seconds())


def invented_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def zipf_index(rng: random.Random, size: int, exponent: float = 1.1) -> int:
    """An index in [0, size) drawn from a truncated Zipf distribution (inverse-CDF, continuous)."""
    u = rng.random()
    a = 1.0 - exponent
    value = ((size**a - 1.0) * u + 1.0) ** (1.0 / a)
    return min(size - 1, int(value) - 1)


def generate(paragraphs: int, seed: int = 20260604) -> Iterator[dict]:
    """Posts as JSONL records, totalling `paragraphs` paragraphs."""
    rng = random.Random(seed)
    sentences, title_words = material()
    tail = [invented_word(rng) for _ in range(max(5000, paragraphs // 2))]
    authors = []
    for number in range(max(50, paragraphs // 200)):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        authors.append(name if number % 3 else f"{name} {invented_word(rng).title()}")
    written = 0
    number = 0
    while written < paragraphs:
        number += 1
        count = min(paragraphs - written, max(1, int(rng.lognormvariate(3.0, 0.8))))
        body = []
        for _ in range(count):
            text = " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 4)))
            words = text.split(" ")
            for _ in range(rng.randint(0, 3)):  # sprinkle the long tail
                words.insert(rng.randrange(len(words) + 1), tail[zipf_index(rng, len(tail))])
            body.append(" ".join(words))
        title_length = rng.randint(3, 9)
        title = " ".join(
            rng.choice(title_words) if rng.random() < 0.75 else tail[zipf_index(rng, len(tail))]
            for _ in range(title_length)
        )
        published = EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        post_id = f"{number:017d}"
        yield {
            "title": f"{title} ({number})",
            "url": f"https://www.lesswrong.com/posts/{post_id}/synthetic-{number}",
            "guid": post_id,
            "author": rng.choice(authors),
            "published": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "paragraphs": body,
        }
        written += count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paragraphs", type=int)
    parser.add_argument("--seed", type=int, default=20260604)
    args = parser.parse_args()
    out = sys.stdout
    for record in generate(args.paragraphs, args.seed):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
