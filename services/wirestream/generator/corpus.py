"""A labelled corpus: raw envelopes in arrival order and, beside them, what a correct pipeline
must make of every item (story and dedup status) and of every bad input (dead-letter reason).

Time is simulated from `GeneratorConfig.base_time`; nothing reads the wall clock, so the same
seed and size always give the same bytes. The labels assume the dedup window covers the whole
corpus (the default span, 48 h plus late re-scrapes, stays inside the default 72 h window).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from wirestream.core.records import Reason
from wirestream.generator.pages import VARIANTS, Copy, Page, Teaser, render_html, render_text
from wirestream.generator.stories import Story, Version, revise, visible_change, write_story
from wirestream.generator.vocabulary import LANGUAGES, Language, Section

ENVELOPES_FILE = "envelopes.ndjson"
LABELS_FILE = "labels.ndjson"
OVERSIZE_BYTES = 2 * 1024 * 1024  # the normalizer's default limit


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    base_time: datetime = datetime(2026, 1, 30, 6, 0, tzinfo=UTC)
    span_hours: float = 48.0  # stories are published over this span
    teasers_per_page: int = 7
    english_share: float = 0.3
    rescrape_rate: float = 0.3  # stories whose article page is fetched again later
    revision_rate: float = 0.2  # stories revised once or twice
    near_miss_rate: float = 0.1  # stories written as a near miss of an earlier one
    teaser_only_rate: float = 0.1  # stories whose article page is never fetched
    # Stories whose article is also fetched as filed by other copy: another spelling of the
    # city, another city, no dateline, or another agency (`pages.VARIANTS`).
    variant_rate: float = 0.2
    html_rate: float = 0.15
    mojibake_rate: float = 0.01  # UTF-8 pages delivered as if read as Latin-1
    bad_rate: float = 0.01  # bad inputs per page (at least one of each kind when > 0)


@dataclass(frozen=True, slots=True)
class ItemLabel:
    raw_id: str
    position: int  # 0 = the page's main article, 1.. = its teasers in page order
    story_key: str
    status: str  # new | update | duplicate, in arrival order
    kind: str = "article"  # article | teaser
    version: int = 1  # the story version a correct deduplicator assigns to this item
    # On updates: what the update shows changed against the story's previous version
    # (`stories.visible_change`: number, paragraph, subheading, agency, headline,
    # teaser→article, `+`-joined).
    change: str = ""
    variant: str | None = None  # how this copy was filed differently (`pages.VARIANTS`)


@dataclass(slots=True)
class Corpus:
    envelopes: list[dict[str, Any]]
    labels: list[ItemLabel]
    rejects: dict[str, str]  # raw id -> expected dead-letter reason
    stories: int = 0

    def records(self) -> list[bytes]:
        """The envelopes as the raw topic carries them."""
        return [orjson.dumps(envelope) for envelope in self.envelopes]

    def summary(self) -> dict[str, int]:
        counts = {"envelopes": len(self.envelopes), "items": len(self.labels)}
        counts["stories"] = self.stories
        for label in self.labels:
            counts[label.status] = counts.get(label.status, 0) + 1
        counts["rejects"] = len(self.rejects)
        return counts

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / ENVELOPES_FILE).open("wb") as out:
            for record in self.records():
                out.write(record + b"\n")
        with (directory / LABELS_FILE).open("wb") as out:
            for label in self.labels:
                out.write(orjson.dumps(asdict(label)) + b"\n")
            for raw_id, reason in self.rejects.items():
                out.write(orjson.dumps({"raw_id": raw_id, "reject": reason}) + b"\n")

    @classmethod
    def read(cls, directory: Path) -> Corpus:
        envelopes = [orjson.loads(line) for line in _lines(directory / ENVELOPES_FILE)]
        labels, rejects = [], {}
        for line in _lines(directory / LABELS_FILE):
            row = orjson.loads(line)
            if "reject" in row:
                rejects[row["raw_id"]] = row["reject"]
            else:
                labels.append(ItemLabel(**row))
        stories = len({label.story_key for label in labels})
        return cls(envelopes, labels, rejects, stories)


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as lines:
        yield from (line for line in lines if line.strip())


def generate(
    seed: int, stories: int, config: GeneratorConfig | None = None, **overrides: Any
) -> Corpus:
    """A deterministic labelled corpus of `stories` stories, in arrival order. Keyword
    overrides replace fields of `config` (e.g. `html_rate=0`)."""
    config = replace(config or GeneratorConfig(), **overrides)
    rng = random.Random(seed)
    written = _write_stories(rng, stories, config)
    pages = _fetch_pages(rng, written, config)
    bad = _bad_inputs(rng, len(pages), config)
    envelopes: list[dict[str, Any]] = []
    page_ids: list[str] = []
    rejects: dict[str, str] = {}
    last_fetch = config.base_time
    for index, page in enumerate([*pages, None]):
        if page is not None:
            last_fetch = page.fetched_at
        while bad and (page is None or bad[-1][0] <= index):
            _, reason, envelope = bad.pop()
            if reason != Reason.INVALID_ENVELOPE:
                envelope["fetched_at"] = _rfc3339(last_fetch)
            rejects[_add(envelopes, seed, envelope)] = reason
        if page is not None:
            page_ids.append(_add(envelopes, seed, _envelope(rng, page, config)))
    return Corpus(envelopes, _labels(page_ids, pages), rejects, len(written))


def _add(envelopes: list[dict[str, Any]], seed: int, envelope: dict[str, Any]) -> str:
    raw_id = f"g{seed}-{len(envelopes):07d}"
    envelopes.append({"id": raw_id, **envelope})
    return raw_id


# -- stories -------------------------------------------------------------------------------


def _write_stories(rng: random.Random, count: int, config: GeneratorConfig) -> list[Story]:
    span = config.span_hours * 3600
    times = sorted(config.base_time + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    stories: list[Story] = []
    for index, published in enumerate(times):
        key = f"s{index + 1:06d}"
        sibling = _near_miss_sibling(rng, stories, published, config)
        if sibling is not None:
            story = write_story(
                rng, key, sibling.language, sibling.section, published,
                place=sibling.place, kind=sibling.kind,
                boilerplate=_boilerplate_of(sibling) or rng.choice(sibling.language.boilerplate),
                avoid_lead=sibling.lead_core,
            )  # fmt: skip
            story.near_miss_of = sibling.key
        else:
            language, section = _pick_section(rng, config)
            story = write_story(rng, key, language, section, published)
        if rng.random() < config.revision_rate:
            for _ in range(rng.randint(1, 2)):
                revise(rng, story, story.versions[-1].published + _hours(rng, 2, 10))
        stories.append(story)
    return stories


def _pick_section(rng: random.Random, config: GeneratorConfig) -> tuple[Language, Section]:
    language = LANGUAGES["en" if rng.random() < config.english_share else "nl"]
    return language, rng.choice(language.sections)


def _near_miss_sibling(
    rng: random.Random, stories: list[Story], published: datetime, config: GeneratorConfig
) -> Story | None:
    """An earlier story of the same day this one will resemble, or None."""
    if not stories or rng.random() >= config.near_miss_rate:
        return None
    same_day = [s for s in stories[-10:] if s.published.date() == published.date()]
    with_phrase = [s for s in same_day if _boilerplate_of(s)]
    candidates = with_phrase or same_day
    return rng.choice(candidates) if candidates else None


def _boilerplate_of(story: Story) -> str | None:
    lead = story.versions[0].paragraphs[0].sentences
    phrases = story.language.boilerplate
    return next((s.template for s in lead if s.template in phrases), None)


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=rng.uniform(low * 3600, high * 3600))


# -- pages ---------------------------------------------------------------------------------


def _fetch_pages(rng: random.Random, stories: list[Story], config: GeneratorConfig) -> list[Page]:
    """Every article page fetch, in fetch order, with its section's teaser list at that time."""
    fetches: list[tuple[datetime, int, Story, str | None]] = []
    for story in stories:
        if rng.random() < config.teaser_only_rate:
            continue
        for version in story.versions:  # each version is fetched before the next appears
            fetched = version.published + _hours(rng, 1 / 60, 1.5)
            fetches.append((fetched, len(fetches), story, None))
        if rng.random() < config.rescrape_rate:
            for _ in range(rng.randint(1, 2)):
                fetched = story.published + _hours(rng, 0.5, 24)
                fetches.append((fetched, len(fetches), story, None))
        if rng.random() < config.variant_rate:
            # Few places have another spelling: those that do mostly get it, so the class
            # is measured on about as many items as the others.
            spelled = ["exonym"] * 3 if story.place.variants else []
            variant = rng.choice([v for v in VARIANTS if v != "exonym"] + spelled)
            fetched = story.published + _hours(rng, 0.5, 24)
            fetches.append((fetched, len(fetches), story, variant))
    fetches.sort(key=lambda fetch: (fetch[0], fetch[1]))

    by_section: dict[str, list[Story]] = {}
    for story in stories:  # already in publication order
        by_section.setdefault(f"{story.language.code}/{story.section.slug}", []).append(story)
    published = {name: [s.published for s in group] for name, group in by_section.items()}

    pages = []
    for fetched_at, _, story, variant in fetches:
        name = f"{story.language.code}/{story.section.slug}"
        latest = bisect.bisect_right(published[name], fetched_at)
        teasers = []
        for other in reversed(
            by_section[name][max(0, latest - config.teasers_per_page - 1) : latest]
        ):
            if other is story or len(teasers) == config.teasers_per_page:
                continue
            version = other.version_at(fetched_at)
            assert version is not None  # published before the fetch by construction
            teasers.append(Teaser(other, version, fetched_at - version.published))
        version = story.version_at(fetched_at)
        assert version is not None
        # A page needs a dateline somewhere: an undated article only above dated teasers.
        copy = _copy(rng, story, version, variant) if variant and teasers else None
        pages.append(Page(story, version, tuple(teasers), fetched_at, copy))
    return pages


