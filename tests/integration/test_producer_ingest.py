"""The HTTP ingest endpoint against a real broker: status codes, what reaches the topic, and
the `wirestream produce --http` server with its token and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from service_harness import TopicReader, fresh_topics

from wirestream.core.http import Health, HttpServer, build_app
from wirestream.core.metrics import Metrics
from wirestream.devbroker.node import free_port
from wirestream.producer.ingest import ingest_routes
from wirestream.producer.publisher import Publisher

pytestmark = pytest.mark.kafka

BODY = "GENÈVE (ANP/AFP) - Zwitserland heeft aangeboden om in Genève vredesoverleg te organiseren."
NDJSON = {"Content-Type": "application/x-ndjson"}


def envelope(page_id: str, source: str = "anp", body: str = BODY) -> bytes:
    return orjson.dumps(
        {
            "id": page_id,
            "source": source,
            "fetched_at": "2026-11-26T10:00:00Z",
            "content_type": "text/plain",
            "body": body,
        }
    )


@contextlib.asynccontextmanager
async def ingest_server(
    bootstrap: str, topic: str, *, token: str | None = None, **limits: int
) -> AsyncIterator[tuple[str, Publisher, Metrics]]:
    """The ingest routes on H5a's app, publishing to `topic`; yields the base URL."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    publisher = Publisher(producer, topic, max_record_bytes=limits.pop("max_record_bytes", 10**6))
    metrics = Metrics("producer")
    routes = ingest_routes(publisher, metrics=metrics, token=token, **limits)
    server = HttpServer(build_app(Health(), metrics.registry, routes), "127.0.0.1", 0)
    await server.start()
    try:
        yield server.url, publisher, metrics
    finally:
        await server.stop()
        await producer.stop()


async def test_ingest_status_codes_and_what_reaches_the_topic(kafka_bootstrap):
    topics = await fresh_topics(kafka_bootstrap, "ingest", partitions=2)
    async with (
        ingest_server(kafka_bootstrap, topics.raw, max_body_bytes=8192, max_record_bytes=4096) as (
            url,
            publisher,
            metrics,
        ),
        aiohttp.ClientSession() as http,
    ):
        async with http.post(f"{url}/ingest", data=envelope("one")) as response:
            assert response.status == 202
            assert await response.json() == {"accepted": 1, "topic": topics.raw}

        batch = b"\n".join(envelope(f"b{n}", source=f"s{n % 2}") for n in range(3))
        async with http.post(f"{url}/ingest", data=batch, headers=NDJSON) as response:
            assert response.status == 202
            assert (await response.json())["accepted"] == 3

        # One bad line fails the whole batch, with the line and the reason.
        mixed = envelope("never") + b'\n{"source": "anp", "fetched_at": "gisteren"}\n'
        async with http.post(f"{url}/ingest", data=mixed, headers=NDJSON) as response:
            assert response.status == 400
            answer = await response.json()
        assert "nothing was published" in answer["error"]
        assert answer["rejected"][0]["where"] == "request:2"
        assert answer["rejected"][0]["reason"] == "missing fields 'content_type', 'body'"

        for bad in (b"", b"{not json", b"[1, 2]"):
            async with http.post(f"{url}/ingest", data=bad) as response:
                assert response.status == 400, bad
                assert (await response.json())["error"]

        async with http.post(f"{url}/ingest", data=b"x" * 9000) as response:
            assert response.status == 413  # the body limit
        big = envelope("big", body="woord " * 1000)  # under the body limit, over the record limit
        async with http.post(f"{url}/ingest", data=big) as response:
            assert response.status == 413
            assert (await response.json())["where"] == ["request"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(10):
                yield b" " * 1024

        async with http.post(f"{url}/ingest", data=chunks()) as response:
            assert response.status == 413

    assert publisher.stats.published == 4
    # A refused request is the client's error: answered and counted by status, never a
    # producer dead letter (nothing reached Kafka, so `dlq list` has nothing to show).
    assert publisher.stats.rejected_total == 0
    text = metrics.exposition().decode()
    responses = {
        status: f'wirestream_ingest_responses_total{{service="producer",status="{status}"}}'
        for status in ("202", "400", "401", "413", "503")
    }
    counted = {status: line for status, line in responses.items() if line in text}
    assert counted == responses  # every status exists, at zero when never answered
    for status, expected in (("202", 2), ("400", 4), ("401", 0), ("413", 3), ("503", 0)):
        assert f"{responses[status]} {expected}.0" in text, status
    assert "wirestream_dead_letters_total{" not in text
    async with TopicReader(kafka_bootstrap, topics.raw) as reader:
        await reader.until(4)
        records = await reader.drain()
    assert sorted(orjson.loads(r.value)["id"] for r in records) == ["b0", "b1", "b2", "one"]
    assert {r.key for r in records} == {b"anp", b"s0", b"s1"}
    assert all(r.key == orjson.loads(r.value)["source"].encode() for r in records)


async def test_produce_http_requires_the_token_and_counts_in_metrics(kafka_bootstrap):
    topics = await fresh_topics(kafka_bootstrap, "ingestcli", partitions=1)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirestream.cli", "produce", "--bootstrap", kafka_bootstrap,
        "--topic", topics.raw, "--http", f"127.0.0.1:{port}",
        env={**os.environ, "WIRESTREAM_INGEST_TOKEN": "s3cret"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await _until_ready(http, f"{url}/readyz")
            async with http.post(f"{url}/ingest", data=envelope("x")) as response:
                assert response.status == 401
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
            wrong = {"Authorization": "Bearer nope"}
            async with http.post(f"{url}/ingest", data=envelope("x"), headers=wrong) as response:
                assert response.status == 401
            right = {"Authorization": "bearer s3cret"}  # the scheme in any case, RFC 7235
            async with http.post(f"{url}/ingest", data=envelope("x"), headers=right) as response:
                assert response.status == 202
            async with http.get(f"{url}/metrics") as response:
                metrics = await response.text()
        produced = f'wirestream_records_produced_total{{service="producer",topic="{topics.raw}"}}'
        assert f"{produced} 1.0" in metrics
        assert 'wirestream_ingest_responses_total{service="producer",status="401"} 2.0' in metrics
        assert 'wirestream_ready{service="producer"} 1.0' in metrics  # in the $service selector
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert "s3cret" not in (out + err).decode()  # the token never shows in logs
    assert f"1 published to {topics.raw}" in err.decode()
    refusals = [orjson.loads(line) for line in out.splitlines() if b"ingest_refused" in line]
    assert [(r["level"], r["status"]) for r in refusals] == [("warning", 401), ("warning", 401)]
    async with TopicReader(kafka_bootstrap, topics.raw) as reader:
        [record] = await reader.until(1)
    assert orjson.loads(record.value)["id"] == "x"


async def _until_ready(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(url) as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never became ready")
