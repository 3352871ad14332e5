"""structlog JSON lines on stdout, one object per event.

Every line carries `timestamp` (RFC 3339 UTC), `level`, `event` and `service`; record-level
lines add `topic`, `partition`, `offset` and `item_id` by binding them:

    log = get_logger().bind(topic=tp.topic, partition=tp.partition, offset=offset)
    log.info("dead_letter", reason="not_an_article")
"""

from __future__ import annotations

import logging
import sys
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


class _LibraryRecords(logging.Handler):
    """Hands standard-library log records (aiokafka's, aiohttp's) to structlog, so they come
    out as the same JSON lines, with a `logger` field, instead of plain text on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        log = structlog.get_logger().bind(logger=record.name)
        exc_info = {"exc_info": record.exc_info} if record.exc_info else {}
        log.log(library_level(record), record.getMessage(), **exc_info)


def configure_logging(service: str, level: str = "INFO", stream: IO[bytes] | None = None) -> None:
    """JSON lines at `level` and above to `stream` (stdout's byte buffer by default).
    Libraries log through the same lines from WARNING up (DEBUG when `level` is DEBUG, but
    aiokafka's from INFO: its DEBUG lines carry authentication exchanges)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _LibraryRecords)]:
        root.removeHandler(handler)
    root.addHandler(_LibraryRecords())
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
