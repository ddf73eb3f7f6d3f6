from datetime import UTC, datetime

from bot.archive.expand import Concept
from bot.archive.models import StoredPost
from bot.archive.query import parse_query
from bot.archive.rank import answer_pattern, coverage, looks_like_heading, rank
from bot.archive.store import ParagraphRow

WHEN = datetime(2026, 6, 4, tzinfo=UTC)


def concept(word, weight=10.0, **forms):
    return Concept(word, forms={word: 1.0, **forms}, documents={word: 3}, weight=weight)


def post(post_id, title):
    return StoredPost(post_id, title, None, None, None, WHEN, 10)


def row(post_id, position, text):
    return ParagraphRow(post_id * 100 + position, post_id, position, text, -1.0)


def top(query, concepts, rows, posts):
    return rank(parse_query(query), concepts, rows, posts)[0].row


def test_the_paragraph_holding_the_rare_word_wins():
    rows = [row(1, 0, "The battery is large and heavy."), row(1, 1, "A LiFePO4 battery lasts.")]
    best = top(
        "lifepo4 battery", [concept("lifepo4", 30), concept("battery", 5)], rows, {1: post(1, "x")}
    )
    assert best.position == 1


def test_a_bare_heading_yields_to_the_paragraph_under_it():
    rows = [
        row(1, 4, "Unionize the lab employees"),
        row(1, 5, "You might try to create one union per lab, for cross-lab solidarity and pay."),
    ]
    best = top(
        "unionize lab",
        [concept("unionize", 20.0), concept("lab")],
        rows,
        {1: post(1, "x")},
    )
    assert best.position == 5


def test_a_title_match_puts_its_post_first():
    rows = [
        row(1, 0, "Oracles are mentioned here in passing."),
        row(2, 0, "Something else entirely."),
    ]
    posts = {1: post(1, "Unrelated"), 2: post(2, "Building Better Activation Oracles")}
    assert (
        top("activation oracles", [concept("activation"), concept("oracles")], rows, posts).post_id
        == 2
    )


def test_words_next_to_each_other_beat_words_far_apart():
    near = row(1, 0, "We trained an activation oracle on many tasks and it worked well enough.")
    far = row(2, 0, "The activation of the plan was slow; much later, an oracle was consulted.")
    posts = {1: post(1, "a"), 2: post(2, "b")}
    assert (
        top(
            "activation oracle", [concept("activation"), concept("oracle")], [far, near], posts
        ).post_id
        == 1
    )


def test_questions_expect_their_kind_of_answer():
    def cues(text):
        parsed = parse_query(text)
        return answer_pattern(parsed, [concept(w) for w in parsed.keywords])

    [(duration, _)] = cues("how long does the survey take")
    assert duration.search("in about 5 minutes") and not duration.search("the survey is anonymous")
    [(amount, _)] = cues("how much does the fellowship pay")
    assert amount.search("a stipend of $12k") and not amount.search("a stipend, paid monthly")
    definition = cues("what is DReST?")
    assert any(
        p.search("Discounted Reward for Same-Length Trajectories (DReST)") for p, _ in definition
    )
    assert cues("activation oracles") == []


def test_a_definition_question_shows_where_the_term_is_introduced():
    rows = [
        row(1, 69, "Table 1 reports test performance for default and DReST agents. DReST wins."),
        row(
            1,
            97,
            "The Discounted Reward for Same-Length Trajectories (DReST) reward function works.",
        ),
        row(2, 3, "Unrelated text about DReST and DReST again, a passing mention."),
    ]
    posts = {1: post(1, "Towards Shutdownable Agents"), 2: post(2, "Other")}
    ranked = rank(parse_query("what is DReST?"), [concept("drest")], rows, posts)
    assert ranked[0].row.position == 97
    # A lone term is asked about as much as a definition question is.
    assert top("drest", [concept("drest")], rows, posts).position == 97


def test_a_query_that_only_names_the_post_shows_how_it_opens():
    def at(position, text, bm25):
        return ParagraphRow(100 + position, 1, position, text, bm25)

    rows = [
        at(0, "Work done for our MATS Sprint project, mentored by Neel Nanda", 0.0),
        at(
            2,
            "TL;DR: We improved the original Activation Oracle training regime on rollouts.",
            -10.8,
        ),
        at(4, "Why activation oracles are hard", -12.0),
        at(
            5,
            "In Current activation oracles are hard to use, Arya shows where they fail us.",
            -11.7,
        ),
    ]
    concepts = [concept("activation"), concept("oracles", oracle=0.85)]
    posts = {1: post(1, "Building Better Activation Oracles")}
    ledes = {1: rows[0].text}
    ranked = rank(parse_query("activation oracles"), concepts, rows, posts, ledes)
    assert ranked[0].row.position == 2  # not the section under a heading that repeats the title


def test_heading_shapes():
    assert looks_like_heading("Brainstorming")
    assert looks_like_heading("13. The Art of the Jailbreak. We use the term generously.")
    assert not looks_like_heading("The first draft is supposed to be bad.")
    assert not looks_like_heading(
        "• DReST RL agents are 11% more USEFUL on our test set than default agents"
    )


def test_coverage_weighs_each_keyword_by_its_rarity():
    rare, common = concept("lifepo4", 6.0), concept("battery", 2.0)
    assert coverage([rare, common], {"lifepo4", "battery", "cost"}, 1000) == 1.0
    assert coverage([rare, common], {"battery"}, 1000) == 0.25
    assert coverage([rare, common], {"lifepo4"}, 1000) == 0.75
    assert coverage([rare, common], set(), 1000) == 0.0


def test_coverage_counts_another_form_at_its_weight_and_a_missing_word_as_the_rarest():
    oracles = concept("oracles", 2.0, oracle=0.85)
    assert coverage([oracles], {"oracle"}, 1000) == 0.85
    # A word the archive holds in no form weighs what a word in no paragraph would: log(1 + 1001).
    nowhere = Concept("zorblax")
    assert round(coverage([nowhere, concept("optimizer", 6.909)], {"optimizer"}, 1000), 3) == 0.5
    assert coverage([], {"anything"}, 1000) == 1.0
