"""`wirestream produce`: publish raw envelopes to `wire.raw`.

    wirestream produce pages/                    # every page file under pages/, recursively
    wirestream produce --watch pages/            # ... then new or changed files (whole)
    wirestream produce --rate 200 dump.ndjson    # replay envelopes at 200 records/s
    cat page.txt | wirestream produce -          # stdin: one page, or NDJSON envelopes
    wirestream produce --http 0.0.0.0:8080       # HTTP ingest (POST /ingest) until SIGTERM

Exit status: 0 when everything was published, 1 when anything was rejected or not
delivered (the summary on stderr says what), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from wirestream.core.clients import command_settings, quiet_client_logs
from wirestream.core.config import Settings, add_settings_arguments
from wirestream.core.http import Health, HttpServer, PortInUse, build_app
from wirestream.core.logging import configure_logging, get_logger
from wirestream.core.metrics import Metrics
from wirestream.producer.ingest import DEFAULT_MAX_BODY_BYTES, ingest_routes
from wirestream.producer.publisher import DEFAULT_MAX_RECORD_BYTES, Publisher, topic_exists
from wirestream.producer.report import ProduceReport
from wirestream.producer.sources import (
    Candidate,
    path_candidates,
    stream_candidates,
    watch_candidates,
)

TOKEN_ENV = "WIRESTREAM_INGEST_TOKEN"
# Protocol framing on top of the record itself, so a record at the limit still fits a request.
REQUEST_OVERHEAD = 64 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="page files, directories (recursive), .ndjson/.jsonl envelope files, or - for stdin",
    )
    parser.add_argument("--topic", help="topic to publish to (default: the raw topic, wire.raw)")
    parser.add_argument("--source", help="source of page files (default: their directory's name)")
    parser.add_argument("--rate", type=float, help="at most N records per second (paces replays)")
    parser.add_argument("--watch", action="store_true", help="keep publishing new files in dirs")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="--watch poll seconds")
    parser.add_argument("--http", metavar="HOST:PORT", help="serve POST /ingest (and /metrics)")
    parser.add_argument(
        "--token", help=f"bearer token the ingest endpoint requires (better: env {TOKEN_ENV})"
    )
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--max-record-bytes", type=int, default=DEFAULT_MAX_RECORD_BYTES)
    parser.add_argument("--dead-letter", type=Path, metavar="FILE", help="append rejections here")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress line on stderr (default: when stderr is a terminal)",
    )
    add_settings_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if not args.paths and not args.http:
        print("wirestream produce: give a PATH, - for stdin, or --http HOST:PORT", file=sys.stderr)
        return 2
    for path in args.paths:
        if path != "-" and not Path(path).exists():
            print(f"wirestream produce: error: no such file or directory: {path}", file=sys.stderr)
            return 2
    try:
        settings = command_settings(args, "producer")
        listen = _host_port(args.http) if args.http else None
    except ValueError as error:
        print(f"wirestream produce: {error}", file=sys.stderr)
        return 2
    configure_logging("producer", settings.log_level)
    quiet_client_logs()
    dead_letters = args.dead_letter.open("ab") if args.dead_letter else None
    try:
        return asyncio.run(_produce(args, settings, listen, dead_letters))
    finally:
        if dead_letters is not None:
            dead_letters.close()


async def _produce(
    args: argparse.Namespace,
    settings: Settings,
    listen: tuple[str, int] | None,
    dead_letters: BinaryIO | None,
) -> int:
    topic = args.topic or settings.topics.raw
    report = ProduceReport(sys.stderr, dead_letters=dead_letters)
    metrics = Metrics("producer")
    producer = await _connected_producer(settings, topic, args.max_record_bytes)
    if producer is None:
        return 1
    publisher = Publisher(
        producer,
        topic,
        metrics=metrics,
        rate=args.rate,
        max_record_bytes=args.max_record_bytes,
        max_in_flight=settings.max_in_flight,
        on_reject=report.rejected,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        server = await _http_server(args, settings, listen, publisher, metrics)
    except (PortInUse, OSError) as error:  # the port is taken, or the host is not ours
        flag = "--http" if listen is not None else "--metrics-port"
        print(f"wirestream produce: cannot listen: {error} (see {flag})", file=sys.stderr)
        await producer.stop()
        return 1
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    progress = asyncio.create_task(report.show_progress(publisher.stats)) if show_progress else None
    try:
        feed = asyncio.create_task(_feed(publisher, args))
        waiting = {feed, asyncio.create_task(stop.wait())}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if feed in done and feed.exception() is None and listen is not None:
            await stop.wait()  # the files are in; keep serving ingest until told to stop
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        if feed.done() and not feed.cancelled() and feed.exception() is not None:
            raise feed.exception()
    finally:
        if server is not None:
            await server.stop()
        await publisher.drain()
        if progress is not None:
            progress.cancel()
        await producer.stop()
        report.summary(publisher.stats, topic)
    stats = publisher.stats
    return 1 if stats.rejected_total or stats.failed else 0


async def _connected_producer(
    settings: Settings, topic: str, max_record_bytes: int
) -> AIOKafkaProducer | None:
    """A started producer for an existing topic, or None after saying what is wrong."""
    producer = AIOKafkaProducer(
        **settings.producer_kwargs(),
        max_request_size=max_record_bytes + REQUEST_OVERHEAD,
        linger_ms=5,
    )
    try:
        await producer.start()
        if await topic_exists(producer, topic):
            return producer
        problem = f"topic {topic} does not exist (create it with `wirestream topics`)"
    except KafkaError as error:
        problem = f"cannot reach {settings.bootstrap}: {error}"
    print(f"wirestream produce: {problem}", file=sys.stderr)
    await producer.stop()
    return None


async def _http_server(
    args: argparse.Namespace,
    settings: Settings,
    listen: tuple[str, int] | None,
    publisher: Publisher,
    metrics: Metrics,
) -> HttpServer | None:
    """The ingest endpoint with /metrics, /healthz, /readyz on `--http`; or only the latter
    three on `--metrics-port` (a long `--watch` run); or none for a one-off run."""
    health = Health()
    if listen is not None:
        token = args.token or os.environ.get(TOKEN_ENV) or None
        routes = ingest_routes(
            publisher, metrics=metrics, max_body_bytes=args.max_body_bytes, token=token
        )
        server = HttpServer(build_app(health, metrics.registry, routes), *listen)
    elif args.metrics_port is not None:
        app = build_app(health, metrics.registry)
        server = HttpServer(app, settings.metrics_host, settings.metrics_port)
    else:
        return None
    await server.start()
    health.set_ready()
    metrics.ready.labels(metrics.service).set(1)  # the producer shows in dashboards' selectors
    get_logger().info("http_listening", url=server.url, topic=publisher.topic)
    if listen is not None:
        print(f"wirestream produce: ingest at {server.url}/ingest", file=sys.stderr)
    return server


async def _feed(publisher: Publisher, args: argparse.Namespace) -> None:
    """Every path in order; watched directories keep feeding until cancelled."""
    watches = []
    for argument in args.paths:
        path = Path(argument)
        if argument == "-":
            candidates: AsyncIterator[Candidate] = _in_thread(
                stream_candidates(sys.stdin.buffer, source=args.source or "stdin")
            )
        elif args.watch and path.is_dir():
            watches.append(
                _submit_all(
                    publisher,
                    watch_candidates(path, interval=args.poll_interval, source=args.source),
                )
            )
            continue
        else:
            candidates = _aiter(path_candidates(path, source=args.source))
        await _submit_all(publisher, candidates)
    await asyncio.gather(*watches)


async def _submit_all(publisher: Publisher, candidates: AsyncIterator[Candidate]) -> None:
    async for candidate in candidates:
        await publisher.submit(candidate)


async def _aiter(candidates: Iterator[Candidate]) -> AsyncIterator[Candidate]:
    for candidate in candidates:
        yield candidate


async def _in_thread(candidates: Iterator[Candidate]) -> AsyncIterator[Candidate]:
    """A blocking source (stdin) read in a daemon thread, so deliveries go on meanwhile and
    a stop signal is not held up by a read that may never return."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Candidate | None] = asyncio.Queue(maxsize=1000)

    def read() -> None:
        try:
            for candidate in candidates:
                asyncio.run_coroutine_threadsafe(queue.put(candidate), loop).result()
        finally:
            asyncio.run_coroutine_threadsafe(queue.put(None), loop).result()

    threading.Thread(target=read, name="wirestream-stdin", daemon=True).start()
    while (candidate := await queue.get()) is not None:
        yield candidate


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"--http wants HOST:PORT, got {value!r}")
    return host or "0.0.0.0", int(port)
