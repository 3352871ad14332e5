"""Raw envelopes (schemas/raw-envelope.v1.json): parsed and checked, or rejected with a reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from wirestream.core.media import CONTENT_TYPES, FRAMED_TYPES
from wirestream.core.records import Reason

_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
_MAX_CONTROL_RATIO = 0.05
_MAX_REPLACEMENT_RATIO = 0.1
REQUIRED_FIELDS = ("source", "fetched_at", "content_type", "body")
# Messages name JSON's types, not Python's: the sender wrote JSON.
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number",
               bool: "boolean", type(None): "null"}  # fmt: skip


_CONTROL = re.compile("[\u0000-\u0008\u000e-\u001f\u007f]")


def control_ratio(text: str) -> float:
    """Share of control characters (other than tab/newline/CR): high for binary data."""
    return len(_CONTROL.findall(text)) / len(text) if text else 0.0


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type (`null`, `array`, ...)."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


class EnvelopeError(Exception):
    """A record that cannot be normalized, with the dead-letter reason."""

    def __init__(self, reason: Reason, message: str, source: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.source = source


@dataclass(frozen=True, slots=True)
class Envelope:
    source: str
    fetched_at: datetime  # aware, UTC
    content_type: str  # one of CONTENT_TYPES (wirestream.core.media)
    body: str
    url: str | None
    id: str | None


def parse_envelope(raw: bytes, max_bytes: int) -> Envelope:
    """The envelope in `raw`, or EnvelopeError saying why there is none."""
    if len(raw) > max_bytes:
        raise EnvelopeError(Reason.OVERSIZE, f"record of {len(raw)} bytes exceeds {max_bytes}")
    if not raw.strip():
        raise EnvelopeError(Reason.EMPTY, "empty record")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _unreadable(raw, error) from None
    if not isinstance(document, dict):
        raise EnvelopeError(
            Reason.INVALID_ENVELOPE, f"envelope is a JSON {json_type(document)}, not an object"
        )
    source = document.get("source")
    source = source if isinstance(source, str) and source.strip() else None
    missing = [name for name in REQUIRED_FIELDS if document.get(name) is None]
    if missing:  # all of them at once: the sender fixes everything in one go
        listed = ", ".join(repr(name) for name in missing)
        plural = "s" if len(missing) > 1 else ""
        raise EnvelopeError(Reason.INVALID_ENVELOPE, f"missing field{plural} {listed}", source)
    envelope = Envelope(
        source=_required_text(document, "source", source),
        fetched_at=_fetched_at(document, source),
        content_type=_content_type(document, source),
        body=_required_text(document, "body", source, allow_blank=True),
        url=_optional_text(document, "url", source),
        id=_optional_text(document, "id", source),
    )
    _check_body(envelope.body, source, envelope.content_type in FRAMED_TYPES)
    return envelope


def _unreadable(raw: bytes, error: Exception) -> EnvelopeError:
    if b"\x00" in raw or control_ratio(raw[:4096].decode("latin-1")) > _MAX_CONTROL_RATIO:
        return EnvelopeError(Reason.BINARY, "binary data, not a JSON envelope")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as decode_error:
        return EnvelopeError(Reason.UNDECODABLE, f"envelope is not UTF-8: {decode_error}")
    return EnvelopeError(Reason.INVALID_ENVELOPE, f"envelope is not valid JSON: {error}")


def _required_text(
    document: dict[str, Any], name: str, source: str | None, allow_blank: bool = False
) -> str:
    value = document.get(name)
    if value is None:
        raise EnvelopeError(Reason.INVALID_ENVELOPE, f"missing field {name!r}", source)
    if not isinstance(value, str):
        raise EnvelopeError(
            Reason.INVALID_ENVELOPE,
            f"field {name!r} must be a string, not {json_type(value)}",
            source,
        )
    if not allow_blank and not value.strip():
        raise EnvelopeError(Reason.INVALID_ENVELOPE, f"field {name!r} is blank", source)
    return value


def _optional_text(document: dict[str, Any], name: str, source: str | None) -> str | None:
    if document.get(name) is None:
        return None
    return _required_text(document, name, source)


def _fetched_at(document: dict[str, Any], source: str | None) -> datetime:
    text = _required_text(document, "fetched_at", source)
    try:
        return parse_rfc3339(text)
    except ValueError as error:
        raise EnvelopeError(Reason.INVALID_ENVELOPE, f"fetched_at: {error}", source) from None


def _content_type(document: dict[str, Any], source: str | None) -> str:
    text = _required_text(document, "content_type", source)
    media_type = text.split(";", 1)[0].strip().lower()  # "text/html; charset=utf-8"
    if media_type not in CONTENT_TYPES:
        raise EnvelopeError(
            Reason.INVALID_ENVELOPE,
            f"content_type {text[:60]!r} is not text/plain, text/html or an agency format's"
            " media type (README: formats in)",
            source,
        )
    return media_type


def _check_body(body: str, source: str | None, framed: bool = False) -> None:
    """`framed`: IPTC 7901 and ANPA 1312 frame their text with control characters (SOH, STX,
    ETX, SYN), a large share of a short flash: only NUL makes such a body binary."""
    if not body.strip():
        raise EnvelopeError(Reason.EMPTY, "envelope body is empty", source)
    head = body[:4096]
    if "\x00" in head or (not framed and control_ratio(head) > _MAX_CONTROL_RATIO):
        raise EnvelopeError(Reason.BINARY, "envelope body is binary data, not text", source)
    if head.count("\ufffd") > _MAX_REPLACEMENT_RATIO * len(head):
        raise EnvelopeError(
            Reason.UNDECODABLE, "envelope body is mostly undecodable (U+FFFD) characters", source
        )


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime (ValueError when it is not one)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text[:40]!r} is not an RFC 3339 time")
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")  # Python keeps microseconds
    offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
    return datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{offset}").astimezone(
        UTC
    )


def format_rfc3339(instant: datetime) -> str:
    """UTC instant as RFC 3339 with a `Z` (`2026-02-01T12:00:00Z`)."""
    return instant.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
