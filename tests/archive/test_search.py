import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.archive.query import fts_any, parse_query
from bot.archive.search import Searcher
from bot.archive.sources import read_source


@pytest.fixture
async def searcher(archive, shipped_dump):
    await archive.ingest(await read_source(str(shipped_dump)))
    return Searcher(archive)


HOSTILE = [
    "",
    "   ",
    '"',
    '""""',
    "'",
    "*",
    "activation*",
    "title:oracles",
    "^start",
    "NEAR(a b)",
    "a AND OR NOT b",
    "(((",
    ")",
    "-minus +plus",
    "oracles\x00nul",
    "🤖🧠 emoji only",
    "emoji 🤖 oracles",
    "SELECT * FROM posts; DROP TABLE posts; --",
    "x" * 10_000,
    "word " * 2_000,
    "\u202e\u200b\ufeff",
    "日本語のテキスト",
    "café naïve",
    "@everyone <@123> <#456>",
    "/search activation oracles",
    "https://www.lesswrong.com/posts/heXwuDRfbQQgB5JLP/building-better-activation-oracles",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_never_raise(searcher, query):
    hits = await searcher.search(query, limit=5)
    assert len(hits) <= 5
    await searcher.suggest_titles(query)


async def test_a_query_finds_its_post(searcher):
    [first, *_] = await searcher.search("activation oracles")
    assert first.post.title == "Building Better Activation Oracles"
    assert first.post.url.startswith("https://www.lesswrong.com/posts/heXwuDRfbQQgB5JLP")


async def test_a_pasted_link_to_a_post_in_the_archive_searches_that_post(searcher):
    link = "https://www.lesswrong.com/posts/heXwuDRfbQQgB5JLP/building-better-activation-oracles"
    [opening] = await searcher.search(link, limit=5)  # a link alone: how the post opens
    assert opening.post.title == "Building Better Activation Oracles"
    assert opening.paragraph == 0 and opening.text.startswith("Work done for our MATS")

    # With words, only that post's paragraphs that hold them.
    hits = await searcher.search(f"<{link}> layer", limit=5)  # <...>: Discord's unfurl guard
    assert hits and {hit.post.title for hit in hits} == {"Building Better Activation Oracles"}
    assert all("layer" in hit.text.lower() for hit in hits)
    by_id = await searcher.search("www.lesswrong.com/posts/heXwuDRfbQQgB5JLP, layer", limit=5)
    assert [hit.paragraph for hit in by_id] == [hit.paragraph for hit in hits]

    # A link to a post the archive does not hold is ignored like any other URL.
    elsewhere = await searcher.search("https://example.com/x activation oracles", limit=1)
    assert elsewhere[0].post.title == "Building Better Activation Oracles"
    assert await searcher.search("https://www.lesswrong.com/posts/AAAAAAAAAAAAAAAAA/x") == []


async def test_fts_operators_are_searched_as_words(searcher):
    hits = await searcher.search("NEAR AND oracles")
    assert hits and hits[0].post.title == "Building Better Activation Oracles"


async def test_one_post_does_not_fill_the_page(searcher):
    hits = await searcher.search("activation oracles training", limit=6)
    assert len({hit.post.id for hit in hits}) >= 3


async def test_excerpt_marks_the_matched_words(searcher):
    [hit, *_] = await searcher.search("air purifier battery")
    marked = hit.excerpt.marked("[", "]")
    assert "[" in marked
    for start, end in hit.excerpt.spans:
        assert hit.excerpt.text[start:end].lower().startswith(("air", "purifier", "batter"))
    assert len(hit.excerpt.text) <= 302


async def test_filters_and_paging(searcher):
    from datetime import UTC, datetime

    later = await searcher.search("AI", limit=20, after=datetime(2026, 6, 4, tzinfo=UTC))
    assert later and all(h.post.published >= datetime(2026, 6, 4, tzinfo=UTC) for h in later)
    page1 = await searcher.search("model", limit=3)
    page2 = await searcher.search("model", limit=3, offset=3)
    assert {(h.post.id, h.paragraph) for h in page1}.isdisjoint(
        {(h.post.id, h.paragraph) for h in page2}
    )


async def test_suggest_titles_prefers_prefix_matches(searcher):
    suggestions = await searcher.suggest_titles("build")
    assert suggestions[0].title == "Building Better Activation Oracles"
    assert len(await searcher.suggest_titles("")) == 19


def test_fts_expression_quotes_every_token():
    parsed = parse_query('say "NEAR(x)" OR col:val*')
    assert fts_any(parsed.keywords) == '"say" OR "near" OR "x" OR "col" OR "val"'


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.one_of(
        st.text(max_size=200),
        st.text(alphabet=st.sampled_from('"*:^()-+ NEARANDORNOT\x00\n\t{}[]'), max_size=80),
        st.text(min_size=5_000, max_size=10_000),
    ),
    limit=st.integers(min_value=-5, max_value=200),
)
async def test_property_search_never_raises_and_respects_limits(searcher, query, limit):
    hits = await searcher.search(query, limit=limit)
    assert len(hits) <= max(0, min(limit, 100))
    for hit in hits:
        assert 0 <= hit.paragraph < hit.post.paragraph_count
        for start, end in hit.excerpt.spans:
            assert 0 <= start < end <= len(hit.excerpt.text)
    suggestions = await searcher.suggest_titles(query, limit=limit)
    assert len(suggestions) <= max(0, min(limit, 25))


