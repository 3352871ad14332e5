"""Stories and their versions: what a wire service publishes, before any page is rendered.

A story is written once from templates and a cast drawn with the corpus's seeded random
generator; each revision derives a new `Version` from the previous one by one or two edits
(a number changed, a paragraph or sub-heading added, an agency added, a new headline). Every
sentence carries a `key` that changes only when its wording changes, which is what the
ground-truth labels compare.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from wirestream.generator.vocabulary import FIRST_NAMES, LAST_NAMES, Language, Place, Section


class _Slots(dict):
    """Template slots; `{Name}` is `{name}` with its first letter capitalized."""

    def __missing__(self, key: str) -> str:
        value = self[key.lower()]
        return value[:1].upper() + value[1:]


@dataclass(frozen=True, slots=True)
class Sentence:
    key: str  # identity of this wording in the corpus; a rewrite gets a new key
    template: str
    slots: Mapping[str, str]

    @property
    def text(self) -> str:
        return self.template.format_map(_Slots(self.slots))


@dataclass(frozen=True, slots=True)
class Paragraph:
    sentences: tuple[Sentence, ...]
    subheading: str | None = None  # a sub-heading line printed before the paragraph

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


@dataclass(frozen=True, slots=True)
class Version:
    number: int  # 0 for the original, 1.. for revisions
    published: datetime
    headline: str
    agencies: tuple[str, ...]
    paragraphs: tuple[Paragraph, ...]
    teaser_sentences: int  # a teaser is this many leading sentences of the first paragraph
    change: str | None = None  # what this revision changed

    @property
    def lead(self) -> tuple[Sentence, ...]:
        return self.paragraphs[0].sentences[: self.teaser_sentences]

    @property
    def teaser_text(self) -> str:
        return " ".join(s.text for s in self.lead)

    def article_units(self) -> list[str]:
        """Content units of the full article: headline, sentences, sub-headings, agencies."""
        units = [f"h:{self.headline}", *(f"a:{a}" for a in self.agencies)]
        for paragraph in self.paragraphs:
            if paragraph.subheading:
                units.append(f"s:{paragraph.subheading}")
            units.extend(s.key for s in paragraph.sentences)
        return units

    def teaser_units(self) -> list[str]:
        """Content units of the teaser: its sentences and agencies (teasers have no headline)."""
        return [*(f"a:{a}" for a in self.agencies), *(s.key for s in self.lead)]


@dataclass(slots=True)
class Story:
    key: str
    language: Language
    section: Section
    place: Place
    kind: str
    versions: list[Version]
    cast: dict[str, str]
    dated_dateline: bool = False  # English "WASHINGTON, March 9 (Reuters) - " form
    near_miss_of: str | None = None
    lead_core: str = ""  # core clause of the lead sentence (a near miss uses another one)
    used_templates: set[str] = field(default_factory=set)
    written: int = 0  # sentences written so far, numbering their keys

    @property
    def published(self) -> datetime:
        return self.versions[0].published

    def version_at(self, when: datetime) -> Version | None:
        """The version a page fetched at `when` shows, or None before publication."""
        current = None
        for version in self.versions:
            if version.published > when:
                break
            current = version
        return current


def _cast(rng: random.Random, language: Language, place: Place, thing: str) -> dict[str, str]:
    first, second = rng.sample(range(len(FIRST_NAMES) * len(LAST_NAMES)), 2)
    return {
        "person": _name(first),
        "person2": _name(second),
        "role": rng.choice(language.roles),
        "org": rng.choice(language.orgs),
        "thing": thing,
        "adj": place.adj,
        "city": place.name,
        "country": place.country,
    }


def _name(index: int) -> str:
    return f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {LAST_NAMES[index // len(FIRST_NAMES)]}"


def _numbers(rng: random.Random) -> dict[str, str]:
    return {"n": str(rng.randint(3, 250)), "m": str(rng.randint(2, 60))}


def write_story(
    rng: random.Random,
    key: str,
    language: Language,
    section: Section,
    published: datetime,
    *,
    place: Place | None = None,
    kind: str | None = None,
    boilerplate: str | None = None,
    avoid_lead: str | None = None,
) -> Story:
    """A new story. `boilerplate` puts a shared phrase in the lead (near-miss stories);
    `avoid_lead` keeps the lead core of the story it resembles out of this one."""
    place = place or rng.choice(section.places)
    kind = kind or rng.choice(section.kinds)
    story_kind = language.kinds[kind]
    cast = _cast(rng, language, place, rng.choice(story_kind.things))
    cast["day"] = language.days[published.weekday()]
    story = Story(key, language, section, place, kind, [], cast)
    story.dated_dateline = language.code == "en" and rng.random() < 0.3

    story.lead_core = rng.choice([t for t in story_kind.leads if t != avoid_lead])
    lead = [_sentence(rng, story, _lead_template(rng, story))]
    if boilerplate is None and rng.random() < 0.35:
        boilerplate = rng.choice(language.boilerplate)
    if boilerplate is not None:
        lead.append(_sentence(rng, story, boilerplate))
    pool = list(story_kind.body + language.generic_body)
    rng.shuffle(pool)
    lead.extend(_sentence(rng, story, pool.pop()) for _ in range(rng.randint(0, 2)))
    teaser_sentences = rng.randint(max(1, len(lead) - 1), min(3, len(lead)))
    if boilerplate is not None:  # the shared phrase must show in the teaser too
        teaser_sentences = max(teaser_sentences, 2)

    paragraphs = [Paragraph(tuple(lead))]
    subheadings = rng.sample(language.subheadings, 2)
    for index in range(rng.randint(2, 4)):
        count = min(len(pool), rng.randint(2, 3))
        if count == 0:
            break
        sentences = tuple(_sentence(rng, story, pool.pop()) for _ in range(count))
        wants_subheading = index >= 1 and subheadings and rng.random() < 0.4
        subheading = subheadings.pop() if wants_subheading else None
        paragraphs.append(Paragraph(sentences, subheading))

    story.versions.append(
        Version(
            number=0,
            published=published,
            headline=_headline(rng, story),
            agencies=rng.choice(section.agencies),
            paragraphs=tuple(paragraphs),
            teaser_sentences=teaser_sentences,
        )
    )
    return story


def _lead_template(rng: random.Random, story: Story) -> str:
    """The core clause, maybe continued by a clause and an attribution: few stories of a kind
    share a whole lead sentence, while many share fragments of one."""
    parts = [story.lead_core]
    if rng.random() < 0.6:
        parts.append(rng.choice(story.language.kinds[story.kind].extensions))
    if rng.random() < 0.6:
        parts.append(rng.choice(story.language.attributions))
    return ", ".join(parts) + "."


def _sentence(rng: random.Random, story: Story, template: str) -> Sentence:
    story.used_templates.add(template)
    story.written += 1
    return Sentence(f"{story.key}.{story.written}", template, {**story.cast, **_numbers(rng)})


def _headline(rng: random.Random, story: Story) -> str:
    templates = story.language.kinds[story.kind].headlines
    return Sentence("", rng.choice(templates), {**story.cast, **_numbers(rng)}).text


REVISIONS = ("number", "paragraph", "subheading", "agency", "headline")
TEASER_TO_ARTICLE = "teaser→article"


def visible_change(before: Version, before_kind: str, after: Version, after_kind: str) -> str:
    """The revisions an item showing `after` makes visible against one showing `before`,
    `+`-joined (`teaser→article` first, then `REVISIONS` order): what a `changes` record
    should name. A teaser shows only its lead sentences and agencies, so against a teaser
    only a figure revised in the lead and an added agency show."""
    found = set()
    if "teaser" in (before_kind, after_kind):
        if (before_kind, after_kind) == ("teaser", "article"):
            found.add(TEASER_TO_ARTICLE)
        shown = min(before.teaser_sentences, after.teaser_sentences)
        old_sentences = before.paragraphs[0].sentences[:shown]
        new_sentences = after.paragraphs[0].sentences[:shown]
    else:
        old_sentences = tuple(s for p in before.paragraphs for s in p.sentences)
        new_sentences = tuple(s for p in after.paragraphs for s in p.sentences)
        if after.headline != before.headline:
            found.add("headline")
        if {p.subheading for p in after.paragraphs} - {p.subheading for p in before.paragraphs}:
            found.add("subheading")
    old_keys = {s.key for s in old_sentences}
    old_bases = {s.key.split("~")[0] for s in old_sentences}
    for sentence in new_sentences:
        if sentence.key in old_keys:
            continue
        found.add("number" if sentence.key.split("~")[0] in old_bases else "paragraph")
    if set(after.agencies) - set(before.agencies):
        found.add("agency")
    return "+".join(c for c in (TEASER_TO_ARTICLE, *REVISIONS) if c in found)


def revise(rng: random.Random, story: Story, published: datetime) -> Version:
    """Append a revision of the story's latest version: one or two edits."""
    previous = story.versions[-1]
    version = replace(previous, number=previous.number + 1, published=published, change=None)
    changes = rng.sample(REVISIONS, 2 if rng.random() < 0.3 else 1)
    applied = []
    for change in changes:
        edited = _EDITS[change](rng, story, version)
        if edited is None:  # the edit does not apply to this story: add a paragraph instead
            change, edited = "paragraph", _add_paragraph(rng, story, version)
        version = edited
        applied.append(change)
    version = replace(version, change="+".join(applied))
    story.versions.append(version)
    return version


