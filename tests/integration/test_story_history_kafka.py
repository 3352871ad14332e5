"""`wirestream story` on a real broker: the normalizer and deduplicator services decide three
versions of an ANP story from scraped pages, and the command, run as a process, reads the
story's history back from the dedup changelog."""

from __future__ import annotations

import asyncio
import sys

import orjson
from service_harness import (
    TopicReader,
    caught_up,
    fresh_topics,
    produce,
    running,
    service_env,
    service_settings,
)

HEADLINE = "Zeker twaalf doden door noodweer in Valencia"
LEAD = (
    "VALENCIA (ANP/EFE) - Het dodental door het noodweer in de Spaanse regio Valencia is "
    "opgelopen tot 12. Dat melden de regionale hulpdiensten zaterdagochtend. Tientallen mensen "
    "worden nog vermist en duizenden huishoudens zitten zonder stroom."
)
BODY = [
    "In sommige dorpen viel binnen acht uur meer regen dan normaal in een heel jaar. Honderden "
    "inwoners brachten de nacht door op daken en in hoger gelegen gebouwen.",
    "De Spaanse regering stelt 1,5 miljoen euro beschikbaar voor de eerste noodhulp. Premier "
    "Pedro Sánchez bezoekt het gebied zondag.",
]
ADDED = "De Spaanse koning betuigde in een verklaring zijn medeleven met de nabestaanden."


def page(lead: str, body: list[str], fetched_at: str) -> bytes:
    text = "\n".join([HEADLINE, lead, *body])
    return orjson.dumps(
        {"source": "anp", "fetched_at": fetched_at, "content_type": "text/plain", "body": text}
    )


async def test_story_reads_a_storys_versions_and_changes_from_the_changelog(kafka_bootstrap):
    topics = await fresh_topics(kafka_bootstrap, "story", partitions=2, raw_partitions=1)
    revised = LEAD.replace("opgelopen tot 12.", "opgelopen tot 27.")
    pages = [
        page(LEAD, BODY, "2026-11-26T09:30:00Z"),
        page(revised, BODY, "2026-11-26T11:30:00Z"),
        page(revised, [*BODY, ADDED], "2026-11-26T12:45:00Z"),
    ]
    await produce(kafka_bootstrap, topics.raw, [(b"anp", p) for p in pages])
    async with (
        running(service_settings(kafka_bootstrap, topics, "normalizer")),
        running(service_settings(kafka_bootstrap, topics, "deduplicator")),
        TopicReader(kafka_bootstrap, topics.unique) as unique,
    ):
        await unique.until(len(pages))
        await caught_up(kafka_bootstrap, f"{topics.raw}.deduplicator", topics.items)
    decided = unique.values()
    story_id = decided[0]["story_id"]
    assert [(i["story_id"], i["version"]) for i in decided] == [(story_id, v) for v in (1, 2, 3)]

    env = service_env(kafka_bootstrap, topics, "story")
    pretty = await wirestream(env, "story", story_id)
    assert pretty.splitlines() == [
        f"v1   2026-11-26 09:30Z  new     {decided[0]['id']}  “{HEADLINE}”",
        "v2   2026-11-26 11:30Z  update  dodental 12 → 27",
        "v3   2026-11-26 12:45Z  update  +1 paragraph",
    ]
    ndjson = await wirestream(env, "story", story_id, "--format", "ndjson")
    records = [orjson.loads(line) for line in ndjson.splitlines()]
    assert [r["changes"] for r in records] == [None, decided[1]["changes"], decided[2]["changes"]]
    assert decided[2]["changes"]["added_paragraphs"] == [ADDED]
    assert await wirestream(env, "story", "no-such-story", status=1) == ""


async def wirestream(env: dict[str, str], *args: str, status: int = 0) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirestream.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == status, err.decode()
    return out.decode()
