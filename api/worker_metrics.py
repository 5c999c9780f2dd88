"""The worker's parts as the app factory wires them (metrics, restored Redis state), and its
`/metrics` on a port of its own (`fidelio worker --metrics-port PORT`)."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.heap import settle_for_serving
from api.metrics import Metrics
from api.restore import restore_derived_state
from api.runtime import Runtime, build_runtime, make_gateway
from api.settings import Settings
from domain.clock import SystemClock


async def worker_runtime(settings: Settings) -> tuple[Runtime, Metrics]:
    """A started runtime running the dispatcher and the jobs, measured, with Redis's derived
    state restored before the first job runs."""
    metrics = Metrics()
    clock = SystemClock()
    gateway = metrics.counting_gateway(make_gateway(settings, clock))
    runtime = metrics.instrument(build_runtime(settings, clock=clock, gateway=gateway))
    await runtime.start(background=False)
    await restore_derived_state(runtime)
    runtime.start_background()
    settle_for_serving()
    return runtime, metrics


def metrics_app(settings: Settings, runtime: Runtime, metrics: Metrics) -> Starlette:
    """`/metrics` (same protection as the API's) and `/healthz` for the worker."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route(
                "/metrics",
                metrics.endpoint(
                    settings.metrics_token, settings.metrics_enabled, runtime.clock.now
                ),
            ),
            Route("/healthz", healthz),
        ]
    )


async def serve_worker_metrics(
    settings: Settings, runtime: Runtime, metrics: Metrics, port: int, stop: asyncio.Event
) -> None:
    """Serve the worker's metrics on `port` (0: none) until `stop` is set. While it serves,
    uvicorn takes SIGINT/SIGTERM, stops, then raises the signal again for the caller's own
    handler, which sets `stop`."""
    if not port:
        await stop.wait()
        return
    server = uvicorn.Server(
        uvicorn.Config(
            metrics_app(settings, runtime, metrics),
            host="0.0.0.0",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    with contextlib.suppress(SystemExit):
        await serving
