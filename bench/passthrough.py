"""The Kafka baseline: a plain aiokafka consume → produce loop with no processing.

Same batch size, acks and idempotence as the wirestream services, offsets committed after each
batch (at-least-once), records copied to the same partition number of the output topic. It
reads `read_committed`, as the services do: reading uncommitted, it copied a preloaded backlog
before the backlog's transaction committed, so its drain measured nothing.

    python -m bench.passthrough BOOTSTRAP INPUT OUTPUT GROUP
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

BATCH = 500  # the services' default batch size (WIRESTREAM_BATCH_SIZE)


async def passthrough(bootstrap: str, source: str, target: str, group: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=BATCH,
        isolation_level="read_committed",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            sends = [
                await producer.send(target, r.value, key=r.key, partition=tp.partition)
                for tp, records in batch.items()
                for r in records
            ]
            if sends:
                await asyncio.gather(*sends)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(passthrough(*sys.argv[1:5]))
