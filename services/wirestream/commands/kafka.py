"""`wirestream kafka start|stop|status`: a local single-node Kafka broker, no Docker.

`start` runs in the foreground until Ctrl-C or SIGTERM; `start --detach` leaves the broker
running and records it under `.run/kafka/` so `stop` and `status` find it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from wirestream.devbroker.detached import DetachedBroker, cluster_from_env
from wirestream.devbroker.errors import LocalKafkaError
from wirestream.devbroker.jars import default_version
from wirestream.devbroker.local_kafka import LocalKafka


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start a broker and print its bootstrap address")
    start.add_argument(
        "--detach", action="store_true", help="leave it running; stop it with `kafka stop`"
    )
    start.add_argument("--port", type=int, help="listener port (default: a free one)")
    start.add_argument(
        "--version", default=default_version(), help="Apache Kafka version (default: %(default)s)"
    )
    actions.add_parser("stop", help="stop the detached broker")
    actions.add_parser("status", help="say whether a detached broker is running (exit 1 if not)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "start":
            return _start(args)
        if args.action == "stop":
            return _stop()
        return _status()
    except LocalKafkaError as error:
        print(f"wirestream kafka: {error}", file=sys.stderr)
        return 1


def _start(args: argparse.Namespace) -> int:
    external = cluster_from_env()
    if external:
        print(f"KAFKA_BOOTSTRAP is set: using {external}, starting nothing", file=sys.stderr)
        print(external)
        return 0
    if args.detach:
        return _start_detached(args)
    return _start_foreground(args)


def _start_detached(args: argparse.Namespace) -> int:
    running = DetachedBroker.load()
    if running and running.alive():
        print(f"already running (pid {running.pid}); stop it with `wirestream kafka stop`")
        print(running.bootstrap)
        return 0
    began = time.monotonic()
    kafka = LocalKafka(args.version, port=args.port, watchdog=False, keep_dir=True).start()
    broker = kafka.detach()
    state = broker.save()
    print(
        f"Kafka {broker.version} running (pid {broker.pid}, started in "
        f"{time.monotonic() - began:.1f}s, state {state})",
        file=sys.stderr,
    )
    print(broker.bootstrap)
    return 0


def _start_foreground(args: argparse.Namespace) -> int:
    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGTERM takes the same clean path as Ctrl-C.
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        began = time.monotonic()
        with LocalKafka(args.version, port=args.port) as kafka:
            print(
                f"Kafka {kafka.broker_version} running (pid {kafka.pid}, started in "
                f"{time.monotonic() - began:.1f}s); Ctrl-C stops it",
                file=sys.stderr,
            )
            print(kafka.bootstrap, flush=True)
            assert kafka.process is not None
            code = kafka.process.wait()
            print(
                f"the broker exited on its own (code {code}):\n{kafka.log_tail()}", file=sys.stderr
            )
            return 1
    except KeyboardInterrupt:
        print("broker stopped", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop() -> int:
    broker = DetachedBroker.load()
    if broker is None:
        print("no detached broker recorded; nothing to stop")
        return 0
    was_running = broker.stop()
    DetachedBroker.forget()
    print(f"stopped broker pid {broker.pid}" if was_running else "it had already stopped")
    return 0


def _status() -> int:
    broker = DetachedBroker.load()
    if broker is None:
        print("no detached broker recorded")
        return 1
    if not broker.alive():
        print(f"recorded broker pid {broker.pid} is not running (run `wirestream kafka stop`)")
        return 1
    print(f"running: Kafka {broker.version} at {broker.bootstrap} (pid {broker.pid})")
    print(f"directory: {broker.directory}")
    return 0
