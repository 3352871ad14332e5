"""The Quix Streams peer of `wirestream serve pipeline` (issue 16): the same chain, as a Quix app.

One Quix `Application` (exactly-once) reads the raw topic and runs every record through
wirestream's own stages (`wirestream.pipeline.build_stages()`: normalizer → deduplicator →
enricher, chained by `wirestream.core.chain.Chain`, as `serve pipeline` chains them). Published
items go to the output topic (orjson bytes, keyed by story, like `serve pipeline`), dead letters
to the dead-letter topic (`DeadLetter.to_record`); held-back duplicates are not written.

Dedup state: one `Deduplicator` in the process keeps its window in memory per input partition,
as `serve pipeline`'s does, but the peer writes no changelog for it (Quix's state stores are
key-value per message key, not the deduplicator's per-partition index). So the peer writes
fewer records than `serve pipeline`, which also commits the dedup changelog in each
transaction: a difference in the peer's favour, reported with the figures.

    python -m bench.quix_peer BOOTSTRAP RAW OUTPUT DLQ GROUP [COMMIT_INTERVAL_S]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any, NamedTuple

import orjson
from quixstreams import Application, message_context
from quixstreams.models import Topic
from quixstreams.models.serializers import SerializationContext, Serializer

from wirestream.core.chain import Chain
from wirestream.core.records import DeadLetter, Origin
from wirestream.core.runtime.translate import rfc3339_now
from wirestream.pipeline import build_stages, freeze_built

BATCH = 500  # `serve pipeline`'s default batch (WIRESTREAM_BATCH_SIZE): records per transaction
COMMIT_INTERVAL_S = 1.0  # Quix's default is 5 s: the last records would wait that long at the end
# librdkafka sends what it has every 5 ms by default: many small transactional writes, which
# cost the broker 2-3x the CPU per item of `serve pipeline`'s one write per batch in a trial.
# Lingering up to the commit lets the peer write in batches too (the checkpoint flushes).
LINGER_MS = 100


class Out(NamedTuple):
    """One record to write: which topic, its key and its bytes."""

    topic: str
    key: bytes | None
    value: bytes


class OutValue(Serializer):
    """The bytes the chain's outcome already carries (orjson, as `serve pipeline` writes)."""

    def __call__(self, value: Out, ctx: SerializationContext) -> bytes:
        return value.value


class PeerChain:
    """wirestream's chain behind Quix: one raw record in, the records to write out."""

    def __init__(self, output: str, dlq: str) -> None:
        self.chain = Chain(build_stages())  # exactly what `serve pipeline` chains
        freeze_built()  # as `serve` does: the runtimes differ, not the chain
        self.output = output
        self.dlq = dlq

    def __call__(self, value: bytes | None, key: bytes | None, timestamp: int, _: Any) -> list[Out]:
        context = message_context()
        origin = Origin(context.topic, context.partition, context.offset, timestamp)
        out: list[Out] = []
        for outcome in self.chain.process(value or b"", origin):
            if isinstance(outcome, DeadLetter):
                letter = replace(outcome, key=key).to_record(rfc3339_now())
                out.append(Out(self.dlq, key, orjson.dumps(letter)))
            elif outcome.publish:
                out.append(Out(self.output, outcome.key.encode(), orjson.dumps(outcome.item)))
        return out


def application(
    bootstrap: str,
    raw: str,
    output: str,
    dlq: str,
    group: str,
    commit_interval: float = COMMIT_INTERVAL_S,
) -> Application:
    """The peer app, ready to `run()`."""
    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        processing_guarantee="exactly-once",
        commit_every=BATCH,
        commit_interval=commit_interval,
        loglevel="WARNING",
        auto_create_topics=False,  # the harness creates every topic, as for wirestream
        use_changelog_topics=False,  # no Quix state store is used
        # Java's (and aiokafka's) partitioner, so keys land where `serve pipeline` puts them.
        producer_extra_config={"partitioner": "murmur2_random", "linger.ms": LINGER_MS},
    )
    source = app.topic(raw, key_deserializer="bytes", value_deserializer="bytes")
    targets: dict[str, Topic] = {
        name: app.topic(name, key_serializer="bytes", value_serializer=OutValue())
        for name in (output, dlq)
    }
    sdf = app.dataframe(source)
    sdf = sdf.apply(PeerChain(output, dlq), expand=True, metadata=True)
    sdf.to_topic(lambda out, *_: targets[out.topic], key=lambda out: out.key)
    return app


if __name__ == "__main__":
    bootstrap, raw, output, dlq, group, *rest = sys.argv[1:]
    application(bootstrap, raw, output, dlq, group, *map(float, rest)).run()