def _change_number(rng: random.Random, story: Story, version: Version) -> Version | None:
    """A revised figure: the death toll rises, the count is corrected."""
    candidates = [
        (p, s)
        for p, paragraph in enumerate(version.paragraphs)
        for s, sentence in enumerate(paragraph.sentences)
        if "{n}" in sentence.template or "{N}" in sentence.template
    ]
    if not candidates:
        return None
    p, s = rng.choice(candidates)
    old = version.paragraphs[p].sentences[s]
    slots = {**old.slots, "n": str(int(old.slots["n"]) + rng.randint(1, 40))}
    new = Sentence(f"{old.key.split('~')[0]}~{version.number}", old.template, slots)
    sentences = list(version.paragraphs[p].sentences)
    sentences[s] = new
    paragraphs = list(version.paragraphs)
    paragraphs[p] = replace(paragraphs[p], sentences=tuple(sentences))
    return replace(version, paragraphs=tuple(paragraphs))


def _add_paragraph(rng: random.Random, story: Story, version: Version) -> Version:
    unused = [t for t in story.language.follow_ups if t not in story.used_templates]
    if not unused:  # every follow-up used: a fresh generic sentence still says something new
        unused = [t for t in story.language.generic_body if t not in story.used_templates]
    templates = rng.sample(unused, min(len(unused), rng.randint(1, 2)))
    sentences = tuple(_sentence(rng, story, t) for t in templates)
    return replace(version, paragraphs=(*version.paragraphs, Paragraph(sentences)))


def _add_subheading(rng: random.Random, story: Story, version: Version) -> Version | None:
    used = {p.subheading for p in version.paragraphs}
    free = [i for i, p in enumerate(version.paragraphs) if i >= 1 and p.subheading is None]
    unused = [s for s in story.language.subheadings if s not in used]
    if not free or not unused:
        return None
    index = rng.choice(free)
    paragraphs = list(version.paragraphs)
    paragraphs[index] = replace(paragraphs[index], subheading=rng.choice(unused))
    return replace(version, paragraphs=tuple(paragraphs))


def _add_agency(rng: random.Random, story: Story, version: Version) -> Version | None:
    extra = [a for a in story.section.extra_agencies if a not in version.agencies]
    if not extra:
        return None
    return replace(version, agencies=(*version.agencies, rng.choice(extra)))


def _new_headline(rng: random.Random, story: Story, version: Version) -> Version:
    headline = version.headline
    while headline == version.headline:
        headline = _headline(rng, story)
    return replace(version, headline=headline)


_EDITS = {
    "number": _change_number,
    "paragraph": _add_paragraph,
    "subheading": _add_subheading,
    "agency": _add_agency,
    "headline": _new_headline,
}
