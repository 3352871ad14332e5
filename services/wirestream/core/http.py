"""The small HTTP server beside every service: `/metrics`, `/healthz`, `/readyz`.

`build_app` makes the aiohttp application (the producer adds its ingest routes through
`extra_routes`); `HttpServer` runs it on the service's event loop with an explicit
`start()` / `stop()` lifecycle. No threads.

- `GET /metrics`: Prometheus text exposition of the process registry.
- `GET /healthz`: liveness. 200 `{"status": "ok"}` while the process works; 503 with the
  failure reason once `Health.fail()` was called (the runtime hit an unrecoverable error).
- `GET /readyz`: readiness. 200 once the service is ready (consumer: partitions assigned and
  state restored); 503 `{"status": "not_ready", "reason": ...}` before, while restoring after a
  rebalance, and while shutting down.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class Health:
    """Liveness and readiness, set by the service, read by the HTTP endpoints."""

    def __init__(self) -> None:
        self.ready = False
        self.reason = "starting"
        self.failure: str | None = None

    @property
    def live(self) -> bool:
        return self.failure is None

    def set_ready(self) -> None:
        self.ready, self.reason = True, "ready"

    def set_not_ready(self, reason: str) -> None:
        self.ready, self.reason = False, reason

    def fail(self, reason: str) -> None:
        self.failure = reason
        self.set_not_ready(reason)


def _json(status: int, body: dict) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def build_app(
    health: Health,
    registry: CollectorRegistry,
    extra_routes: Iterable[web.RouteDef] = (),
) -> web.Application:
    """The application: the three operational routes plus any `extra_routes`."""

    async def metrics(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(registry))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def healthz(_: web.Request) -> web.Response:
        if health.live:
            return _json(200, {"status": "ok"})
        return _json(503, {"status": "failed", "reason": health.failure})

    async def readyz(_: web.Request) -> web.Response:
        if health.ready and health.live:
            return _json(200, {"status": "ready"})
        return _json(503, {"status": "not_ready", "reason": health.reason})

    app = web.Application()
    app.add_routes(
        [
            web.get("/metrics", metrics),
            web.get("/healthz", healthz),
            web.get("/readyz", readyz),
            *extra_routes,
        ]
    )
    return app


class PortInUse(Exception):
    """The port another process (a second service, node_exporter) already listens on."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"port {port} on {host} is already in use")
        self.host, self.port = host, port


class HttpServer:
    """Runs an aiohttp application on `host:port` (port 0: a free port, see `.port`)."""

    def __init__(self, app: web.Application, host: str = "0.0.0.0", port: int = 0) -> None:
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.host = host
        self.port = port

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(self.host, self.port) from None
            raise
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"
