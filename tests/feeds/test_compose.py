"""Pure parts: grouping into messages, excerpts, keywords, the polling schedule."""

from __future__ import annotations

import random

import pytest

from bot.feeds.compose import opening_excerpt, plan_groups
from bot.feeds.models import (
    OutboxRow,
    OutboxState,
    matches_keywords,
    parse_keywords,
)
from bot.feeds.schedule import PollPolicy


def rows(posts: int, notices: int = 0) -> list[OutboxRow]:
    made = [
        OutboxRow(n, 1, n, None, OutboxState.PENDING, None, 0, None, None, 0)
        for n in range(1, posts + 1)
    ]
    made += [
        OutboxRow(100 + n, 1, None, "paused", OutboxState.PENDING, None, 0, None, None, 0)
        for n in range(notices)
    ]
    return made


@pytest.mark.parametrize(
    "posts, sizes",
    [(1, [1]), (3, [1, 1, 1]), (4, [4]), (10, [10]), (11, [6, 5]), (25, [9, 9, 7])],
)
def test_a_few_posts_go_alone_and_a_burst_is_split_into_even_digests(posts, sizes):
    groups = plan_groups(rows(posts), digest_after=3, digest_max=10)
    assert [len(group) for group in groups] == sizes
    assert [row.id for group in groups for row in group] == list(range(1, posts + 1))


def test_notices_are_never_part_of_a_digest():
    groups = plan_groups(rows(5, notices=1), digest_after=3, digest_max=10)
    assert [[row.post_id for row in group] for group in groups] == [[None], [1, 2, 3, 4, 5]]


def test_the_excerpt_is_the_opening_cut_at_a_word():
    paragraphs = ["Short opening.", "A second paragraph " + "with many words " * 40, "Third."]
    excerpt = opening_excerpt(paragraphs, limit=120)
    assert excerpt.startswith("Short opening.\n\nA second paragraph with many words")
    assert len(excerpt) <= 120 and excerpt.endswith("…")
    assert not excerpt[:-1].endswith(" ")
    assert opening_excerpt(["Only this."]) == "Only this."


def test_keywords_are_parsed_folded_and_limited():
    assert parse_keywords(" Activation Oracles, naïve,, AI ") == (
        "activation oracles",
        "naive",
        "ai",
    )
    assert parse_keywords("") == ()
    with pytest.raises(ValueError, match="no letters"):
        parse_keywords("ai, ???")
    with pytest.raises(ValueError, match="at most 20"):
        parse_keywords(",".join(f"word{n}" for n in range(21)))


def test_keywords_match_whole_words_and_phrases():
    keywords = parse_keywords("oracle, interpretability work")
    assert matches_keywords(keywords, "An Oracle", [])
    assert not matches_keywords(keywords, "Oracles", [])  # whole words only
    assert matches_keywords(keywords, "T", ["Some Interpretability  work here."])
    assert not matches_keywords(keywords, "T", ["work on interpretability"])
    assert matches_keywords((), "anything", [])


def test_backoff_doubles_up_to_the_cap_then_pauses():
    policy = PollPolicy(interval=600, backoff_cap=3000, pause_after=5, paused_retry=7200)
    assert [policy.backoff(n) for n in range(1, 7)] == [600, 1200, 2400, 3000, 7200, 7200]


def test_jitter_stays_within_bounds_and_retry_after_wins_up_to_a_day():
    policy = PollPolicy(interval=600, jitter=0.2, rng=random.Random(1))
    delays = [policy.after_failure(0, 2, None)[0] for _ in range(200)]
    assert min(delays) >= 960 and max(delays) <= 1440 and len(set(delays)) > 50
    assert policy.after_failure(0, 1, 5000) == (5000, False)
    assert policy.after_failure(0, 1, 10**9)[0] == 24 * 3600
    assert policy.after_failure(0, 6, None)[1] is True
