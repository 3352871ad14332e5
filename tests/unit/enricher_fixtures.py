"""Shared builders for the enricher tests: wire items in the shape the normalizer emits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent.parent / "fixtures" / "enricher"


def wire_item(
    body: str,
    headline: str | None = None,
    dateline: str | None = "ERGENS",
    agencies: tuple[str, ...] = ("ANP",),
    story_id: str | None = "story-1",
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "schema_version": "1.0.0",
        "id": "item-1",
        "kind": "article" if headline else "teaser",
        "headline": headline,
        "body_text": body,
        "subheadings": [],
        "section": "Buitenland",
        "language": "nl",
        "dateline": None
        if dateline is None
        else {
            "raw": dateline,
            "place": dateline.title(),
            "country_code": None,
            "lat": None,
            "lon": None,
            "geonames_id": None,
        },
        "agencies": [{"code": code, "name": None} for code in agencies],
        "published_at": None,
        "published_precision": "none",
        "fetched_at": "2026-02-01T12:00:00Z",
        "source": "test",
        "word_count": len(body.split()),
        "routing_key": dateline or "fingerprint",
        "provenance": {
            "raw_id": "raw-1",
            "position": 0,
            "url": None,
            "topic": None,
            "partition": None,
            "offset": None,
        },
    }
    if story_id:
        item["story_id"] = story_id
    return item


def page_items() -> list[dict[str, Any]]:
    """tests/fixtures/enricher/buitenland_page.txt as the normalizer emitted it (frozen)."""
    return json.loads((FIXTURES / "page_items.json").read_text("utf-8"))
