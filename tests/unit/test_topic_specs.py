"""Pipeline topic names and specs."""

from __future__ import annotations

from wirestream.core.topics import DAY_MS, PipelineTopics, pipeline_topic_specs


def test_default_names_follow_the_design():
    assert PipelineTopics().by_role() == {
        "raw": "wire.raw",
        "items": "wire.items",
        "unique": "wire.unique",
        "normalized": "wire.normalized",
        "dlq": "wire.dlq",
        "dedup_changelog": "wire.dedup-changelog",
        "ninjs": "wire.ninjs",
        "dlq_replays": "wire.dlq-replays",
    }


def test_prefix_applies_to_every_role():
    topics = PipelineTopics(raw="scraped").with_prefix("staging.")
    assert topics.raw == "staging.scraped"
    assert all(name.startswith("staging.") for name in topics.by_role().values())


def test_names_from_the_environment():
    env = {"WIRESTREAM_TOPIC_DLQ": "dead", "WIRESTREAM_TOPIC_PREFIX": "t."}
    topics = PipelineTopics.from_env(env)
    assert topics.dlq == "t.dead"
    assert topics.items == "t.wire.items"


def test_changelog_partitions_follow_the_items_topic():
    topics = PipelineTopics()
    specs = {spec.name: spec for spec in pipeline_topic_specs(topics, partitions=9)}
    assert specs[topics.dedup_changelog].partitions == specs[topics.items].partitions == 9
    assert specs[topics.raw].partitions == specs[topics.normalized].partitions == 9
    assert specs[topics.dlq].partitions == 1


def test_story_keyed_topics_and_the_changelog_are_compacted():
    topics = PipelineTopics()
    specs = {spec.name: spec for spec in pipeline_topic_specs(topics, dedup_window_ms=DAY_MS)}
    for name in (
        topics.unique,
        topics.normalized,
        topics.dedup_changelog,
        topics.ninjs,
        topics.dlq_replays,  # one entry per replayed dead letter
    ):
        assert specs[name].config["cleanup.policy"] == "compact,delete"
    for name in (topics.raw, topics.items, topics.dlq):
        assert "compact" not in specs[name].config.get("cleanup.policy", "delete")
    # The changelog outlives the dedup window, so a restore never misses live state.
    assert int(specs[topics.dedup_changelog].config["retention.ms"]) > DAY_MS
