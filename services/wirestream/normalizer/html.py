"""HTML pages to the same line structure as text pages, so one splitter handles both.

Scripts, styles, navigation, footers, forms and the like are removed, and so are side boxes
(`<aside>`, `related` blocks) unless they list teasers; every block element
becomes its own line; entities are decoded by the parser. The page starts at its `<h1>`
(site chrome before it is dropped), and a `<time datetime>` becomes a line holding its ISO
timestamp, so teaser times come from the markup rather than from its wording; inside a
teaser's `<li>`/`<article>` it moves after the teaser's text, where the splitter looks.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from wirestream.core.envelope import EnvelopeError
from wirestream.core.records import Reason
from wirestream.normalizer.page import is_list_heading

_CHROME = "script, style, noscript, template, nav, footer, form, iframe, svg, button"
# Boxes beside the article: a teaser list when they hold one ("Related", "Meer uit ..."),
# else chrome (an advertisement, a newsletter sign-up).
_SIDE_BOXES = "aside, [class*=related], [class*=more-news], [class*=teasers]"
_TEASER_ITEMS = "li, article, time"
_HEADINGS = "h2, h3, h4, header, strong"
RELATED_MARKER = "Related"  # a heading-less list of related teasers: the splitter's marker
_BLOCKS = (
    "address, article, blockquote, br, dd, div, dl, dt, figcaption, figure, h1, h2, h3, h4, "
    "h5, h6, header, hr, li, main, ol, p, pre, section, table, td, th, tr, ul"
)
# Private-use characters marking block boundaries and the headline: not whitespace, so
# folding the markup's whitespace leaves them in place.
_BREAK = "\ue000"
_H1_MARK = "\ue001"
_TEASER_TAGS = ("li", "article")
_WHITESPACE = re.compile(r" (?=\s)\s*|[^\S ]\s*")  # runs to collapse; a lone space is no match
# lexbor parses nesting in time quadratic in its depth (100,000 nested <div>s: minutes, with the
# service's event loop and group heartbeats blocked). Browsers cap the depth of the tree too.
MAX_NESTING = 1024
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*?(/?)>")
# Elements that never hold others or whose end tag is optional: they add no lasting depth.
_FLAT = frozenset(
    {"area", "base", "br", "col", "dd", "dt", "embed", "hr", "img", "input", "li", "link"}
    | {"meta", "option", "p", "param", "source", "td", "th", "tr", "track", "wbr"}
)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block per line, starting at its `<h1>`.
    A page nested deeper than `MAX_NESTING` elements raises an oversize `EnvelopeError`."""
    depth = nesting_depth(html)
    if depth > MAX_NESTING:
        raise EnvelopeError(
            Reason.OVERSIZE, f"HTML nested {depth} elements deep (limit {MAX_NESTING})"
        )
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.css(_CHROME):
        node.decompose()
    _keep_teaser_boxes(root)
    for node in root.css("time"):
        stamp = f"{_BREAK}{node.attributes.get('datetime') or node.text(deep=True)}{_BREAK}"
        teaser = _teaser_container(node)
        if teaser is None:
            node.replace_with(stamp)
        else:  # the splitter expects a teaser's time after its text, wherever the markup has it
            teaser.insert_child(stamp)
            node.decompose()
    headline = root.css_first("h1")
    if headline is not None:
        headline.insert_before(_H1_MARK)
    for node in root.css(_BLOCKS):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    text = root.text(deep=True, separator="")
    text = text[text.find(_H1_MARK) + 1 :]  # no <h1>: find is -1, the slice keeps everything
    return _WHITESPACE.sub(" ", text).replace(_BREAK, "\n")


def _keep_teaser_boxes(root: LexborNode) -> None:
    """Keep the side boxes that list teasers (two or more items or a time) and give a
    heading-less one a marker line; drop the others. Boxes inside a box go with it."""
    boxes = {box.mem_id: box for box in root.css(_SIDE_BOXES)}
    for box in boxes.values():
        if any(parent.mem_id in boxes for parent in _ancestors(box)):
            continue
        heading = box.css_first(_HEADINGS)
        if heading is not None and is_list_heading(heading.text(deep=True).strip()):
            continue
        if len(box.css(_TEASER_ITEMS)) < 2:
            box.decompose()
        elif box.child is not None:
            box.child.insert_before(f"{_BREAK}{RELATED_MARKER}{_BREAK}")


def _ancestors(node: LexborNode) -> list[LexborNode]:
    found = []
    while (node := node.parent) is not None:
        found.append(node)
    return found


def nesting_depth(html: str) -> int:
    """How deep the markup's elements nest, counted from its tags (an upper bound of the
    parsed tree's depth: a parser may close more than the markup does)."""
    if html.count("<") <= MAX_NESTING:  # most fragments: no scan needed
        return html.count("<")
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if self_closing or name.lower() in _FLAT:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _teaser_container(time: LexborNode) -> LexborNode | None:
    """The `<li>` or `<article>` holding this `<time>` and one teaser: no headline of the page
    and no other time in it."""
    node = time.parent
    while node is not None and node.tag not in _TEASER_TAGS:
        node = node.parent
    if node is None or node.css_first("h1") is not None or len(node.css("time")) > 1:
        return None
    return node
