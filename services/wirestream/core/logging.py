"""structlog JSON lines on stdout, one object per event.

Every line carries `timestamp` (RFC 3339 UTC), `level`, `event` and `service`; record-level
lines add `topic`, `partition`, `offset` and `item_id` by binding them:

    log = get_logger().bind(topic=tp.topic, partition=tp.partition, offset=offset)
    log.info("dead_letter", reason="not_an_article")
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import IO, Any

import orjson
import structlog


def _service_processor(service: str) -> structlog.types.Processor:
    def add_service(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", service)
        return event

    return add_service


def _dumps(event: dict[str, Any], **_: Any) -> bytes:
    # default=str: odd values (paths, exceptions) become text instead of failing the log call
    return orjson.dumps(event, default=str)


# aiokafka logs these at ERROR and then retries them itself (a coordinator still loading on
# start-up, a heartbeat lost in a rebalance): an on-call engineer should not be paged by them.
_RETRIED_BY_CLIENT = (
    "Group Coordinator Request failed",
    "Heartbeat send request failed",
    "OffsetCommit failed before join",
    "Unable to update metadata from",
)


def library_level(record: logging.LogRecord) -> int:
    """The level a library record is logged at: a retried, transient condition is a warning."""
    if (
        record.levelno >= logging.ERROR
        and record.name.startswith("aiokafka")
        and isinstance(record.msg, str)
        and record.msg.startswith(_RETRIED_BY_CLIENT)
    ):
        return logging.WARNING
    return record.levelno


REPEAT_WINDOW_S = 10.0
_KINDS_KEPT = 1_000  # distinct messages remembered; libraries log templates, so few


class RepeatGate:
    """The first library warning or error of a kind (logger, level, message template) passes;
    the same kind again passes at most once per `window_s`, saying how many were held back
    since the last. A broker that is down makes aiokafka log each failed connection and
    metadata refresh of every client, ~130 lines a second from one service: hours of that
    buried everything else in the log. The count of a burst comes out with the next line of
    its kind, or, for the last burst, when the service's logging shuts down (`held_back`)."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._kinds: dict[tuple[str, int, str], tuple[float, int]] = {}  # -> passed at, held

    def admit(self, record: logging.LogRecord) -> int | None:
        """None: hold the record back; else how many of its kind were held back before it.
        Below WARNING every record passes: those lines were asked for (`--log-level DEBUG`)."""
        if record.levelno < logging.WARNING:
            return 0
        kind = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        seen = self._kinds.get(kind)
        if seen is not None and now - seen[0] < self.window_s:
            self._kinds[kind] = (seen[0], seen[1] + 1)
            return None
        if seen is None and len(self._kinds) >= _KINDS_KEPT:
            self._kinds.clear()
        self._kinds[kind] = (now, 0)
        return seen[1] if seen else 0

    def held_back(self) -> list[tuple[str, int, str, int]]:
        """(logger, level, message template, count) of each kind with records held back
        since its last line; their counts start again from zero."""
        held = []
        for kind, (passed_at, count) in self._kinds.items():
            if count:
                held.append((*kind, count))
                self._kinds[kind] = (passed_at, 0)  # a new value, no new key: safe in the loop
        return held


class _LibraryRecords(logging.Handler):
    """Hands standard-library log records (aiokafka's, aiohttp's) to structlog, so they come
    out as the same JSON lines, with a `logger` field, instead of plain text on stderr; a
    record repeated many times a second comes out once per `REPEAT_WINDOW_S` (`RepeatGate`)."""

    def __init__(self, gate: RepeatGate) -> None:
        super().__init__()
        self._gate = gate

    def emit(self, record: logging.LogRecord) -> None:
        held = self._gate.admit(record)
        if held is None:
            return
        log = structlog.get_logger().bind(logger=record.name)
        extra: dict[str, Any] = {"exc_info": record.exc_info} if record.exc_info else {}
        if held:
            extra["repeats_held_back"] = held
        log.log(library_level(record), record.getMessage(), **extra)

    def flush(self) -> None:
        """The counts of the last bursts, which no later line of their kind reported: at
        exit (`logging.shutdown`) or when the logging is configured again."""
        for logger, level, template, count in self._gate.held_back():
            record = logging.makeLogRecord({"name": logger, "levelno": level, "msg": template})
            structlog.get_logger().bind(logger=logger).log(
                library_level(record),
                "library_lines_held_back",
                template=template,
                repeats_held_back=count,
            )


def configure_logging(
    service: str,
    level: str = "INFO",
    stream: IO[bytes] | None = None,
    repeats: RepeatGate | None = None,
) -> None:
    """JSON lines at `level` and above to `stream` (stdout's byte buffer by default).
    Libraries log through the same lines from WARNING up (DEBUG when `level` is DEBUG, but
    aiokafka's from INFO: its DEBUG lines carry authentication exchanges), each kind of
    their records at most once per `REPEAT_WINDOW_S` (`repeats`: another gate)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _LibraryRecords)]:
        handler.flush()
        root.removeHandler(handler)
    root.addHandler(_LibraryRecords(repeats or RepeatGate(REPEAT_WINDOW_S)))
    root.setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING)
    # aiokafka's DEBUG lines include the SASL/SCRAM exchange: never below INFO.
    logging.getLogger("aiokafka").setLevel(logging.INFO if level.upper() == "DEBUG" else 0)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _service_processor(service),
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.BytesLoggerFactory(stream or sys.stdout.buffer),
        cache_logger_on_first_use=False,
    )


def get_logger(**context: Any) -> structlog.typing.FilteringBoundLogger:
    """A logger with `context` bound to every line it writes."""
    return structlog.get_logger().bind(**context)
