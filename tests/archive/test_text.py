import pytest

from bot.archive.html import html_to_paragraphs
from bot.archive.text import clean_text, printable, strip_controls, strip_markup_controls


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Ring\x07 the bell", "Ring the bell"),
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
        ("NUL\x00 and DEL\x7f and CSI\x9b", "NUL and DEL and CSI"),
        ("back\x08space", "backspace"),
        ("field\x1fseparated\x0cpage", "field separated page"),
        ("next\x85line", "next line"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("plain text stays", "plain text stays"),
    ],
)
def test_clean_text_removes_control_characters(raw, clean):
    assert clean_text(raw) == clean


def test_strip_controls_keeps_lines_and_tabs_and_counts_what_it_removed():
    assert strip_controls("a\tb\nc\r\n\x07d\x1ce") == ("a\tb\nc\r\nd e", 2)
    assert strip_controls("clean") == ("clean", 0)


def test_markup_loses_controls_written_as_references_but_keeps_escaped_text():
    markup = "<p>&#x1b;[31m &#27; &#7; &#9; &amp;#27; &#x1F;</p>"
    assert strip_markup_controls(markup) == ("<p>[31m   &#9; &amp;#27; </p>", 4)


def test_a_text_only_body_with_a_control_reference_keeps_its_text():
    # lxml refuses to hold a control character as the leading text of an element.
    assert html_to_paragraphs("Body &#x1b; two \x07 three") == ["Body two three"]


def test_printable_shows_every_control_character_as_a_symbol():
    assert printable("\x1b[31mred\x07\x00\x7f\x9b\ttab\n") == "␛[31mred␇␀␡\ufffd␉tab␊"
    assert printable("naïve — dash") == "naïve — dash"
