"""Prometheus metrics of one wirestream process, in its own registry (served on `/metrics`).

Every metric carries a `service` label (normalizer, deduplicator, enricher, pipeline,
producer). The reference, for dashboards and alert rules:

Name (type; labels): meaning.

- `wirestream_build_info` (gauge (info); `version`, `python`): 1, with the running version
- `wirestream_records_consumed_total` (counter; `service`, `topic`): records read from an input
  topic
- `wirestream_records_produced_total` (counter; `service`, `topic`): records written (outputs,
  dead letters, changelog)
- `wirestream_items_held_total` (counter; `service`): items a stage emitted but did not publish
  (duplicates)
- `wirestream_dedup_decisions_total` (counter; `service`, `status`): new / update / duplicate
- `wirestream_dedup_update_changes_total` (counter; `service`, `change`): updates by kind of
  change (`changes.kinds`: `teaser_to_article`, `headline`, `figure`, `text`,
  `paragraph_added`, `paragraph_removed`, `subheading`, `agency`, `other`; `unknown` when the
  previous version's text was not known); an update with two kinds counts in both
- `wirestream_dead_letters_total` (counter; `service`, `stage`, `reason`): records sent to the
  DLQ, by stage and reason code
- `wirestream_stage_latency_seconds` (histogram; `service`, `stage`): time one stage spends on
  one input record
- `wirestream_end_to_end_latency_seconds` (histogram; `service`, `topic`): raw record timestamp
  → output written (topic = output topic)
- `wirestream_batch_size_records` (histogram; `service`): records per processed batch
- `wirestream_consumer_lag_records` (gauge; `service`, `topic`, `partition`): high watermark −
  position after each batch
- `wirestream_assigned_partitions` (gauge; `service`): input partitions owned right now
- `wirestream_rebalances_total` (counter; `service`, `event`): `assigned` / `revoked` callbacks
- `wirestream_changelog_restored_records_total` (counter; `service`): changelog records
  replayed into stage state
- `wirestream_commits_total` (counter; `service`): committed batches (transactions or offset
  commits)
- `wirestream_commit_seconds` (histogram; `service`): time one committed batch took to
  commit: a transaction from its begin to its commit acknowledged (exactly-once), or the
  batch's sends acknowledged and its offsets committed (at-least-once); under a steady
  stream a record waits for one or two of these
- `wirestream_commit_failures_total` (counter; `service`): failed commits (transaction or
  offset commit)
- `wirestream_transaction_aborts_total` (counter; `service`): aborted transactions (batch
  retried)
- `wirestream_broker_retries_total` (counter; `service`, `error`): transient broker errors
  retried with backoff
- `wirestream_stage_events_total` (counter; `service`, `stage`, `event`): totals a stage keeps
  itself, read at scrape time: enricher `gazetteer_misses`, `unknown_agencies`,
  `errors.<enricher>`; deduplicator `evictions` (window/cap evictions of remembered items)
- `wirestream_ready` (gauge; `service`): 1 when assigned partitions are restored and being
  processed
- `wirestream_ingest_responses_total` (counter; `service`, `status`): HTTP ingest answers by
  status code (202 accepted; 400, 401, 413 refused to the client; 503 broker unavailable)
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Mapping
from typing import get_args

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from wirestream import __version__
from wirestream.core.item import ChangeKind, DedupStatus

# Stage work is sub-millisecond to tens of milliseconds per record.
STAGE_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# End to end spans fetch waits, batching and transactions: milliseconds to minutes.
E2E_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000)
# A commit takes ~5 ms alone on a local broker, tens of ms beside a busy chain, seconds when
# a broker is in trouble.
COMMIT_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 10.0)


class StageCounts(Collector):
    """Exposes the `counts` mapping of stages (e.g. the enricher's gazetteer misses) as
    `wirestream_stage_events_total`; stages stay pure and the scrape reads their tallies."""

    def __init__(self, service: str, sources: Callable[[], Iterable[tuple[str, Mapping]]]) -> None:
        self._service = service
        self._sources = sources

    def collect(self) -> Iterable[CounterMetricFamily]:
        family = CounterMetricFamily(
            "wirestream_stage_events",
            "Events a stage counted itself (gazetteer misses, unknown agencies)",
            labels=["service", "stage", "event"],
        )
        for stage, counts in self._sources():
            for event, value in counts.items():
                family.add_metric([self._service, stage, str(event)], float(value))
        yield family


class Metrics:
    """All metrics of one process, registered in a private `CollectorRegistry`."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        r = self.registry
        Info("wirestream_build", "wirestream build information", registry=r).info(
            {"version": __version__, "python": platform.python_version()}
        )
        svc = ["service"]
        self.consumed = Counter(
            "wirestream_records_consumed", "Records read", [*svc, "topic"], registry=r
        )
        self.produced = Counter(
            "wirestream_records_produced", "Records written", [*svc, "topic"], registry=r
        )
        self.held = Counter(
            "wirestream_items_held", "Items emitted but not published", svc, registry=r
        )
        self.dedup_decisions = Counter(
            "wirestream_dedup_decisions", "Deduplication decisions", [*svc, "status"], registry=r
        )
        self.update_changes = Counter(
            "wirestream_dedup_update_changes",
            "Updates by kind of change",
            [*svc, "change"],
            registry=r,
        )
        self.dead_letters = Counter(
            "wirestream_dead_letters", "Dead letters", [*svc, "stage", "reason"], registry=r
        )
        self.stage_latency = Histogram(
            "wirestream_stage_latency_seconds",
            "Time a stage spends on one record",
            [*svc, "stage"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.end_to_end_latency = Histogram(
            "wirestream_end_to_end_latency_seconds",
            "Raw record timestamp to output written",
            [*svc, "topic"],
            buckets=E2E_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "wirestream_batch_size_records",
            "Records per batch",
            svc,
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.lag = Gauge(
            "wirestream_consumer_lag_records",
            "High watermark minus position",
            [*svc, "topic", "partition"],
            registry=r,
        )
        self.assigned = Gauge(
            "wirestream_assigned_partitions", "Input partitions owned", svc, registry=r
        )
        self.rebalances = Counter(
            "wirestream_rebalances", "Rebalance callbacks", [*svc, "event"], registry=r
        )
        self.restored = Counter(
            "wirestream_changelog_restored_records",
            "Changelog records replayed into state",
            svc,
            registry=r,
        )
        self.commits = Counter("wirestream_commits", "Committed batches", svc, registry=r)
        self.commit_seconds = Histogram(
            "wirestream_commit_seconds",
            "Time a committed batch took to commit",
            svc,
            buckets=COMMIT_BUCKETS,
            registry=r,
        )
        self.commit_failures = Counter(
            "wirestream_commit_failures", "Failed commits", svc, registry=r
        )
        self.transaction_aborts = Counter(
            "wirestream_transaction_aborts", "Aborted transactions", svc, registry=r
        )
        self.broker_retries = Counter(
            "wirestream_broker_retries",
            "Transient broker errors retried",
            [*svc, "error"],
            registry=r,
        )
        self.ready = Gauge("wirestream_ready", "1 when ready", svc, registry=r)
        self.ingest_responses = Counter(
            "wirestream_ingest_responses",
            "HTTP ingest responses by status code",
            [*svc, "status"],
            registry=r,
        )

    def expect(self, consumes: str, produces: Iterable[str], decides: bool) -> None:
        """Create at zero the series this service will move, so that Prometheus sees them
        before the first record and `rate()` counts the first increments too."""
        service = self.service
        for counter in (
            self.held,
            self.restored,
            self.commits,
            self.commit_failures,
            self.transaction_aborts,
        ):
            counter.labels(service)
        self.consumed.labels(service, consumes)
        for topic in produces:
            self.produced.labels(service, topic)
        if decides:
            for status in get_args(DedupStatus):
                self.dedup_decisions.labels(service, status)
            for change in (*get_args(ChangeKind), "unknown"):
                self.update_changes.labels(service, change)

    def watch_stage_counts(self, sources: Callable[[], Iterable[tuple[str, Mapping]]]) -> None:
        """Expose `(stage name, counts mapping)` pairs, read at every scrape."""
        self.registry.register(StageCounts(self.service, sources))

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
