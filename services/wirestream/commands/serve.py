"""`wirestream serve normalizer|deduplicator|enricher|pipeline|ninjs`: a stage as a Kafka service.

    normalizer    wire.raw    → wire.items       (group wirestream-normalizer)
    deduplicator  wire.items  → wire.unique      (group wirestream-deduplicator, state in
                                                  wire.dedup-changelog)
    enricher      wire.unique → wire.normalized  (group wirestream-enricher)
    pipeline      wire.raw    → wire.normalized  (all three in one process)
    ninjs         wire.normalized → wire.ninjs   (IPTC ninjs 3.x, keyed by story id)

Pipeline mode keeps the dedup state per *raw* partition, so likely duplicates only meet when
they arrive on the same raw partition: use it with a single-partition `wire.raw` (development,
`make run`) or with raw records keyed so that duplicates share a partition. At scale, run the
three services, where `wire.items` is keyed by the routing key. Pipeline and deduplicator
services must not share a changelog topic (their state is partitioned differently).

Settings come from flags, then `WIRESTREAM_*` / `KAFKA_BOOTSTRAP` (see `wirestream.core.config`),
then a broker left running by `wirestream kafka start --detach`. `/metrics`, `/healthz` and
`/readyz` are served on `--metrics-port` (0: a free port, logged as `http_listening`).
SIGTERM or SIGINT finishes the batch in flight, commits it and leaves the group.
`WIRESTREAM_ENRICHERS` (comma-separated: dateline,agencies,countries,entities,topics; default
all) picks the enricher chain.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from wirestream.core import config
from wirestream.core.clients import admin, command_settings, retrying
from wirestream.core.config import Settings, add_settings_arguments
from wirestream.core.http import Health, HttpServer, PortInUse, build_app
from wirestream.core.logging import configure_logging, get_logger
from wirestream.core.metrics import Metrics
from wirestream.core.runtime.codec import item_dict, raw_bytes
from wirestream.core.runtime.service import StageService
from wirestream.core.runtime.translate import Binding
from wirestream.core.stage import Stage
from wirestream.core.topics import ensure_topics, pipeline_topic_specs
from wirestream.ninjs import NinjsWriter
from wirestream.pipeline import (
    STAGES,
    PipelineOptions,
    build_stage,
    build_stages,
    freeze_built,
    stage_topics,
)

SERVICES = (*STAGES, "pipeline", "ninjs")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    environment = config.__doc__[config.__doc__.index("Environment variables") :]
    parser.epilog = __doc__.split("\n", 1)[1] + "\n" + environment
    parser.add_argument("service", choices=SERVICES, help="which stage(s) to run")
    parser.add_argument(
        "--create-topics",
        action="store_true",
        help="create the pipeline topics that do not exist before starting",
    )
    add_settings_arguments(parser)


def binding_for(service: str, settings: Settings) -> Binding:
    """The stages and topics of one service."""
    topics = settings.topics
    options = PipelineOptions.from_env()
    if service == "ninjs":
        stages: list[Stage] = [NinjsWriter()]
    elif service == "pipeline":
        stages = build_stages(options)
    else:
        stages = [build_stage(service, options)]
    input_topic, output_topic = {
        **stage_topics(topics),
        "ninjs": (topics.normalized, topics.ninjs),
    }[service]
    return Binding(
        service=service,
        stages=stages,
        decode=raw_bytes if input_topic == topics.raw else item_dict,
        input_topic=input_topic,
        output_topic=output_topic,
        dlq_topic=topics.dlq,
        changelog_topic=topics.dedup_changelog,
    )


def run(args: argparse.Namespace) -> int:
    settings = command_settings(args, args.service)
    configure_logging(args.service, settings.log_level)
    try:
        binding = binding_for(args.service, settings)
        freeze_built()
        return asyncio.run(serve(settings, binding, args.create_topics))
    except PortInUse as busy:
        print(
            f"wirestream serve: metrics {busy}; choose another with --metrics-port or"
            " WIRESTREAM_METRICS_PORT (0 picks a free port)",
            file=sys.stderr,
        )
        return 2


async def serve(settings: Settings, binding: Binding, create_topics: bool = False) -> int:
    """Run one service until SIGTERM/SIGINT; 0 on a clean stop, 1 on a fatal error."""
    log = get_logger()
    metrics = Metrics(binding.service)
    health = Health()
    http = HttpServer(
        build_app(health, metrics.registry), settings.metrics_host, settings.metrics_port
    )
    await http.start()
    log.info("http_listening", port=http.port, url=http.url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stop_on(signum: signal.Signals) -> None:
        log.info("signal_received", signal=signum.name, action="finish the batch, commit, leave")
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_on, signum)
    try:
        if create_topics:
            specs = pipeline_topic_specs(settings.topics)
            async with admin(settings) as client:
                report = await retrying(lambda: ensure_topics(client, specs))
            log.info("topics_ensured", created=report.created)
        await StageService(settings, binding, metrics, health).run(stop)
    except Exception as exc:
        health.fail(f"{type(exc).__name__}: {exc}")
        log.exception("service_failed")
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await http.stop()
    return 0
