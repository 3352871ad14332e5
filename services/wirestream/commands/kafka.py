"""`wirestream kafka start|stop|status`: a local Kafka broker, or with `--brokers 3` a
three-node KRaft cluster (every node broker and controller, a three-voter quorum), no Docker.

`start` runs in the foreground until Ctrl-C or SIGTERM; `start --detach` leaves the broker(s)
running and records them under `.run/kafka/` so `stop` and `status` find them. Topics created
by wirestream get replication factor 3 and min.insync.replicas 2 on three or more brokers.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from wirestream.devbroker.cluster import LocalCluster
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
    start.add_argument(
        "--port", type=int, help="listener port (of the first broker; default: a free one)"
    )
    start.add_argument(
        "--brokers",
        type=_cluster_size,
        default=1,
        help="brokers in the cluster, each also a controller (default: %(default)s)",
    )
    start.add_argument(
        "--version", default=default_version(), help="Apache Kafka version (default: %(default)s)"
    )
    actions.add_parser("stop", help="stop the detached broker")
    actions.add_parser("status", help="say whether a detached broker is running (exit 1 if not)")


def _cluster_size(text: str) -> int:
    size = int(text)
    if size < 1:
        raise argparse.ArgumentTypeError(f"a cluster needs at least one broker, not {size}")
    return size


def _local(args: argparse.Namespace, detached: bool) -> LocalKafka | LocalCluster:
    """One broker as before, or a cluster of `--brokers` nodes."""
    options = {"port": args.port, "watchdog": not detached, "keep_dir": detached}
    if args.brokers == 1:
        return LocalKafka(args.version, **options)  # type: ignore[arg-type]
    return LocalCluster(args.brokers, args.version, **options)  # type: ignore[arg-type]


def _nodes(kafka: LocalKafka | LocalCluster) -> list[LocalKafka]:
    return list(kafka.nodes.values()) if isinstance(kafka, LocalCluster) else [kafka]


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
    if running and running.running():
        print(f"already running ({_pids(running)}); stop it with `wirestream kafka stop`")
        print(running.bootstrap)
        return 0
    began = time.monotonic()
    broker = _local(args, detached=True).start().detach()
    state = broker.save()
    print(
        f"Kafka {broker.version} running ({_pids(broker)}, started in "
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
        with _local(args, detached=False) as kafka:
            nodes = _nodes(kafka)
            pids = ", ".join(str(node.pid) for node in nodes)
            print(
                f"Kafka {kafka.broker_version} running ({args.brokers} broker(s), pid {pids}, "
                f"started in {time.monotonic() - began:.1f}s); Ctrl-C stops it",
                file=sys.stderr,
            )
            print(kafka.bootstrap, flush=True)
            while not (exited := [n for n in nodes if n.process and n.process.poll() is not None]):
                time.sleep(0.5)
            code = exited[0].process.returncode if exited[0].process else None
            print(
                f"a broker exited on its own (code {code}):\n{exited[0].log_tail()}",
                file=sys.stderr,
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
    print(f"stopped {_pids(broker)}" if was_running else "it had already stopped")
    return 0


def _status() -> int:
    broker = DetachedBroker.load()
    if broker is None:
        print("no detached broker recorded")
        return 1
    running = broker.running()
    if not running:
        print(f"recorded {_pids(broker)} not running (run `wirestream kafka stop`)")
        return 1
    brokers = f"{len(running)} of {len(broker.pids)} broker(s)"
    print(f"running: Kafka {broker.version}, {brokers} at {broker.bootstrap} ({_pids(broker)})")
    print(f"directory: {broker.directory}")
    return 0 if len(running) == len(broker.pids) else 1


def _pids(broker: DetachedBroker) -> str:
    return "pid " + ", ".join(map(str, broker.pids))
