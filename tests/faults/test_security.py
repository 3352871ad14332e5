"""Security against a broker of our own with a SASL_SSL listener (SCRAM-SHA-512, certificate
from a test CA made with openssl): the producer, its HTTP ingest, a service and `wirestream
topics` work over it; wrong credentials and untrusted certificates fail with a clear message;
the password and the ingest token never appear in any log line or on /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from fault_harness import Account, FaultResult

from integration.service_harness import fresh_topics
from wirestream.core.records import Origin
from wirestream.core.topics import PipelineTopics
from wirestream.devbroker.node import free_port
from wirestream.normalizer import Normalizer

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

PAGE = (
    "Kabinet verlaagt belasting voor gezinnen\n"
    "DEN HAAG (ANP) - Het kabinet heeft dinsdag besloten de belasting te verlagen voor "
    "gezinnen met kinderen.\nMeer uit Binnenland\n"
    "UTRECHT (ANP) - De gemeenteraad stemde in met het plan voor een autoluwe binnenstad.\n"
    "5 uur geleden"
)
WAIT_S = 90.0


def envelope(page_id: str) -> bytes:
    return orjson.dumps(
        {
            "id": page_id,
            "source": "anp",
            "fetched_at": "2026-11-26T10:00:00Z",
            "content_type": "text/plain",
            "body": PAGE,
        }
    )


class Command:
    """A `wirestream` subprocess whose every output byte (stdout and stderr) goes to a file,
    JSON or not, so a secret in a traceback or a stray print is found too."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Command:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "wirestream.cli", *self.args,
                env=self.env, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def logged(self, event: str) -> list[dict]:
        lines = []
        for line in self.text().splitlines():
            with contextlib.suppress(orjson.JSONDecodeError):
                record = orjson.loads(line)
                if isinstance(record, dict) and record.get("event") == event:
                    lines.append(record)
        return lines

    async def wait(self, timeout: float = WAIT_S) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await self.wait(30)
        except TimeoutError:
            self.process.kill()
            return await self.wait(10)


