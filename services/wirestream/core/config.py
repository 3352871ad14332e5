"""Service settings: defaults, then `WIRESTREAM_*` environment variables, then command-line flags.

Every service reads the same `Settings`; `client_kwargs()` turns them into the keyword
arguments aiokafka clients take (bootstrap servers, security protocol, SASL, SSL context), so
security options pass through to aiokafka unchanged. Secrets are held in `Secret`, whose repr
is masked, so logging a `Settings` never leaks a password.

Environment variables (flags win over them, they win over defaults), as `VARIABLE`
(`--flag`): default:

- `WIRESTREAM_BOOTSTRAP`, else `KAFKA_BOOTSTRAP` (`--bootstrap`): `127.0.0.1:9092`
- `WIRESTREAM_TOPIC_RAW`, `_ITEMS`, `_UNIQUE`, `_NORMALIZED`, `_DLQ`, `_DEDUP_CHANGELOG`
  (`--topic-raw` … `--topic-dedup-changelog`): `wire.raw` … (see `core.topics`);
  `WIRESTREAM_TOPIC_PREFIX` (`--topic-prefix`) is prepended to every default or
  `WIRESTREAM_TOPIC_*` name and to the default group id, so two deployments on one cluster
  never share topics, a changelog or a consumer group by accident
- `WIRESTREAM_GROUP_ID` (`--group-id`): `<prefix>wirestream-<service>`
- `WIRESTREAM_CLIENT_ID` (`--client-id`): `wirestream-<service>`
- `WIRESTREAM_GUARANTEE` (`--guarantee`): `exactly_once`, or `at_least_once`
- `WIRESTREAM_BATCH_SIZE` (`--batch-size`): 500 records per fetch
- `WIRESTREAM_BATCH_TIMEOUT_MS` (`--batch-timeout-ms`): 200
- `WIRESTREAM_TRANSACTION_MS` (`--transaction-ms`): 50: exactly-once, a partition that keeps
  up (or fell behind less than this long ago) commits what it has processed as soon as its
  previous transaction has committed, so output follows a record by one commit's round trips;
  once a backlog has lasted this long, a transaction holds this much processing
- `WIRESTREAM_TRANSACTION_MAX_MS` (`--transaction-max-ms`): 500: while the backlog lasts each
  transaction may hold twice the processing of the one before, up to this, so commits (a
  dozen broker requests each) do not eat the throughput
- `WIRESTREAM_MAX_IN_FLIGHT` (`--max-in-flight`): 1000 unacknowledged sends
- `WIRESTREAM_SESSION_TIMEOUT_MS` (`--session-timeout-ms`): 10000
- `WIRESTREAM_HEARTBEAT_INTERVAL_MS` (`--heartbeat-interval-ms`): 3000
- `WIRESTREAM_METRICS_HOST` (`--metrics-host`): `0.0.0.0`
- `WIRESTREAM_METRICS_PORT` (`--metrics-port`): the service's own port (pipeline 9480,
  normalizer 9481, deduplicator 9482, enricher 9483, ninjs 9484, producer 9485); 0 picks a
  free port (logged)
- `WIRESTREAM_LOG_LEVEL` (`--log-level`): `INFO`
- `WIRESTREAM_SECURITY_PROTOCOL` (`--security-protocol`): `PLAINTEXT` (`SSL`, `SASL_SSL`, …)
- `WIRESTREAM_SASL_MECHANISM` (`--sasl-mechanism`): none (`PLAIN`, `SCRAM-SHA-256`, …)
- `WIRESTREAM_SASL_USERNAME` (`--sasl-username`), `WIRESTREAM_SASL_PASSWORD` (no flag)
- `WIRESTREAM_SSL_CAFILE`, `_CERTFILE`, `_KEYFILE` (`--ssl-cafile` …),
  `WIRESTREAM_SSL_KEY_PASSWORD` (no flag)

Passwords have no flag on purpose: command lines are visible to every local user (`ps`).
"""

from __future__ import annotations

import argparse
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, get_args

from wirestream.core.partitioning import kafka_partitioner
from wirestream.core.topics import PipelineTopics

Guarantee = Literal["exactly_once", "at_least_once"]
GUARANTEES: tuple[str, ...] = get_args(Guarantee)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
PREFIX = "WIRESTREAM_"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
TOPIC_PREFIX_ENV = PREFIX + "TOPIC_PREFIX"
# A producer's batch per partition. aiokafka's 16 KiB default holds 3-5 items, and a full
# batch waits for the one request in flight per broker: a transaction of 100 items paid ~25
# produce round trips before it could commit. Stays under the broker's default record batch
# limit (message.max.bytes, 1,048,588); a bigger single message still goes alone.
PRODUCER_BATCH_BYTES = 1_000_000
# Each service's own metrics port, clear of node_exporter's 9100 and of each other, so services
# started side by side on one host never collide by default.
METRICS_PORTS = {
    "pipeline": 9480,
    "normalizer": 9481,
    "deduplicator": 9482,
    "enricher": 9483,
    "ninjs": 9484,
    "producer": 9485,
}
DEFAULT_METRICS_PORT = METRICS_PORTS["pipeline"]


