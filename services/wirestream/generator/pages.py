"""Scraped pages: an article page (headline, dateline, paragraphs, sub-headings) followed by the
section's teaser list, rendered as plain text the way scrapers deliver it, or as HTML.

In plain text the relative time of a teaser is glued onto the next teaser, and the last one
stands alone on the final line, exactly as in scraped ANP pages.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta

from wirestream.generator.stories import Story, Version
from wirestream.generator.vocabulary import Language


@dataclass(frozen=True, slots=True)
class Teaser:
    story: Story
    version: Version
    age: timedelta  # fetch time minus the version's publication


# How a copy of a story differs from its agency's own filing (issue 14's variant classes).
VARIANTS = ("exonym", "refiled", "undated", "agency")


@dataclass(frozen=True, slots=True)
class Copy:
    """The article filed differently: another spelling of its city (`exonym`: PARIS for
    PARIJS, KIEV for KYIV), another city (`refiled`), no dateline (`undated`, place None), or
    the same text from another agency (`agency`)."""

    variant: str
    place: str | None  # the dateline's place as written; None without a dateline
    agencies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Page:
    story: Story
    version: Version
    teasers: tuple[Teaser, ...]
    fetched_at: datetime
    copy: Copy | None = None  # the article as another copy files it

    @property
    def language(self) -> Language:
        return self.story.language

    @property
    def url(self) -> str:
        section = self.story.section.slug
        return f"https://{self.language.host}/{section}/{self.story.key}"


def relative_time(age: timedelta, language: Language) -> str:
    """`35 minuten geleden`, `5 uur geleden`, `gisteren`, `2 days ago` ..."""
    minutes = max(1, int(age.total_seconds() // 60))
    hours, days = minutes // 60, minutes // 1440
    if language.code == "nl":
        if hours == 0:
            return "1 minuut geleden" if minutes == 1 else f"{minutes} minuten geleden"
        if days == 0:
            return f"{hours} uur geleden"
        return "gisteren" if days == 1 else f"{days} dagen geleden"
    if hours == 0:
        return "1 minute ago" if minutes == 1 else f"{minutes} minutes ago"
    if days == 0:
        return "1 hour ago" if hours == 1 else f"{hours} hours ago"
    return "yesterday" if days == 1 else f"{days} days ago"


def dateline(story: Story, version: Version, *, dated: bool) -> str:
    """`VLADIVOSTOK (ANP/RTR/AFP) - `, `WASHINGTON, March 9 (Reuters) - `, `CAIRO (AP) — `."""
    place = story.place.dateline
    if dated:
        published = version.published
        place = f"{place}, {story.language.months[published.month - 1]} {published.day}"
    dash = "—" if version.agencies == ("AP",) else "-"
    return f"{place} ({'/'.join(version.agencies)}) {dash} "


def article_dateline(page: Page) -> str:
    """The article's dateline: its story's own, or the one its copy is filed with."""
    copy = page.copy
    if copy is None:
        return dateline(page.story, page.version, dated=page.story.dated_dateline)
    return f"{copy.place} ({'/'.join(copy.agencies)}) - " if copy.place else ""


def render_text(page: Page) -> str:
    story, version = page.story, page.version
    lines = [version.headline]
    for index, paragraph in enumerate(version.paragraphs):
        if paragraph.subheading:
            lines.append(paragraph.subheading)
        prefix = article_dateline(page) if index == 0 else ""
        lines.append(prefix + paragraph.text)
    if page.teasers:
        lines.append(f"{page.language.more_from} {story.section.name}")
        time = ""
        for teaser in page.teasers:
            lines.append(time + dateline(teaser.story, teaser.version, dated=False))
            lines[-1] += teaser.version.teaser_text
            time = relative_time(teaser.age, page.language)
        lines.append(time)
    return "\n".join(lines) + "\n"


_HEAD_SCRIPT = "window.dataLayer = window.dataLayer || []; dataLayer.push({'page': 'article'});"
_STYLE = "body { font-family: sans-serif; } .more li { margin: 0 0 1em; }"


def render_html(page: Page) -> str:
    story, version, language = page.story, page.version, page.language
    e = html.escape
    parts = [
        f'<!DOCTYPE html>\n<html lang="{language.code}">\n<head>\n<meta charset="utf-8">',
        f"<title>{e(version.headline)} | {e(language.host)}</title>",
        f"<script>{_HEAD_SCRIPT}</script>\n<style>{_STYLE}</style>\n</head>\n<body>",
        "<nav><ul>" + "".join(f'<li><a href="/">{e(n)}</a></li>' for n in language.nav),
        "</ul></nav>\n<main>\n<article>",
        f"<h1>{e(version.headline)}</h1>",
    ]
    for index, paragraph in enumerate(version.paragraphs):
        if paragraph.subheading:
            parts.append(f"<h2>{e(paragraph.subheading)}</h2>")
        prefix = article_dateline(page) if index == 0 else ""
        parts.append(f"<p>{e(prefix + paragraph.text)}</p>")
    parts.append("</article>")
    if page.teasers:
        more = f"{language.more_from} {story.section.name}"
        parts.append(f'<section class="more">\n<h2>{e(more)}</h2>\n<ul>')
        for teaser in page.teasers:
            published = (page.fetched_at - teaser.age).strftime("%Y-%m-%dT%H:%M:%SZ")
            text = dateline(teaser.story, teaser.version, dated=False) + teaser.version.teaser_text
            parts.append(
                f'<li><p>{e(text)}</p><time datetime="{published}">'
                f"{e(relative_time(teaser.age, language))}</time></li>"
            )
        parts.append("</ul>\n</section>")
    parts.append(f"</main>\n<footer><p>{e(language.footer)}</p></footer>")
    parts.append('<script src="/static/app.js"></script>\n</body>\n</html>\n')
    return "\n".join(parts)
