"""The bot's answers without Discord, over the shipped archive in a real SQLite file."""

from datetime import UTC, datetime

import pytest

from bot.archive.search import Searcher
from bot.archive.sources import read_source
from bot.services.answers import (
    PAGE_SIZE,
    WEAK_NOTE,
    Answers,
    BadInput,
    SearchRequest,
    unmatched_note,
    weak_note,
)
from bot.services.sessions import SessionStore


@pytest.fixture
async def answers(archive, shipped_dump, tmp_path):
    await archive.ingest(await read_source(str(shipped_dump)))
    sessions = await SessionStore.open(tmp_path / "sessions.db")
    yield Answers(archive, Searcher(archive), sessions)
    await sessions.close()


def test_a_request_is_checked_and_normalised():
    request = SearchRequest.parse("  activation\n oracles ", " Zvi ", "2026-06-03", "4 June 2026")
    assert request.query == "activation oracles" and request.author == "Zvi"
    assert request.after == datetime(2026, 6, 3, tzinfo=UTC)
    assert request.before == datetime(2026, 6, 4, tzinfo=UTC)
    assert SearchRequest.parse("x" * 6000).query == "x" * 2000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("",), "Type something to search for"),
        (("   \n\t",), "Type something to search for"),
        (("q", None, "someday"), "after: I can't read “someday” as a date"),
        (("q", None, None, "2026-99-01"), "before: I can't read"),
        (("q", None, "2026-06-05", "2026-06-04"), "must be earlier than"),
    ],
)
def test_unusable_requests_say_why(args, message):
    with pytest.raises(BadInput, match=message):
        SearchRequest.parse(*args)


async def test_pages_follow_each_other_and_the_session_remembers_the_search(answers):
    request = SearchRequest.parse("activation oracles")
    first = await answers.search(request, user_id=5)
    assert first.session_id is not None and first.page == 0 and first.has_next
    assert len(first.hits) == PAGE_SIZE
    assert first.hits[0].post.title == "Building Better Activation Oracles"
    session = await answers.session(first.session_id)
    assert session.user_id == 5 and session.query == "activation oracles"
    second = await answers.page(SearchRequest.from_session(session), 1, session.id)
    assert second.first_rank == 6
    seen = {(h.post.id, h.paragraph) for h in first.hits}
    assert not seen & {(h.post.id, h.paragraph) for h in second.hits}


async def test_typos_still_find_the_post(answers):
    page = await answers.search(SearchRequest.parse("activatoin oracels"), user_id=1)
    assert page.hits[0].post.title == "Building Better Activation Oracles"
    assert page.suggestions == []


async def test_no_hits_come_with_suggestions(answers):
    # Words run together defeat word-by-word correction; the title is still close as a whole.
    page = await answers.search(SearchRequest.parse("activationoracles"), user_id=1)
    assert page.hits == [] and not page.has_next
    assert page.suggestions[0] == "Building Better Activation Oracles"


async def test_hostile_queries_are_just_text(answers):
    for query in ['"unbalanced', "NEAR(a b) OR *", "@everyone <@123>", "💥" * 500, "\x00"]:
        page = await answers.search(SearchRequest.parse(query), user_id=1)
        assert isinstance(page.hits, list)


async def test_more_from_post_keeps_to_that_post_in_reading_order(answers):
    first = await answers.search(SearchRequest.parse("activation oracles"), user_id=1)
    post_id = first.hits[0].post.id
    matches = await answers.more_from_post(first.request, post_id)
    assert {hit.post.id for hit in matches.hits} == {post_id}
    positions = [hit.paragraph for hit in matches.hits]
    assert positions == sorted(positions) and len(positions) > 2
    assert await answers.more_from_post(first.request, 999_999) is None


@pytest.mark.parametrize(
    "typed",
    ["Building Better Activation Oracles", "bulding beter activation oracle", "activation"],
)
async def test_a_typed_title_finds_its_post(answers, typed):
    lookup = await answers.find_post(typed)
    assert lookup.post is not None and lookup.post.title == "Building Better Activation Oracles"


async def test_a_picked_choice_finds_its_post_exactly(answers):
    post = (await answers.title_choices("air"))[0]
    assert (await answers.find_post(f"post:{post.id}")).post == post


async def test_a_vague_title_offers_suggestions_instead_of_guessing(answers):
    lookup = await answers.find_post("ai")
    assert lookup.post is None and 1 <= len(lookup.suggestions) <= 3
    nothing = await answers.find_post("zzzzqqqq")
    assert nothing.post is None and nothing.suggestions == []


async def test_preview_has_opening_paragraphs_and_reading_time(answers):
    lookup = await answers.find_post("Running An Air Purifier on Batteries")
    preview = await answers.preview(lookup.post.id)
    assert preview.opening and sum(map(len, preview.opening[:-1])) <= 1200
    assert preview.words > 200 and preview.reading_minutes == round(preview.words / 238)


async def test_recent_is_newest_first_and_clamped(answers):
    posts = await answers.recent(3)
    assert len(posts) == 3
    assert posts[0].published >= posts[1].published >= posts[2].published
    assert len(await answers.recent(500)) == 19


def test_unmatched_note_names_the_missing_words_and_what_was_searched_instead():
    assert unmatched_note([], "air purifier") == ""
    assert unmatched_note(["mesa"], "Mesa optimization?") == (
        "No post mentions *mesa*; showing results for *optimization*."
    )
    assert unmatched_note(["zorblax", "quux"], "the zorblax quux") == (
        "No post mentions *zorblax*, *quux*."
    )


async def test_a_search_the_archive_does_not_answer_is_weak_on_its_first_page(answers):
    page = await answers.search(SearchRequest("recipe for chocolate chip cookies"), user_id=1)
    assert page.hits and page.weak and page.session_id is not None
    later = await answers.page(SearchRequest("recipe for chocolate chip cookies"), 1)
    assert later.hits and not later.weak  # judged where the best hits are, on the first page
    answered = await answers.search(SearchRequest("air purifier on batteries"), user_id=1)
    assert answered.hits and not answered.weak


def test_weak_note():
    assert weak_note(False) == ""
    assert (
        weak_note(True)
        == WEAK_NOTE
        == ("Nothing in the archive matches this well; the closest paragraphs:")
    )