def command_env(secured, topics, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIRESTREAM_", "KAFKA_"))}
    env |= {f"WIRESTREAM_TOPIC_{role.upper()}": name for role, name in topics.by_role().items()}
    env |= secured.client_env()
    env |= {"WIRESTREAM_LOG_LEVEL": "DEBUG", "WIRESTREAM_METRICS_PORT": "0"}
    return env | extra


@contextlib.asynccontextmanager
async def secure_reader(secured, topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        topic, auto_offset_reset="earliest", isolation_level="read_committed",
        **secured.client_kwargs(),
    )  # fmt: skip
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def read_values(consumer: AIOKafkaConsumer, count: int) -> list[dict]:
    values: list[dict] = []
    deadline = time.monotonic() + WAIT_S
    while len(values) < count:
        assert time.monotonic() < deadline, f"{len(values)} of {count} records"
        for records in (await consumer.getmany(timeout_ms=200)).values():
            values.extend(orjson.loads(r.value) for r in records)
    return values


async def listening_url(command: Command) -> str:
    deadline = time.monotonic() + WAIT_S
    while not (lines := command.logged("http_listening")):
        assert command.process.returncode is None, command.text()[-2000:]
        assert time.monotonic() < deadline, "never listened"
        await asyncio.sleep(0.2)
    return lines[0]["url"]


@pytest.mark.timeout(300)
async def test_producer_ingest_and_service_over_sasl_ssl_never_log_a_secret(
    secured_kafka, tmp_path, fault_results
):
    topics = await fresh_topics(secured_kafka.plaintext, "secure", partitions=1)
    token = f"ingest-{secrets.token_urlsafe(16)}"
    pages = tmp_path / "anp"
    pages.mkdir()
    (pages / "page.ndjson").write_bytes(envelope("file-1") + b"\n")
    env = command_env(secured_kafka, topics, WIRESTREAM_INGEST_TOKEN=token)
    per_page = len(Normalizer().process(envelope("x"), Origin()))

    produce = await Command(["produce", str(pages)], env, tmp_path / "produce.log").start()
    assert await produce.wait() == 0, produce.text()[-2000:]

    port = free_port()
    http_args = ["produce", "--http", f"127.0.0.1:{port}", "--max-body-bytes", "4096"]
    ingest = await Command(http_args, env, tmp_path / "ingest.log").start()
    normalizer = await Command(["serve", "normalizer"], env, tmp_path / "serve.log").start()
    try:
        base = await listening_url(ingest)
        metrics_url = await listening_url(normalizer)
        statuses = {}
        async with aiohttp.ClientSession() as http:
            bearer = {"Authorization": f"Bearer {token}"}
            requests = {
                "no token": ({}, envelope("web-1")),
                "wrong token": ({"Authorization": "Bearer guess"}, envelope("web-1")),
                "malformed": (bearer, b'{"source": "anp", "body": '),
                "wrong types": (bearer, orjson.dumps({"source": 5, "body": []})),
                "oversize": (bearer, b"x" * 5000),
                "valid": (bearer, envelope("web-1")),
            }
            for name, (headers, body) in requests.items():
                async with http.post(f"{base}/ingest", data=body, headers=headers) as response:
                    statuses[name] = response.status
            async with http.get(f"{base}/metrics") as response:
                exposition = await response.text()
            async with secure_reader(secured_kafka, topics.items) as items:
                written = await read_values(items, 2 * per_page)
            async with http.get(f"{metrics_url}/metrics") as response:
                exposition += await response.text()
    finally:
        codes = [await ingest.stop(), await normalizer.stop()]

    assert statuses == {
        "no token": 401,
        "wrong token": 401,
        "malformed": 400,
        "wrong types": 400,
        "oversize": 413,
        "valid": 202,
    }
    # Refused requests are answered to their client and counted by status, not producer
    # rejections: the ingest server published what it accepted and stops cleanly.
    assert codes == [0, 0]
    assert "1 published" in ingest.text() and "0 rejected" in ingest.text()
    for status, count in (("202", 1), ("400", 2), ("401", 2), ("413", 1)):
        line = f'wirestream_ingest_responses_total{{service="producer",status="{status}"}}'
        assert f"{line} {count}.0" in exposition, status
    logs = produce.text() + ingest.text() + normalizer.text()
    assert normalizer.logged("service_started")  # it did run over SASL_SSL
    for secret in (secured_kafka.password, token):
        assert secret not in logs
        assert secret not in exposition
    account = Account.of(
        [f"{raw}:{n}" for raw in ("file-1", "web-1") for n in range(per_page)],
        [f"{i['provenance']['raw_id']}:{i['provenance']['position']}" for i in written],
    )
    fault_results.append(
        FaultResult(
            "SASL_SSL + SCRAM-SHA-512 (test CA): produce, HTTP ingest, serve normalizer",
            2,
            account.expected,
            account.written,
            account.lost,
            account.duplicated,
            "ingest: 401 without/with a wrong token, 400 malformed, 413 oversize; "
            "password and token in 0 log lines",
        )
    )
    assert account.lost == account.duplicated == 0


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("problem", "cause"),
    [
        ("wrong password", "SaslAuthenticationFailed.*invalid credentials"),
        ("untrusted certificate", "certificate verify failed"),
        # aiokafka only says it read a nonsensical frame length: no clearer cause is logged.
        ("plaintext to the TLS port", "Unable to bootstrap"),
    ],
)
async def test_bad_credentials_or_certificates_fail_clearly_without_leaking(
    secured_kafka, tmp_path, problem, cause
):
    topics = await fresh_topics(secured_kafka.plaintext, "badsec", partitions=1)
    wrong = f"wrong-{secrets.token_urlsafe(12)}"
    env = command_env(secured_kafka, topics)
    if problem == "wrong password":
        env["WIRESTREAM_SASL_PASSWORD"] = wrong
    elif problem == "untrusted certificate":
        env.pop("WIRESTREAM_SSL_CAFILE")  # the system CAs do not know the test CA
    else:
        env["WIRESTREAM_SECURITY_PROTOCOL"] = "PLAINTEXT"
    normalizer = await Command(["serve", "normalizer"], env, tmp_path / "serve.log").start()
    try:
        code = await normalizer.wait(120)
    finally:
        await normalizer.stop()
    logs = normalizer.text()
    assert code == 1, logs[-2000:]  # a clear failure, not a silent retry loop
    (failure,) = normalizer.logged("service_failed")
    assert "Unable to bootstrap" in str(failure)
    assert re.search(cause, logs), logs[-3000:]  # the cause is in the log, beside the failure
    assert wrong not in logs and secured_kafka.password not in logs


@pytest.mark.timeout(180)
async def test_topics_create_and_list_use_the_sasl_ssl_settings(secured_kafka, tmp_path):
    topics = PipelineTopics().with_prefix(f"topics-{secrets.token_hex(4)}.")
    env = command_env(secured_kafka, topics)
    create = await Command(["topics", "create", "--partitions", "2"], env, tmp_path / "c").start()
    assert await create.wait() == 0, create.text()[-2000:]
    listing = await Command(["topics", "list"], env, tmp_path / "list.log").start()
    assert await listing.wait() == 0, listing.text()[-2000:]
    listed = dict(re.findall(r"^(\S+) +partitions=(\d+)$", listing.text(), re.MULTILINE))
    assert listed[topics.items] == "2"
    assert listed[topics.dlq] == "1"
    assert secured_kafka.password not in create.text() + listing.text()
