"""Turn a post's HTML into paragraphs of plain text."""

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

    def flush() -> None:
        text = clean_text("".join(buffer))
        buffer.clear()
        if text:
            paragraphs.append(text)

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.lower()
        if tag in SKIP_TAGS or tag.startswith("mjx-") or _is_mathjax(element):
            pass
        elif tag == "br":
            flush()
        elif tag in BLOCK_TAGS:
            flush()
            buffer.append(element.text or "")
            for child in element:
                walk(child)
            flush()
        elif tag:  # inline element, or a comment/processing instruction (tag is not a str)
            buffer.append(element.text or "")
            for child in element:
                walk(child)
            if tag in _CELL_TAGS:
                buffer.append(" ")
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


def _is_mathjax(element: etree._Element) -> bool:
    classes = element.get("class") or ""
    return "MathJax" in classes or "mjx-" in classes
