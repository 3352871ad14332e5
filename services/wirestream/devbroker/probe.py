"""Whether a starting broker is ready: its port accepts connections and its metadata names
our cluster."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Coroutine
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from wirestream.devbroker.errors import LocalKafkaError


def port_accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


async def metadata_probe(bootstrap: str, cluster_id: str, brokers: int = 1) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
    finally:
        await admin.close()
    if len(cluster.get("brokers") or ()) < brokers:
        raise LocalKafkaError(f"metadata lists fewer than {brokers} brokers yet")
    # Something else may answer on a port we thought free; only our cluster id counts.
    if cluster.get("cluster_id") != cluster_id:
        raise LocalKafkaError(f"another cluster ({cluster.get('cluster_id')}) answers there")


def run_in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion on a private loop, even when a loop already runs here."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=target, name="local-kafka-probe", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