async def test_did_you_mean_corrects_typos_and_offers_close_titles(searcher):
    suggestions = await searcher.did_you_mean("shutdownable agnets")
    assert suggestions[0] == "shutdownable agents"
    assert any(s.startswith("Towards Shutdownable Agents") for s in suggestions)
    assert await searcher.did_you_mean("") == []


async def test_autocomplete_follows_new_ingests(searcher, archive):
    from bot.archive.models import Post, SourceDocument

    assert not [p for p in await searcher.suggest_titles("zebra") if "Zebra" in p.title]
    await archive.ingest(SourceDocument("x", "jsonl", [Post("Zebra Crossings", ("stripes",))]))
    assert (await searcher.suggest_titles("zebra"))[0].title == "Zebra Crossings"


async def test_hits_for_a_question_the_archive_does_not_answer_are_weak(searcher):
    query = "best hiking trails in colorado"
    hits = await searcher.search(query, limit=5)
    assert hits  # some paragraph holds "best" or "trails": the closest, not an answer
    assert await searcher.coverage(query, hits) < 0.5
    assert await searcher.weak(query, hits)


async def test_hits_that_answer_the_query_are_not_weak(searcher):
    for query in ("air purifier on batteries", "scheming", "sandbaging evalution arithmatic"):
        hits = await searcher.search(query, limit=5)
        assert hits and not await searcher.weak(query, hits), query


async def test_no_hits_a_link_or_no_words_are_never_weak(searcher):
    assert not await searcher.weak("qwxzv", await searcher.search("qwxzv"))
    link = "https://www.lesswrong.com/posts/heXwuDRfbQQgB5JLP/x recipe for chocolate cookies"
    assert not await searcher.weak(link, await searcher.search(link))
    hits = await searcher.search("air purifier")
    assert not await searcher.weak("?!", hits)


async def test_what_unmatched_and_weak_reuse_follows_new_ingests(searcher, archive):
    from bot.archive.models import Post, SourceDocument

    query = "zorblax recipes"
    hits = await searcher.search(query)
    assert await searcher.unmatched(query, hits) == ["zorblax"]
    text = ("Zorblax recipes, collected over many years, for the cook in a hurry.",)
    await archive.ingest(SourceDocument("x", "jsonl", [Post("Zorblax Recipes", text)]))
    hits = await searcher.search(query)
    assert hits[0].post.title == "Zorblax Recipes"
    assert await searcher.unmatched(query, hits) == []
    assert not await searcher.weak(query, hits)
