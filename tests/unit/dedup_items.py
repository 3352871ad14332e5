"""Realistic wire items for the deduplicator tests: stories written in the wire's style,
each with a full article (headline, dateline, paragraphs) and its teaser (the lead)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from xxhash import xxh3_64_hexdigest

FETCHED = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)

BUS = {
    "headline": "Vijftien doden bij drone-aanval op bus bij Dnipro",
    "dateline": "DNIPRO",
    "agencies": ["ANP", "RTR"],
    "paragraphs": [
        "Oekraïense regionale autoriteiten hebben gemeld dat een bedrijfsbus ten oosten van "
        "de stad Dnipro is getroffen door een Russische drone die vlak bij het voertuig "
        "insloeg. Daardoor zouden vijftien doden en meerdere gewonden zijn gevallen.",
        "De bus vervoerde volgens de gouverneur van de regio mijnwerkers die op weg waren "
        "naar hun dienst. Hulpdiensten waren snel ter plaatse en brachten de gewonden over "
        "naar ziekenhuizen in de omgeving.",
        "Het Oekraïense leger meldt dat Rusland in de nacht ruim tachtig drones en zes "
        "raketten op verschillende delen van het land heeft afgevuurd. Het merendeel zou "
        "zijn onderschept door de luchtverdediging.",
        "President Volodymyr Zelensky sprak van een doelbewuste aanval op burgers en riep "
        "de westerse bondgenoten op om meer luchtafweersystemen te leveren.",
    ],
}

GENERALS = {
    "headline": "Amerikaanse en Israëlische legerleiding overleggen over Iran",
    "dateline": "WASHINGTON",
    "agencies": ["ANP", "RTR"],
    "paragraphs": [
        "De hoogste generaals van de Verenigde Staten en Israël hebben vrijdag overleg "
        "gevoerd in het Pentagon te midden van de oplopende spanningen met Iran. Dat zeiden "
        "twee Amerikaanse functionarissen tegen persbureau Reuters.",
        "Het gesprek ging volgens de functionarissen over de verdediging tegen mogelijke "
        "Iraanse raketaanvallen en over de inzet van Amerikaanse marineschepen in de regio.",
        "Het Pentagon wilde niet ingaan op de inhoud van het overleg. Een woordvoerder zei "
        "alleen dat de twee landen nauw contact onderhouden over de veiligheid in het "
        "Midden-Oosten.",
    ],
}

QUETTA = {
    "headline": "Dodental door onrust in Beloetsjistan loopt op tot bijna tweehonderd",
    "dateline": "QUETTA",
    "agencies": ["ANP", "RTR", "AFP"],
    "paragraphs": [
        "Het dodental door onrust in de Pakistaanse provincie Beloetsjistan is opgelopen tot "
        "bijna tweehonderd. Separatisten bestormden daar zaterdag onder meer banken, "
        "politiebureaus en militaire installaties.",
        "De autoriteiten zeggen dat in twee dagen tijd 31 burgers, 17 leden van de "
        "veiligheidstroepen en 145 opstandelingen zijn gedood. In verschillende steden geldt "
        "een avondklok.",
        "De separatistische groepering eist al jaren meer zeggenschap over de rijke "
        "bodemschatten van de provincie, die tot de armste van het land behoort.",
    ],
}

# Another KYIV story the same day as TALKS: same dateline, different news.
TALKS = {
    "headline": "Nieuw overleg met Rusland en VS in Abu Dhabi",
    "dateline": "KYIV",
    "agencies": ["ANP"],
    "paragraphs": [
        "De Oekraïense president Volodymyr Zelensky meldt dat er komende week nieuw overleg "
        "met Rusland en de Verenigde Staten plaatsvindt in Abu Dhabi. Dat gebeurt op 4 en "
        "5 februari, schrijft hij op X.",
        "Eerdere gesprekken in de Emiraten leverden een uitwisseling van krijgsgevangenen "
        "op, maar geen doorbraak over een staakt-het-vuren.",
    ],
}

POWER = {
    "headline": "Stroom valt uit in grote delen van Kyiv na aanval op centrale",
    "dateline": "KYIV",
    "agencies": ["ANP", "AFP"],
    "paragraphs": [
        "In grote delen van de Oekraïense hoofdstad Kyiv is de stroom uitgevallen nadat een "
        "warmtekrachtcentrale in de nacht werd geraakt door Russische raketten. Honderdduizenden "
        "huishoudens zitten zonder verwarming.",
        "Burgemeester Vitali Klitschko riep inwoners op om warme kleding klaar te leggen en "
        "verwarmingspunten in de stad te bezoeken.",
    ],
}


def wire_item(
    story: dict[str, Any],
    *,
    kind: str = "article",
    paragraphs: list[str] | None = None,
    headline: str | None = None,
    agencies: list[str] | None = None,
    subheadings: list[str] | None = None,
    published_at: datetime | None = None,
    fetched_at: datetime = FETCHED,
    position: int = 0,
    raw_id: str = "page-1",
) -> dict[str, Any]:
    """A normalized `WireItem` dict. Teasers have no headline and only the lead paragraph."""
    if paragraphs is None:
        paragraphs = story["paragraphs"][:1] if kind == "teaser" else story["paragraphs"]
    if headline is None and kind == "article":
        headline = story["headline"]
    codes = story["agencies"] if agencies is None else agencies
    body = "\n\n".join(paragraphs)
    item_id = xxh3_64_hexdigest(f"{raw_id}|{position}|{headline}|{body}|{codes}".encode())
    return {
        "schema_version": "1.0.0",
        "id": item_id,
        "kind": kind,
        "headline": headline,
        "body_text": body,
        "subheadings": subheadings or [],
        "section": "Buitenland",
        "language": "nl",
        "dateline": {
            "raw": story["dateline"],
            "place": story["dateline"],
            "country_code": None,
            "lat": None,
            "lon": None,
            "geonames_id": None,
        },
        "agencies": [{"code": code, "name": None} for code in codes],
        "published_at": _rfc3339(published_at) if published_at else None,
        "published_precision": "hour" if published_at else "none",
        "fetched_at": _rfc3339(fetched_at),
        "source": "anp-buitenland",
        "word_count": len(body.split()),
        "routing_key": story["dateline"].lower(),
        "provenance": {
            "raw_id": raw_id,
            "position": position,
            "url": None,
            "topic": None,
            "partition": None,
            "offset": None,
        },
    }


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
