from bot.archive.html import html_to_paragraphs, html_to_text


def test_block_elements_become_paragraphs_and_inline_elements_join():
    html = (
        "<h2>Heading</h2><p>One <em>two</em> <a href='#'>three</a>.</p>"
        "<ul><li>item a</li><li>item <b>b</b></li></ul>"
        "<blockquote><p>quoted</p></blockquote><pre>code  line</pre>"
    )
    assert html_to_paragraphs(html) == [
        "Heading",
        "One two three.",
        "item a",
        "item b",
        "quoted",
        "code line",
    ]


def test_scripts_styles_images_and_mathjax_are_dropped():
    html = (
        "<style>p { color: red }</style><script>alert('x')</script>"
        "<p>Before <img src='a.png' alt='alt text'> "
        "<mjx-container class='MathJax'><mjx-math>x</mjx-math></mjx-container> after</p>"
        "<p><span class='mjx-chtml MathJax_CHTML'>\\(y\\)</span>end</p><svg><text>svg</text></svg>"
    )
    assert html_to_paragraphs(html) == ["Before after", "end"]


def test_lesswrong_preamble_and_discuss_link_are_removed():
    html = (
        "Published on June 4, 2026 7:23 PM GMT<br/><br/><p>Body.</p>"
        '<br/><br/><a href="https://www.lesswrong.com/posts/x/y#comments">Discuss</a>'
    )
    assert html_to_paragraphs(html) == ["Body."]


def test_entities_are_decoded_and_whitespace_collapsed():
    assert html_to_paragraphs("<p>Tom&nbsp;&amp;&#160;Jerry&#8217;s\n\n  &lt;show&gt;</p>") == [
        "Tom & Jerry’s <show>"
    ]


def test_text_outside_blocks_and_after_br_is_kept_in_order():
    assert html_to_paragraphs("lead<p>mid</p>tail<br>next") == ["lead", "mid", "tail", "next"]


def test_comments_are_dropped_but_text_after_them_is_kept():
    assert html_to_paragraphs("<p>a <!-- hidden --> b</p>") == ["a b"]


def test_empty_and_garbage_input_give_no_paragraphs():
    assert html_to_paragraphs("") == []
    assert html_to_paragraphs("   ") == []
    assert html_to_paragraphs("<p></p><div> </div>") == []
    assert html_to_paragraphs("<<<>>>&&&") == ["<<<>>>&&&"]


def test_html_to_text_for_titles():
    assert html_to_text("Q&amp;A with <em>someone</em>") == "Q&A with someone"
    assert html_to_text("Plain  title ") == "Plain title"
