from bot.archive.titles import TitleIndex

ROWS = [
    (1, "Building Better Activation Oracles", 100),
    (2, "Activation Steering in Practice", 300),
    (3, "Rohin Shah on AGI Safety", 200),
    (4, "Thoughts on 'Learning Mechanics'", 50),
    (5, "A Field Guide to Quantum Gardening", 400),
]


def ids(index, typed, limit=25):
    return [post_id for post_id, _ in index.suggest(typed, limit)]


def test_empty_input_lists_the_newest_titles():
    assert ids(TitleIndex(ROWS), "", 3) == [5, 2, 3]


def test_words_match_anywhere_and_the_last_word_as_a_prefix():
    index = TitleIndex(ROWS)
    assert ids(index, "activ") == [2, 1]  # "Activation Steering..." starts with it
    assert ids(index, "oracles build") == [1]
    assert ids(index, "agi saf") == [3]


def test_titles_starting_with_the_typed_text_come_first():
    index = TitleIndex(ROWS)
    assert ids(index, "activation") == [2, 1]  # both start with it: newest first
    assert ids(index, "better activ") == [1]


def test_typos_are_forgiven_word_by_word():
    index = TitleIndex(ROWS)
    assert ids(index, "rohin shaw ") == [3]
    assert ids(index, "mechancis") == [4]


def test_nothing_matches_gives_nothing_and_limits_hold():
    index = TitleIndex(ROWS)
    assert ids(index, "zzzz qqqq") == []
    assert ids(index, "a", 2) == ids(index, "a")[:2]
    assert ids(index, "on", 0) == []


def test_a_very_short_prefix_is_answered_from_the_newest_titles():
    rows = [(n, f"Post {n} about a{n % 400}thing", n) for n in range(1, 5001)]
    index = TitleIndex(rows)
    found = ids(index, "a", 25)
    assert len(found) == 25 and found[0] == 5000