class Secret:
    """A string that never shows itself in a repr, str or log line; `reveal()` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Security:
    """Transport security, passed through to aiokafka."""

    protocol: str = "PLAINTEXT"  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: Secret | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_key_password: Secret | None = None

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"security_protocol": self.protocol}
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
        if self.sasl_username is not None:
            kwargs["sasl_plain_username"] = self.sasl_username
        if self.sasl_password is not None:
            kwargs["sasl_plain_password"] = self.sasl_password.reveal()
        if self.protocol in ("SSL", "SASL_SSL"):
            kwargs["ssl_context"] = self.ssl_context()
        return kwargs

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context from the CA file (system CAs without one) and an
        optional client certificate for mutual TLS."""
        context = ssl.create_default_context(cafile=self.ssl_cafile)
        if self.ssl_certfile:
            password = self.ssl_key_password.reveal() if self.ssl_key_password else None
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile, password)
        return context


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a wirestream service needs to know about its cluster and itself."""

    service: str = "wirestream"
    bootstrap: str = DEFAULT_BOOTSTRAP
    topics: PipelineTopics = field(default_factory=PipelineTopics)
    topic_prefix: str = ""  # already applied to `topics`; also in front of the default group
    group_id: str | None = None  # None: f"{topic_prefix}wirestream-{service}"
    client_id: str | None = None  # None: f"wirestream-{service}"
    guarantee: Guarantee = "exactly_once"
    batch_size: int = 500  # max records per fetch (getmany max_records)
    batch_timeout_ms: int = 200  # how long a fetch waits for records
    transaction_ms: int = 50  # exactly-once: when a backlog starts, and its first bound
    transaction_max_ms: int = 500  # ... doubling per transaction under a backlog, up to this
    max_in_flight: int = 1000  # unacknowledged sends before the producer side waits
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    metrics_host: str = "0.0.0.0"
    metrics_port: int = DEFAULT_METRICS_PORT
    log_level: str = "INFO"
    security: Security = field(default_factory=Security)

    @property
    def group(self) -> str:
        return self.group_id or f"{self.topic_prefix}wirestream-{self.service}"

    @property
    def client(self) -> str:
        return self.client_id or f"wirestream-{self.service}"

    @property
    def exactly_once(self) -> bool:
        return self.guarantee == "exactly_once"

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments common to every aiokafka client (producer, consumer, admin)."""
        return {
            "bootstrap_servers": self.bootstrap,
            "client_id": self.client,
            **self.security.client_kwargs(),
        }

    def consumer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an `AIOKafkaConsumer` of this service's group."""
        return {
            **self.client_kwargs(),
            "group_id": self.group,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "isolation_level": "read_committed" if self.exactly_once else "read_uncommitted",
            "session_timeout_ms": self.session_timeout_ms,
            "heartbeat_interval_ms": self.heartbeat_interval_ms,
            "max_poll_records": self.batch_size,
        }

    def producer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an idempotent `AIOKafkaProducer` (acks=all)."""
        return {
            **self.client_kwargs(),
            "acks": "all",
            "enable_idempotence": True,
            "max_batch_size": PRODUCER_BATCH_BYTES,
            "partitioner": kafka_partitioner,
        }


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def _checked(settings: Settings) -> Settings:
    if settings.guarantee not in GUARANTEES:
        raise ValueError(f"guarantee must be one of {', '.join(GUARANTEES)}")
    if settings.log_level not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}")
    if settings.batch_size < 1 or settings.max_in_flight < 1:
        raise ValueError("batch size and max in-flight must be at least 1")
    if not 0 <= settings.transaction_ms <= settings.transaction_max_ms:
        raise ValueError("transaction ms must be 0 or more, and at most transaction max ms")
    if not 0 <= settings.metrics_port <= 65535:
        raise ValueError("metrics port must be 0..65535")
    return settings


# Settings field -> environment variable suffix, for the plain (non-nested) fields.
_ENV_FIELDS = {
    "group_id": "GROUP_ID",
    "client_id": "CLIENT_ID",
    "guarantee": "GUARANTEE",
    "batch_size": "BATCH_SIZE",
    "batch_timeout_ms": "BATCH_TIMEOUT_MS",
    "transaction_ms": "TRANSACTION_MS",
    "transaction_max_ms": "TRANSACTION_MAX_MS",
    "max_in_flight": "MAX_IN_FLIGHT",
    "session_timeout_ms": "SESSION_TIMEOUT_MS",
    "heartbeat_interval_ms": "HEARTBEAT_INTERVAL_MS",
    "metrics_host": "METRICS_HOST",
    "metrics_port": "METRICS_PORT",
    "log_level": "LOG_LEVEL",
}
_INT_FIELDS = {f.name for f in fields(Settings) if f.type == "int"}
_SECURITY_ENV = {
    "protocol": "SECURITY_PROTOCOL",
    "sasl_mechanism": "SASL_MECHANISM",
    "sasl_username": "SASL_USERNAME",
    "sasl_password": "SASL_PASSWORD",
    "ssl_cafile": "SSL_CAFILE",
    "ssl_certfile": "SSL_CERTFILE",
    "ssl_keyfile": "SSL_KEYFILE",
    "ssl_key_password": "SSL_KEY_PASSWORD",
}
_SECRETS = {"sasl_password", "ssl_key_password"}


def _coerce(name: str, value: str) -> Any:
    if name in _INT_FIELDS:
        return _int(value, name)
    if name in _SECRETS:
        return Secret(value)
    if name in ("guarantee",):
        return value.strip().lower().replace("-", "_")
    if name in ("log_level", "protocol", "sasl_mechanism"):
        return value.strip().upper()
    return value


def _overrides(values: Mapping[str, str | None], names: Mapping[str, str]) -> dict[str, Any]:
    return {
        attr: _coerce(attr, values[key])
        for attr, key in names.items()
        if values.get(key) not in (None, "")
    }


def settings_from_env(service: str, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults overridden by the `WIRESTREAM_*` (and `KAFKA_BOOTSTRAP`) environment."""
    env = os.environ if environ is None else environ
    plain = {suffix: env.get(PREFIX + suffix) for suffix in _ENV_FIELDS.values()}
    security = {suffix: env.get(PREFIX + suffix) for suffix in _SECURITY_ENV.values()}
    bootstrap = env.get(PREFIX + "BOOTSTRAP") or env.get("KAFKA_BOOTSTRAP") or DEFAULT_BOOTSTRAP
    return _checked(
        Settings(
            service=service,
            bootstrap=bootstrap,
            topics=PipelineTopics.from_env(env),
            topic_prefix=env.get(TOPIC_PREFIX_ENV, ""),
            security=Security(**_overrides(security, _SECURITY_ENV)),
            **{"metrics_port": METRICS_PORTS.get(service, DEFAULT_METRICS_PORT)}
            | _overrides(plain, _ENV_FIELDS),
        )
    )


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every service command shares. Defaults are None: unset flags leave the
    environment's (or the built-in) value in place."""
    kafka = parser.add_argument_group("kafka")
    kafka.add_argument("--bootstrap", help="bootstrap servers (env KAFKA_BOOTSTRAP)")
    kafka.add_argument(
        "--topic-prefix", help="in front of every topic name and the default group id"
    )
    for role in (f.name for f in fields(PipelineTopics)):
        kafka.add_argument(
            f"--topic-{role.replace('_', '-')}", dest=f"topic_{role}", metavar="TOPIC"
        )
    kafka.add_argument("--group-id", help="consumer group id (default wirestream-<service>)")
    kafka.add_argument("--client-id")
    kafka.add_argument("--guarantee", choices=GUARANTEES, help="processing guarantee")
    kafka.add_argument("--batch-size", type=int, help="max records per fetch")
    kafka.add_argument("--batch-timeout-ms", type=int, help="how long a fetch waits")
    kafka.add_argument(
        "--transaction-ms",
        type=int,
        help="exactly-once: after a backlog lasted N ms, transactions hold N ms of processing",
    )
    kafka.add_argument(
        "--transaction-max-ms", type=int, help="... growing under a backlog up to N ms"
    )
    kafka.add_argument("--max-in-flight", type=int, help="unacknowledged sends before waiting")
    kafka.add_argument("--session-timeout-ms", type=int)
    kafka.add_argument("--heartbeat-interval-ms", type=int)
    security = parser.add_argument_group("security (passwords: environment only)")
    security.add_argument("--security-protocol", dest="protocol")
    security.add_argument("--sasl-mechanism")
    security.add_argument("--sasl-username")
    security.add_argument("--ssl-cafile")
    security.add_argument("--ssl-certfile")
    security.add_argument("--ssl-keyfile")
    ops = parser.add_argument_group("operations")
    ops.add_argument("--metrics-host")
    ops.add_argument("--metrics-port", type=int, help="0 picks a free port (logged)")
    ops.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS)


def settings_from(
    args: argparse.Namespace, service: str, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from the environment, overridden by the flags that were given."""
    given = {k: v for k, v in vars(args).items() if v is not None}
    env = dict(os.environ if environ is None else environ)
    if "topic_prefix" in given:
        env[TOPIC_PREFIX_ENV] = given["topic_prefix"]
    base = settings_from_env(service, env)
    topics = {
        role: given[f"topic_{role}"]
        for role in (f.name for f in fields(PipelineTopics))
        if f"topic_{role}" in given
    }
    security = {k: given[k] for k in _SECURITY_ENV if k in given}
    plain = {k: given[k] for k in _ENV_FIELDS if k in given}
    if "bootstrap" in given:
        plain["bootstrap"] = given["bootstrap"]
    return _checked(
        replace(
            base,
            topics=replace(base.topics, **topics),
            security=replace(base.security, **security),
            **plain,
        )
    )
