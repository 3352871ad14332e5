"""A normalized item as IPTC ninjs 3.x (schemas/vendor/ninjs-schema_3.1.json).

Every field ninjs has a place for is mapped; what it has none for (dedup verdict, routing
key, published precision, keywords, enrichment errors) goes nowhere rather than into
invented properties. The table is in schemas/README.md.
"""

from __future__ import annotations

import re
from typing import Any

STORY_URI = "urn:wirestream:story:{}"
GEONAMES_URI = "https://sws.geonames.org/{}/"
MEDIA_TOPIC_URI = "http://cv.iptc.org/newscodes/mediatopic/{}"
SUBJECT_CODE_URI = "http://cv.iptc.org/newscodes/subjectcode/{}"
_MEDIA_TOPIC = re.compile(r"(?:medtop:)?(\d{8})")


def to_ninjs(item: dict[str, Any]) -> dict[str, Any]:
    """The ninjs 3.x object of one normalized item (`story_id` and `version` required)."""
    agency = item.get("agency_item") or {}
    ninjs: dict[str, Any] = {
        "uri": STORY_URI.format(item["story_id"]),
        "version": str(item["version"]),
        "type": "text",
        "representationType": "partial" if item.get("kind") == "teaser" else "full",
        "pubStatus": agency.get("pubstatus") or "usable",
        "language": item["language"],
        "bodies": [
            {
                "role": "main",
                "contentType": "text/plain",
                "value": item["body_text"],
                "wordCount": item.get("word_count", 0),
                "charCount": len(item["body_text"]),
            }
        ],
    }
    published = item.get("published_at")
    ninjs["versionCreated"] = published or item["fetched_at"]
    first_created = agency.get("first_created") or (published if item["version"] == 1 else None)
    _put(ninjs, "firstCreated", first_created)
    _put(ninjs, "embargoedUntil", agency.get("embargoed_until"))
    _put(ninjs, "urgency", agency.get("urgency"))
    _put(ninjs, "copyrightHolder", agency.get("copyright_holder"))
    _put(ninjs, "by", agency.get("byline"))
    _put(ninjs, "slugline", agency.get("slugline"))
    if item.get("headline"):
        ninjs["headlines"] = [{"role": "main", "value": item["headline"]}]
    dateline = item.get("dateline")
    if dateline:
        ninjs["located"] = dateline["raw"]
    _put(ninjs, "places", _places(dateline, item.get("countries") or []))
    _put(ninjs, "subjects", _subjects(item, agency))
    entities = item.get("entities") or {}
    _put(ninjs, "people", [{"name": name} for name in entities.get("people", [])])
    _put(ninjs, "organisations", [{"name": n} for n in entities.get("organisations", [])])
    _put(ninjs, "infoSources", _info_sources(item))
    alt_ids = [{"role": "version-id", "value": item["id"]}]
    if agency.get("guid"):
        alt_ids.append({"role": "agency-guid", "value": agency["guid"]})
    if agency.get("version") is not None:
        alt_ids.append({"role": "agency-version", "value": str(agency["version"])})
    ninjs["altIds"] = alt_ids
    return ninjs


def _put(ninjs: dict[str, Any], name: str, value: Any) -> None:
    """Set only what the item has: ninjs properties are optional, not nullable."""
    if value not in (None, "", []):
        ninjs[name] = value


def _places(dateline: dict[str, Any] | None, countries: list[str]) -> list[dict[str, Any]]:
    places: list[dict[str, Any]] = []
    if dateline and dateline.get("place"):
        place: dict[str, Any] = {"name": dateline["place"], "rel": "dateline"}
        if dateline.get("geonames_id"):
            place["uri"] = GEONAMES_URI.format(dateline["geonames_id"])
        if dateline.get("country_code"):
            place["literal"] = dateline["country_code"]
        places.append(place)
    places.extend({"literal": code, "rel": "country"} for code in countries)
    return places


def _subjects(item: dict[str, Any], agency: dict[str, Any]) -> list[dict[str, Any]]:
    """Media Topics (the enricher's and the agency's), IPTC subject codes, the agency's other
    codes as literals, and the page section."""
    subjects: list[dict[str, Any]] = []
    seen: set[str] = set()
    for topic in item.get("topics") or []:
        uri = MEDIA_TOPIC_URI.format(topic["code"])
        seen.add(uri)
        subjects.append({"uri": uri, "name": topic["name"], "rel": "topic"})
    for subject in agency.get("subjects") or []:
        code, name = subject.get("code"), subject.get("name")
        entry: dict[str, Any] = {"rel": "agency"}
        media_topic = _MEDIA_TOPIC.fullmatch(code or "")
        if media_topic and code and code.startswith("medtop:"):
            entry["uri"] = MEDIA_TOPIC_URI.format(media_topic[1])
        elif media_topic:  # eight digits without a scheme: an IPTC Subject Code (NITF)
            entry["uri"] = SUBJECT_CODE_URI.format(media_topic[1])
        elif code:
            entry["literal"] = code
        if entry.get("uri") in seen:
            continue
        if name:
            entry["name"] = name
        if len(entry) > 1:
            subjects.append(entry)
    if item.get("section"):
        subjects.append({"name": item["section"], "rel": "section"})
    return subjects


def _info_sources(item: dict[str, Any]) -> list[dict[str, Any]]:
    sources = [
        {
            "literal": agency["code"],
            "name": agency.get("name") or agency["code"],
            "role": "originator",
        }
        for agency in item.get("agencies") or []
    ]
    sources.append({"literal": item["source"], "role": "distributor"})
    return sources
