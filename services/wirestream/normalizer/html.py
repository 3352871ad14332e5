"""HTML pages to the same line structure as text pages, so one splitter handles both.

Scripts, styles, navigation, footers, forms and the like are removed; every block element
becomes its own line; entities are decoded by the parser. The page starts at its `<h1>`
(site chrome before it is dropped), and a `<time datetime>` becomes a line holding its ISO
timestamp, so teaser times come from the markup rather than from its wording.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

_CHROME = "script, style, noscript, template, nav, footer, aside, form, iframe, svg, button"
_BLOCKS = (
    "address, article, blockquote, br, dd, div, dl, dt, figcaption, figure, h1, h2, h3, h4, "
    "h5, h6, header, hr, li, main, ol, p, pre, section, table, td, th, tr, ul"
)
# Private-use characters marking block boundaries and the headline: not whitespace, so
# folding the markup's whitespace leaves them in place.
_BREAK = "\ue000"
_H1_MARK = "\ue001"
_WHITESPACE = re.compile(r" (?=\s)\s*|[^\S ]\s*")  # runs to collapse; a lone space is no match


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block per line, starting at its `<h1>`."""
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.css(_CHROME):
        node.decompose()
    for node in root.css("time"):
        stamp = node.attributes.get("datetime")
        node.replace_with(f"{_BREAK}{stamp or node.text(deep=True)}{_BREAK}")
    headline = root.css_first("h1")
    if headline is not None:
        headline.insert_before(_H1_MARK)
    for node in root.css(_BLOCKS):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    text = root.text(deep=True, separator="")
    text = text[text.find(_H1_MARK) + 1 :]  # no <h1>: find is -1, the slice keeps everything
    return _WHITESPACE.sub(" ", text).replace(_BREAK, "\n")
