"""Shared fixtures: one real Kafka broker per test session, unique topic names per test.

The broker starts only when a test asks for `kafka_bootstrap` (so unit tests never need Java),
and is `$KAFKA_BOOTSTRAP` instead when that is set.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping

import pytest

from wirestream.core.clients import admin
from wirestream.core.config import Settings
from wirestream.core.topics import TopicSpec, ensure_topics
from wirestream.devbroker.detached import cluster_from_env
from wirestream.devbroker.local_kafka import LocalKafka

log = logging.getLogger("wirestream.tests")

# What the session's broker turned out to be, for the terminal summary.
_broker_summary: list[str] = []

TopicName = Callable[..., str]
MakeTopics = Callable[..., Awaitable[list[str]]]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of the session's Kafka cluster."""
    external = cluster_from_env()
    if external:
        _broker_summary.append(f"Kafka: external cluster at {external} (KAFKA_BOOTSTRAP)")
        log.info("using the cluster at %s from KAFKA_BOOTSTRAP", external)
        yield external
        return
    began = time.monotonic()
    with LocalKafka() as kafka:
        line = (
            f"Kafka: local broker {kafka.broker_version} at {kafka.bootstrap} "
            f"(pid {kafka.pid}, ready in {time.monotonic() - began:.1f}s)"
        )
        _broker_summary.append(line)
        log.info(line)
        yield kafka.bootstrap


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _broker_summary:
        terminalreporter.write_line(line)


@pytest.fixture
def topic_name(request: pytest.FixtureRequest) -> TopicName:
    """Factory of topic names unique to this test: ``topic_name("raw")``."""
    test = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name)[:80]

    def name(role: str = "topic") -> str:
        return f"test.{test}.{role}.{uuid.uuid4().hex[:10]}"

    return name


@pytest.fixture
def make_topics(kafka_bootstrap: str, topic_name: TopicName) -> MakeTopics:
    """Create fresh topics for this test: ``await make_topics("in", "out", partitions=3)``
    returns their unique names, in order."""

    async def create(
        *roles: str, partitions: int = 1, config: Mapping[str, str] | None = None
    ) -> list[str]:
        specs = [
            TopicSpec(topic_name(role), partitions, config=dict(config or {})) for role in roles
        ]
        async with admin(Settings(bootstrap=kafka_bootstrap)) as client:
            report = await ensure_topics(client, specs)
        assert report.created == [spec.name for spec in specs]
        return report.created

    return create
