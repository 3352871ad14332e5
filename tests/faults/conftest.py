"""Fault tests record what they measured (records in and out, lost, duplicated) in
`fault_results`; the terminal summary prints them as the table in tests/faults/README.md."""

from __future__ import annotations

import secrets
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fault_harness import FaultResult

from wirestream.devbroker.local_kafka import LocalKafka

_results: list[FaultResult] = []


@pytest.fixture
def fault_results() -> list[FaultResult]:
    return _results


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _results:
        return
    terminalreporter.section("faults: records in / out / lost / duplicated")
    terminalreporter.write_line(
        "| fault injected | records in | expected out | records out | lost | duplicated | note |"
    )
    terminalreporter.write_line("|---|---:|---:|---:|---:|---:|---|")
    for r in _results:
        terminalreporter.write_line(
            f"| {r.fault} | {r.records_in} | {r.expected_out} | {r.records_out} | {r.lost} "
            f"| {r.duplicated} | {r.note} |"
        )


@dataclass(frozen=True)
class SecuredKafka:
    """A broker of the fault tests' own: PLAINTEXT for setup, SASL_SSL (SCRAM-SHA-512, a
    certificate from a test CA) for the clients under test."""

    kafka: LocalKafka
    ca_file: Path
    username: str
    password: str

    @property
    def plaintext(self) -> str:
        return self.kafka.bootstrap

    @property
    def secure(self) -> str:
        return f"127.0.0.1:{self.kafka.listener_ports['SECURE']}"

    def client_env(self, password: str | None = None) -> dict[str, str]:
        """`WIRESTREAM_*` settings of a service that talks to the secure listener."""
        return {
            "KAFKA_BOOTSTRAP": self.secure,
            "WIRESTREAM_SECURITY_PROTOCOL": "SASL_SSL",
            "WIRESTREAM_SASL_MECHANISM": "SCRAM-SHA-512",
            "WIRESTREAM_SASL_USERNAME": self.username,
            "WIRESTREAM_SASL_PASSWORD": self.password if password is None else password,
            "WIRESTREAM_SSL_CAFILE": str(self.ca_file),
        }

    def client_kwargs(self) -> dict[str, object]:
        return {
            "bootstrap_servers": self.secure,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
            "ssl_context": ssl.create_default_context(cafile=str(self.ca_file)),
        }


def make_test_ca(directory: Path, store_password: str) -> tuple[Path, Path]:
    """A CA and a broker certificate for 127.0.0.1 signed by it, made with openssl: the CA's
    PEM file (for clients) and the broker's PKCS#12 keystore."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=wirestream test CA",
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "broker.key",
        "-out",
        "broker.csr",
        "-subj",
        "/CN=localhost",
    )
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "broker.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )
    openssl(
        "pkcs12",
        "-export",
        "-in",
        "broker.pem",
        "-inkey",
        "broker.key",
        "-certfile",
        "ca.pem",
        "-out",
        "broker.p12",
        "-passout",
        f"pass:{store_password}",
    )
    return directory / "ca.pem", directory / "broker.p12"


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    directory = tmp_path_factory.mktemp("tls")
    store_password = secrets.token_urlsafe(12)
    ca_file, keystore = make_test_ca(directory, store_password)
    username, password = "wire-svc", f"scram-{secrets.token_urlsafe(18)}"
    secure = "listener.name.secure."
    kafka = LocalKafka(
        listeners={"SECURE": "SASL_SSL"},
        properties={
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            f"{secure}scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            f"{secure}ssl.keystore.type": "PKCS12",
            f"{secure}ssl.keystore.location": str(keystore),
            f"{secure}ssl.keystore.password": store_password,
        },
        format_args=["--add-scram", f"SCRAM-SHA-512=[name={username},password={password}]"],
    )
    with kafka:
        yield SecuredKafka(kafka, ca_file, username, password)
