"""HTTP ingest: `POST /ingest` with one envelope (JSON) or a batch (NDJSON), beside the
service's `/metrics`, `/healthz` and `/readyz`.

- 202 `{"accepted": n, "topic": ...}` once every record of the request is acknowledged by
  the broker (acks=all), so a 202 is durable.
- 400 `{"error": ..., "rejected": [...]}` when any envelope is invalid; nothing of that
  request is published (a batch is all or nothing, so a client can simply fix and resend).
- 413 when the body exceeds the configured limit (default 2 MiB) or one record exceeds the
  broker's record limit.
- 401 when a token is configured and the request lacks `Authorization: Bearer <token>` (the
  scheme in any case, RFC 7235).
- 503 when the broker did not take the records; the client should retry.

A refused request is the client's error, answered to the client: it is counted in
`wirestream_ingest_responses_total{status}` and logged as a JSON line, never as a producer
dead letter (nothing reached Kafka, so nothing is there to list or replay).

Send batches as `Content-Type: application/x-ndjson`; a multi-line body that is not a
single JSON document is read as NDJSON whatever its content type.
"""

from __future__ import annotations

import asyncio
import hmac

import orjson
from aiohttp import web

from wirestream.core.logging import get_logger
from wirestream.core.metrics import Metrics
from wirestream.producer.publisher import SERVICE, Publisher
from wirestream.producer.sources import (
    Accepted,
    Candidate,
    Rejected,
    envelope_bytes,
    ndjson_lines,
)

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
INGEST_PATH = "/ingest"
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
_MAX_LISTED_REJECTIONS = 20
_CHUNK = 64 * 1024
STATUSES = (202, 400, 401, 413, 503)


def request_candidates(body: bytes, content_type: str) -> list[Candidate]:
    """The envelopes of a request body: one JSON object, or NDJSON lines."""
    if content_type not in NDJSON_TYPES and _is_one_document(body):
        return [envelope_bytes(body.strip(), "request")]
    return list(ndjson_lines(body.splitlines(), "request"))


def _is_one_document(body: bytes) -> bool:
    """A single JSON document; otherwise maybe NDJSON sent without its content type."""
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return b"\n" not in body.strip()
    return True


def bearer_matches(authorization: str, token: str) -> bool:
    """`Authorization: Bearer <token>`, the scheme matched in any case (RFC 7235), the token
    compared in constant time."""
    scheme, _, credentials = authorization.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), token.encode()
    )


def ingest_routes(
    publisher: Publisher,
    *,
    metrics: Metrics | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    token: str | None = None,
) -> list[web.RouteDef]:
    """The ingest route, publishing through `publisher`, counting responses in `metrics`."""
    responses = None
    if metrics is not None:
        responses = metrics.ingest_responses
        for status in STATUSES:
            responses.labels(SERVICE, str(status))
    log = get_logger()

    def answer(status: int, body: dict, **headers: str) -> web.Response:
        if responses is not None:
            responses.labels(SERVICE, str(status)).inc()
        if status != 202:
            log.warning("ingest_refused", status=status, error=body["error"])
        return _json(status, body, headers)

    async def ingest(request: web.Request) -> web.Response:
        if token and not bearer_matches(request.headers.get("Authorization", ""), token):
            challenge = {"WWW-Authenticate": 'Bearer realm="wirestream-ingest"'}
            return answer(401, {"error": "missing or wrong bearer token"}, **challenge)
        too_large = {"error": f"body exceeds {max_body_bytes} bytes"}
        if (request.content_length or 0) > max_body_bytes:
            return answer(413, too_large)
        body = await _read_limited(request, max_body_bytes)
        if body is None:
            return answer(413, too_large)
        if not body.strip():
            return answer(400, {"error": "empty body: send one envelope or NDJSON envelopes"})
        candidates = request_candidates(body, request.content_type)
        rejected = [c for c in candidates if isinstance(c, Rejected)]
        if rejected:
            listed = [{"where": r.where, "reason": r.message} for r in rejected]
            return answer(
                400,
                {
                    "error": f"{len(rejected)} invalid envelope(s); nothing was published",
                    "rejected": listed[:_MAX_LISTED_REJECTIONS],
                },
            )
        accepted = [c for c in candidates if isinstance(c, Accepted)]
        oversize = [c.where for c in accepted if len(c.value) > publisher.max_record_bytes]
        if oversize:
            return answer(
                413,
                {
                    "error": f"record(s) exceed the record limit of {publisher.max_record_bytes}"
                    " bytes",
                    "where": oversize[:_MAX_LISTED_REJECTIONS],
                },
            )
        deliveries = [await publisher.submit(c) for c in accepted]
        delivered = sum(await asyncio.gather(*(d for d in deliveries if d is not None)))
        if delivered < len(accepted):
            return answer(
                503, {"error": "the broker did not take every record", "accepted": delivered}
            )
        return answer(202, {"accepted": delivered, "topic": publisher.topic})

    return [web.post(INGEST_PATH, ingest)]


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past `limit` (a chunked upload has no length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _json(status: int, body: dict, headers: dict[str, str]) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )
