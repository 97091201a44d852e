"""Prometheus metrics at /metrics: requests, database pool, job runs.

* Requests are counted per route *template* (``/api/firms/{uscc}``) and status class (2xx…),
  never per raw path: one series per route, however many firms there are.
* Several processes: `tidu serve` gives its API workers and its scheduler one
  ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode), so /metrics, answered by
  any worker, adds up every process: the scheduler's job runs included. prometheus_client
  picks its mode when it is first imported, hence the imports inside the functions below: the
  ``tidu`` command imports this module before `tidu serve` has chosen the directory.
* Who may read it: see ``allowed`` below.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.deps import SettingsDep

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass(frozen=True)
class _Metrics:
    requests: Counter
    latency: Histogram
    pool_size: Gauge
    pool_in_use: Gauge
    job_runs: Counter
    job_seconds: Histogram


@cache
def _metrics() -> _Metrics:
    from prometheus_client import Counter, Gauge, Histogram

    return _Metrics(
        requests=Counter(
            "tidu_http_requests",
            "HTTP requests answered, by method, route template and status class",
            ["method", "route", "status"],
        ),
        latency=Histogram(
            "tidu_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
        ),
        pool_size=Gauge(
            "tidu_db_pool_size",
            "Connections each process's pool keeps (it may open up to max_overflow more)",
            ["role"],
            multiprocess_mode="livesum",
        ),
        pool_in_use=Gauge(
            "tidu_db_pool_in_use",
            "Database connections checked out of the pool right now",
            ["role"],
            multiprocess_mode="livesum",
        ),
        job_runs=Counter(
            "tidu_job_runs",
            "Background job runs, by job and outcome (succeeded, idle, failed)",
            ["job", "outcome"],
        ),
        job_seconds=Histogram(
            "tidu_job_duration_seconds", "Time a job run took, by job", ["job"], buckets=_JOB_BUCKETS
        ),
    )


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    metrics = _metrics()
    metrics.requests.labels(method, route, status_class(status)).inc()
    metrics.latency.labels(method, route).observe(seconds)


def observe_job(job: str, outcome: str, seconds: float) -> None:
    metrics = _metrics()
    metrics.job_runs.labels(job, outcome).inc()
    metrics.job_seconds.labels(job).observe(seconds)


def instrument_pool(engine: AsyncEngine, role: str) -> None:
    """Keep this process's pool gauges current from the pool's own checkout/checkin events."""
    metrics = _metrics()
    pool = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    metrics.pool_size.labels(role).set(size() if callable(size) else 0)
    in_use = metrics.pool_in_use.labels(role)

    def checked_out(*_: Any) -> None:
        in_use.inc()

    def checked_in(*_: Any) -> None:
        in_use.dec()

    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", checked_in)


def exposition() -> tuple[bytes, str]:
    """The text format, summed over every process sharing the multiprocess directory if any."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, values
    from prometheus_client.multiprocess import MultiProcessCollector

    _metrics()
    if getattr(values.ValueClass, "_multiprocess", False):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def allowed(request: Request, token: str | None) -> bool:
    """Who may read /metrics.

    The numbers name routes, job ids and traffic, no personal data, but they are for the
    operator's monitoring, not the public. With TIDU_METRICS_TOKEN set, a request bearing it may
    read them from anywhere (a Prometheus on another host). Without it, only a request made on
    this machine directly: from a loopback address and not relayed by a proxy (a proxy on this
    host would otherwise make every visitor look local).
    """
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if any(request.headers.get(name) for name in _FORWARDING_HEADERS):
        return False
    host = request.client.host if request.client is not None else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics_endpoint(request: Request, settings: SettingsDep) -> Response:
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if not allowed(request, token):
        return JSONResponse(
            {
                "code": "metrics.forbidden",
                "detail": "监控指标只允许本机直接访问；从其他主机读取请设置 TIDU_METRICS_TOKEN 并携带该令牌",
                "context": {},
            },
            status_code=403,
        )
    body, content_type = exposition()
    return Response(body, media_type=content_type)
