import pytest

from bot.archive.expand import expand
from bot.archive.models import Post, SourceDocument
from bot.archive.query import parse_query

WORDS = [
    ("space", 40),
    ("spec", 12),
    ("spice", 2),
    ("world", 30),
    ("would", 400),
    ("oracle", 5),
    ("oracles", 9),
    ("training", 50),
    ("trained", 20),
    ("train", 10),
    ("activation", 30),
    ("activations", 25),
    ("active", 8),
]


@pytest.fixture
async def vocabulary_archive(archive):
    """An archive whose vocabulary holds WORDS, each in as many paragraphs as its count."""
    posts = []
    for word, count in WORDS:
        for n in range(count):
            posts.append(Post(f"{word} {n}", (f"{word} filler{n}",)))
    await archive.ingest(SourceDocument("words", "jsonl", posts))
    return archive


async def concepts_of(archive, query):
    return {c.word: c for c in await expand(parse_query(query), archive, 1000)}


async def test_a_word_in_the_archive_keeps_its_form_and_gains_its_inflections(vocabulary_archive):
    concept = (await concepts_of(vocabulary_archive, "oracles training "))["oracles"]
    assert concept.forms["oracles"] == 1.0
    assert 0 < concept.forms["oracle"] < 1.0
    assert not concept.corrected


async def test_typo_keeps_the_close_candidates_for_context_to_decide(vocabulary_archive):
    concept = (await concepts_of(vocabulary_archive, "spce "))["spce"]
    assert concept.corrected
    assert {"spec", "space"} <= set(concept.forms)


async def test_transposed_letters_count_as_one_edit_and_stopwords_lose_ties(vocabulary_archive):
    concept = (await concepts_of(vocabulary_archive, "wrold "))["wrold"]
    assert next(iter(concept.forms)) == "world"


async def test_an_unfinished_last_word_is_completed(vocabulary_archive):
    concept = (await concepts_of(vocabulary_archive, "activ"))["activ"]
    assert {"activation", "activations"} <= set(concept.forms)


async def test_rare_words_weigh_more_than_common_ones(vocabulary_archive):
    concepts = await concepts_of(vocabulary_archive, "spice space ")
    assert concepts["spice"].weight > concepts["space"].weight > 0


async def test_a_word_nowhere_near_the_vocabulary_is_not_matchable(vocabulary_archive):
    assert not (await concepts_of(vocabulary_archive, "xqzvbn "))["xqzvbn"].matchable