_OTHER_AGENCIES = ("AFP", "RTR", "DPA", "AP", "BELGA")


def _copy(rng: random.Random, story: Story, version: Version, variant: str) -> Copy:
    """The article as other copy files it (`pages.Copy`)."""
    if variant == "exonym":
        return Copy(variant, rng.choice(story.place.variants), version.agencies)
    if variant == "refiled":
        spellings = {story.place.dateline, *story.place.variants}
        others = [p.dateline for p in story.section.places if p.dateline not in spellings]
        return Copy(variant, rng.choice(others), version.agencies)
    if variant == "undated":
        return Copy(variant, None, ())
    agency = rng.choice([a for a in _OTHER_AGENCIES if a not in version.agencies])
    return Copy(variant, story.place.dateline, (agency,))


def _envelope(rng: random.Random, page: Page, config: GeneratorConfig) -> dict[str, Any]:
    is_html = rng.random() < config.html_rate
    body = render_html(page) if is_html else render_text(page)
    if rng.random() < config.mojibake_rate and max(map(ord, body)) < 256 and not body.isascii():
        body = body.encode("utf-8").decode("latin-1")
    return {
        "source": page.language.host,
        "fetched_at": _rfc3339(page.fetched_at),
        "content_type": "text/html" if is_html else "text/plain",
        "body": body,
        "url": page.url,
    }


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- bad inputs ----------------------------------------------------------------------------

