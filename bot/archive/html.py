"""Turn a post's HTML into paragraphs of plain text.

May import: bot.archive only; never discord.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from .text import clean_text, strip_markup_controls

# Each of these starts a new paragraph; text between them is joined.
BLOCK_TAGS = frozenset(
    [
        "p",
        "li",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "main",
        "nav",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "caption",
        "figcaption",
        "details",
        "summary",
        "hr",
        "address",
    ]
)
# Content that is not prose: dropped with everything inside.
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "img",
        "picture",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "video",
        "audio",
        "canvas",
        "button",
        "form",
        "input",
        "select",
        "textarea",
    ]
)
_CELL_TAGS = frozenset({"td", "th"})
_DISPLAY = re.compile(r"MJXc-display|mjpage__block|math-display")
# markdown-it's footnote-backref, CKEditor's footnote-back-link
_FOOTNOTE_BACKLINK = re.compile(r"footnote-back")
_PUBLISHED_PREFIX = re.compile(r"^\s*Published on [^<]{0,80}?GMT\s*(?:<br\s*/?>\s*)*", re.I)
_DISCUSS = "Discuss"


def html_to_paragraphs(html: str) -> list[str]:
    """Paragraphs of text in a fragment of post HTML, in document order.

    Block elements (p, li, blockquote, h1-h6, pre, ...) and <br> end a paragraph; scripts, styles,
    images and MathJax are dropped; entities are decoded; LessWrong's "Published on ... GMT"
    preamble and trailing "Discuss" link are removed.
    """
    html = _PUBLISHED_PREFIX.sub("", html or "", count=1)
    html, _ = strip_markup_controls(html)  # lxml refuses a text holding one
    if not html.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    paragraphs: list[str] = []
    buffer: list[str] = []
    prefix: list[str] = []  # a footnote's "[n] ", waiting for the footnote's first text
    cells: list[int] = [0]  # cells seen in the table row being read

    def flush() -> None:
        text = clean_text("".join(buffer))
        buffer.clear()
        if text:
            paragraphs.append(prefix.pop() + text if prefix else text)

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.lower()
        classes = (element.get("class") or "") if tag else ""
        if tag and (tex := _formula(element, tag, classes)) is not None:
            buffer.append(tex)
        elif tag in SKIP_TAGS or tag.startswith("mjx-") or _is_mathjax(classes):
            pass
        elif _FOOTNOTE_BACKLINK.search(classes):
            pass  # the "↩" or "^" that leads from a footnote back to the text
        elif tag == "br":
            flush()
        elif tag in BLOCK_TAGS:
            flush()
            if tag == "li" and "footnote-item" in classes:
                prefix[:] = [f"[{element.get('data-footnote-index') or _position(element)}] "]
            if tag == "tr":
                cells[0] = 0
            buffer.append(element.text or "")
            for child in element:
                walk(child)
            flush()
            if tag == "li":
                prefix.clear()  # an empty footnote keeps its number to itself
        elif tag:  # inline element, or a comment/processing instruction (tag is not a str)
            if tag in _CELL_TAGS:
                if cells[0]:
                    buffer.append(" | ")
                cells[0] += 1
            buffer.append(element.text or "")
            for child in element:
                walk(child)
        buffer.append(element.tail or "")

    walk(root)
    flush()
    if paragraphs and paragraphs[-1] == _DISCUSS:
        paragraphs.pop()
    return paragraphs


def html_to_text(html: str) -> str:
    """A short piece of HTML (a title, say) as one line of text."""
    if "<" not in html and "&" not in html:
        return clean_text(html)
    return " ".join(html_to_paragraphs(html))


def _is_mathjax(classes: str) -> bool:
    return "MathJax" in classes or "mjx-" in classes


def _formula(element: etree._Element, tag: str, classes: str) -> str | None:
    """The TeX source of a formula element, with its delimiters; None if it is no formula.

    LessWrong stores `<span class="math-tex">\\(x\\)</span>` from its editor, or the same span
    holding MathJax's rendered glyphs with the source in the `aria-label` of `.mjx-math`; MathJax
    2 pages carry it in `<script type="math/tex">`, MathML in `alttext` or a TeX annotation.
    Rendered glyphs without any source are not text: the caller drops them.
    """
    if tag == "script":
        kind = (element.get("type") or "").lower()
        if not kind.startswith("math/tex"):
            return None
        return _delimited((element.text or "").strip(), "mode=display" in kind)
    formula = tag in ("math", "mjx-container") or "math-tex" in classes or _is_mathjax(classes)
    if not formula:
        return None
    display = bool(_DISPLAY.search(classes)) or element.get("display") == "block"
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        node_classes = node.get("class") or ""
        display = display or bool(_DISPLAY.search(node_classes))
        label = node.get("aria-label") if "mjx-math" in node_classes else None
        label = label or node.get("alttext")
        if label is None and node.tag == "annotation" and "tex" in (node.get("encoding") or ""):
            label = node.text
        if label and label.strip():
            return _delimited(label.strip(), display)
    if "math-tex" in classes and not any(
        isinstance(node.tag, str)
        and (node.tag.startswith("mjx-") or _is_mathjax(node.get("class") or ""))
        for node in element.iterdescendants()
    ):
        source = clean_text(element.text_content())
        return source or None  # the editor's own "\\(x\\)", delimiters included
    return "" if tag == "math" else None


def _delimited(tex: str, display: bool) -> str:
    if not tex:
        return ""
    return f"\\[{tex}\\]" if display else f"\\({tex}\\)"


def _position(item: etree._Element) -> int:
    """1-based position of a list item among its siblings."""
    return sum(1 for sibling in item.itersiblings(preceding=True) if sibling.tag == "li") + 1
