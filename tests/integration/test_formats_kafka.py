"""Agency formats through the Kafka services: files split by the producer into one raw
record per item, `serve pipeline`, then `serve ninjs` writing IPTC ninjs 3.x keyed by story."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator
from service_harness import TopicReader, fresh_topics, produce, running, service_settings

from wirestream.producer.page_envelopes import file_envelopes

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parent.parent.parent
FORMATS = ROOT / "tests" / "fixtures" / "formats"
NINJS = json.loads((ROOT / "schemas" / "vendor" / "ninjs-schema_3.1.json").read_text())
FETCHED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
FILES = ("newsmlg2_ap_message.xml", "nitf_ap.xml", "anpa_ap.tst", "rss_bbc_world.xml")


def raw_records() -> list[bytes]:
    records = []
    for name in FILES:
        data = (FORMATS / name).read_bytes()
        envelopes = file_envelopes(data, source="agency", fetched_at=FETCHED, name=name)
        records.extend(orjson.dumps(envelope) for envelope in envelopes)
    ansa = (FORMATS / "newsmlg2_ansa.xml").read_text(encoding="utf-8")
    for version, status in (("1", "usable"), ("2", "usable"), ("3", "canceled")):
        body = ansa.replace(' version="1" xml:lang', f' version="{version}" xml:lang', 1)
        body = body.replace("stat:usable", f"stat:{status}")
        envelope = {
            "source": "ansa",
            "fetched_at": "2026-11-26T10:00:00Z",
            "content_type": "application/vnd.iptc.g2.newsitem+xml",
            "body": body,
        }
        records.append(orjson.dumps(envelope))
    return records


async def test_agency_files_come_out_as_ninjs_keyed_by_story(kafka_bootstrap):
    records = raw_records()
    # 2 G2 items + 1 NITF + 1 ANPA + 3 RSS entries + ANSA new, update, kill
    assert len(records) == 10
    topics = await fresh_topics(kafka_bootstrap, "formats", partitions=1)
    await produce(kafka_bootstrap, topics.raw, [(b"agency", r) for r in records])
    validator = Draft202012Validator(NINJS, format_checker=Draft202012Validator.FORMAT_CHECKER)
    async with (
        running(service_settings(kafka_bootstrap, topics, "pipeline")),
        running(service_settings(kafka_bootstrap, topics, "ninjs")),
        TopicReader(kafka_bootstrap, topics.normalized) as normalized,
        TopicReader(kafka_bootstrap, topics.ninjs) as ninjs,
    ):
        await normalized.until(10)
        await ninjs.until(10)
        await ninjs.drain()
    items = normalized.values()
    assert [i["dedup"]["status"] for i in items[-3:]] == ["new", "update", "kill"]
    assert len({i["story_id"] for i in items[-3:]}) == 1
    objects = ninjs.values()
    assert len(objects) == len(items) == 10
    for record, item, ninjs_object in zip(ninjs.records, items, objects, strict=True):
        assert not list(validator.iter_errors(ninjs_object))
        assert record.key == item["story_id"].encode()
        assert ninjs_object["uri"] == f"urn:wirestream:story:{item['story_id']}"
        assert ninjs_object["version"] == str(item["version"])
    assert [o["pubStatus"] for o in objects[-3:]] == ["usable", "usable", "canceled"]
    assert [o["version"] for o in objects[-3:]] == ["1", "2", "3"]
