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


def test_tex_source_of_formulas_is_kept_as_text():
    rendered = (
        '<span class="math-tex"><span class="mjpage"><span class="mjx-chtml">'
        '<span class="mjx-math" aria-label="\\sqrt{\\frac{a}{b}}"><span class="mjx-mrow" '
        'aria-hidden="true"><span class="mjx-char">√ab</span></span></span></span></span></span>'
    )
    display = (
        '<span class="math-tex"><span class="mjpage mjpage__block"><span class="mjx-chtml '
        'MJXc-display"><span class="mjx-math" aria-label="E = mc^2">Emc2</span></span></span></span>'
    )
    html = (
        f"<p>Let {rendered} be the ratio.</p>"
        '<p>Editor form: <span class="math-tex">\\(x^2 + 1\\)</span> stays.</p>'
        f"<p>{display}</p>"
        '<p>Old MathJax <script type="math/tex">\\alpha</script> and MathML '
        '<math alttext="\\beta"><mi>β</mi></math>.</p>'
    )
    assert html_to_paragraphs(html) == [
        "Let \\(\\sqrt{\\frac{a}{b}}\\) be the ratio.",
        "Editor form: \\(x^2 + 1\\) stays.",
        "\\[E = mc^2\\]",
        "Old MathJax \\(\\alpha\\) and MathML \\(\\beta\\).",
    ]


def test_footnotes_read_as_numbered_notes_without_back_links():
    markdown_it = (
        '<p>Claim.<sup class="footnote-ref"><a href="#fn-x-1" id="fnref-x-1">[1]</a></sup></p>'
        '<hr class="footnotes-sep"><section class="footnotes"><ol class="footnotes-list">'
        '<li id="fn-x-1" class="footnote-item"><p>The source. '
        '<a href="#fnref-x-1" class="footnote-backref">↩︎</a></p></li></ol></section>'
    )
    ckeditor = (
        '<ol class="footnote-section footnotes" role="doc-endnotes"><li class="footnote-item" '
        'data-footnote-index="2" role="doc-endnote"><span class="footnote-back-link"><sup><strong>'
        '<a href="#fnrefy">^</a></strong></sup></span><div class="footnote-content">'
        "<p>Second note.</p></div></li></ol>"
    )
    assert html_to_paragraphs(markdown_it + ckeditor) == [
        "Claim.[1]",
        "[1] The source.",
        "[2] Second note.",
    ]


def test_table_rows_keep_their_cells_apart_and_code_blocks_stay_whole():
    html = (
        "<table><tr><th>Model</th><th>Score</th></tr><tr><td>A</td><td>0.9</td></tr></table>"
        "<pre><code>def f(x):\n    return x</code></pre><figure><img src='x.png'>"
        "<figcaption>Figure 1: a caption</figcaption></figure>"
    )
    assert html_to_paragraphs(html) == [
        "Model | Score",
        "A | 0.9",
        "def f(x): return x",
        "Figure 1: a caption",
    ]