_INVALID_ENVELOPES: tuple[dict[str, Any], ...] = (
    {"source": "nieuwsdienst.example", "content_type": "text/plain", "body": "Kop\nAMSTERDAM (ANP) - Tekst."},  # noqa: E501
    {"source": "nieuwsdienst.example", "fetched_at": "gisteren", "content_type": "text/plain", "body": "x"},  # noqa: E501
    {"source": "worldwire.example", "fetched_at": "2026-01-30T06:00:00Z", "content_type": "text/plain", "body": 42},  # noqa: E501
    {"source": "worldwire.example", "fetched_at": "2026-01-30T06:00:00Z", "content_type": "application/pdf", "body": "%PDF-1.7"},  # noqa: E501
    {"fetched_at": "2026-01-30T06:00:00Z", "content_type": "text/plain", "body": ["NAIROBI (Reuters) - text"]},  # noqa: E501
)  # fmt: skip


def _bad_inputs(
    rng: random.Random, pages: int, config: GeneratorConfig
) -> list[tuple[int, str, dict[str, Any]]]:
    """(arrival index, reason, envelope) for each bad input, latest arrival first."""
    if config.bad_rate <= 0:
        return []
    kinds = [Reason.EMPTY, Reason.BINARY, Reason.NOT_AN_ARTICLE, Reason.INVALID_ENVELOPE]
    count = max(len(kinds), round(pages * config.bad_rate))
    reasons = [kinds[i % len(kinds)] for i in range(count)]
    reasons += [Reason.OVERSIZE] * max(1, pages // 5000)  # few: each is megabytes
    bad = []
    for index, reason in enumerate(reasons):
        bad.append((rng.randint(0, pages), index, reason.value, _bad_envelope(rng, reason, index)))
    bad.sort(key=lambda b: (b[0], b[1]), reverse=True)
    return [(at, reason, envelope) for at, _, reason, envelope in bad]


def _bad_envelope(rng: random.Random, reason: Reason, index: int) -> dict[str, Any]:
    language = LANGUAGES[rng.choice(("nl", "en"))]
    envelope: dict[str, Any] = {"source": language.host, "content_type": "text/plain"}
    if reason is Reason.EMPTY:
        envelope["body"] = rng.choice(("", "   \n\t  \n"))
    elif reason is Reason.BINARY:
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(200, 2000)))
        envelope["body"] = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise).decode("latin-1")
    elif reason is Reason.NOT_AN_ARTICLE:
        envelope["body"] = rng.choice(language.cookie_walls)
    elif reason is Reason.OVERSIZE:
        line = "AMSTERDAM (ANP) - " + "Een regel tekst die zich steeds herhaalt. " * 20 + "\n"
        envelope["body"] = "Een veel te grote pagina\n" + line * (OVERSIZE_BYTES // len(line) + 50)
    else:
        envelope = dict(_INVALID_ENVELOPES[index % len(_INVALID_ENVELOPES)])
    return envelope


# -- labels --------------------------------------------------------------------------------


@dataclass(slots=True)
class _StoryMemory:
    units: set[str] = field(default_factory=set)
    version: int = 0
    latest: tuple[Version, str] | None = None  # the latest remembered item: version, kind


def _labels(page_ids: list[str], pages: list[Page]) -> list[ItemLabel]:
    """Expected item outcomes in arrival order: an item is `new` on a story's first sighting,
    `duplicate` when everything it says was seen before, else an `update`."""
    memory: dict[str, _StoryMemory] = {}
    labels = []
    for raw_id, page in zip(page_ids, pages, strict=True):
        copy = page.copy
        # The article as this copy files it: the same version, its own agencies.
        shown = replace(page.version, agencies=copy.agencies) if copy else page.version
        variant = copy.variant if copy else None
        items = [(page.story.key, "article", shown, shown.article_units(), variant)]
        items += [
            (t.story.key, "teaser", t.version, t.version.teaser_units(), None) for t in page.teasers
        ]
        for position, (story_key, kind, version, units, variant) in enumerate(items):
            seen = memory.setdefault(story_key, _StoryMemory())
            if not seen.units:
                status = "new"
            elif seen.units.issuperset(units):
                status = "duplicate"
            else:
                status = "update"
            change = ""
            if status == "update" and seen.latest is not None:
                change = visible_change(*seen.latest, version, kind)
            if status != "duplicate":
                seen.version += 1
                seen.units.update(units)
                seen.latest = (version, kind)
            labels.append(
                ItemLabel(raw_id, position, story_key, status, kind, seen.version, change, variant)
            )
    return labels
