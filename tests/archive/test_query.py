from bot.archive.query import fold, fts_all, fts_any, parse_query


def test_command_prefixes_urls_mentions_and_markdown_are_stripped():
    parsed = parse_query("/search **Activation** <@123> @everyone https://x.org/a?b=c `oracles`")
    assert parsed.terms == ("activation", "oracles")
    assert parse_query("search: DReST").terms == ("drest",)
    assert parse_query("!find sandbagging").terms == ("sandbagging",)
    assert parse_query("search engines").terms == ("search", "engines")  # a word, not a command


def test_stopwords_and_chatter_are_not_keywords_unless_nothing_else_is_left():
    parsed = parse_query("anyone know that post about the air purifier?")
    assert parsed.keywords == ("air", "purifier")
    assert parse_query("the who").keywords == ("the", "who")


def test_folding_matches_the_index():
    assert fold("Naïve") == "naive"
    assert fold("ÉCOLE") == "ecole"
    assert parse_query("Don’t  panic").words == ("don", "t", "panic")


def test_open_ended_means_the_last_word_may_be_unfinished():
    assert parse_query("activation orac").open_ended
    assert not parse_query("activation oracles ").open_ended
    assert not parse_query("what is DReST?").open_ended


def test_fts_expressions_quote_every_term():
    assert fts_any(["a", 'b"c']) == '"a" OR "b""c"'
    assert fts_all([["x", "y"], ["z"]]) == '("x" OR "y") AND ("z")'


def test_huge_input_is_bounded():
    parsed = parse_query("word" + " word".join(str(i) for i in range(10_000)))
    assert len(parsed.terms) <= 32
