"""`tidu serve` as an operator runs it: behind a reverse proxy, with JSON logs and /metrics."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.test_cli import TIDU, TIMEOUT, clean_env, free_port, short_dir, wait_for_page


@dataclass(frozen=True)
class Served:
    base: str
    log: Path  # the server's stderr: its log lines


@contextmanager
def serving(database_url: str, *args: str, **settings: str) -> Iterator[Served]:
    workdir = short_dir("tidu-serve-ops-")
    port = free_port()
    env = {
        **clean_env(),
        "DATABASE_URL": database_url,
        "TIDU_PORT": str(port),
        "TIDU_DATA_DIR": str(workdir),
        **{f"TIDU_{key.upper()}": value for key, value in settings.items()},
    }
    log = workdir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([str(TIDU), "serve", *args], env=env, cwd=workdir,
                                   stdout=subprocess.DEVNULL, stderr=sink)  # fmt: skip
        try:
            wait_for_page(f"http://127.0.0.1:{port}/login", process)
            yield Served(base=f"http://127.0.0.1:{port}", log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()


def request(
    url: str, *, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(data).encode() if data is not None else None
    sent = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(sent, timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, {k.lower(): v for k, v in refused.headers.items()}, refused.read()


def wrong_password_from(served: Served, address: str) -> int:
    """A failed login by a user whose browser is at ``address``, as the proxy reports it."""
    status, _, _ = request(
        f"{served.base}/api/auth/login",
        data={"username": "nobody-here", "password": "wrong-password"},
        headers={"X-Forwarded-For": address},
    )
    return status


# -- proxy headers (hardening issue, defect 7) ---------------------------------------------


def test_behind_a_trusted_proxy_each_user_is_throttled_by_their_own_address(scratch_database: str) -> None:
    with serving(
        scratch_database, login_max_failures_per_address="1", forwarded_allow_ips="127.0.0.1"
    ) as served:
        assert wrong_password_from(served, "203.0.113.7") == 401
        assert wrong_password_from(served, "203.0.113.7") == 429  # that user is throttled
        # Another user behind the same proxy is not locked out by the first one's failures.
        assert wrong_password_from(served, "198.51.100.23") == 401


def test_forwarded_for_from_an_untrusted_peer_is_ignored(scratch_database: str) -> None:
    """Anyone could send X-Forwarded-For: believed from anyone, it would dodge the throttle."""
    with serving(
        scratch_database, "--forwarded-allow-ips", "192.0.2.1", login_max_failures_per_address="1"
    ) as served:
        assert wrong_password_from(served, "203.0.113.7") == 401
        # A "new address" claimed by the client itself: still the same peer, still throttled.
        assert wrong_password_from(served, "198.51.100.23") == 429
    with serving(
        scratch_database, login_max_failures_per_address="1", forwarded_allow_ips="192.0.2.1"
    ) as served:
        assert wrong_password_from(served, "203.0.113.8") == 429  # same peer, failures kept in the database


# -- logs and metrics ------------------------------------------------------------------------


def json_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_json_logs_and_metrics_of_every_process(scratch_database: str) -> None:
    with serving(scratch_database, "--log-format", "json", inbox_poll_seconds="5") as served:
        status, headers, _ = request(f"{served.base}/login", headers={"X-Request-ID": "ticket-4711"})
        assert status == 200
        assert headers["x-request-id"] == "ticket-4711"

        # The scheduler is another process: its job runs reach /metrics through the shared directory.
        deadline = time.monotonic() + TIMEOUT
        metrics = ""
        while time.monotonic() < deadline:
            status, _, body = request(f"{served.base}/metrics")
            assert status == 200
            metrics = body.decode()
            if 'tidu_job_runs_total{job="inbox"' in metrics:
                break
            time.sleep(1)
        assert 'tidu_job_runs_total{job="inbox",outcome="idle"}' in metrics
        assert 'tidu_http_requests_total{method="GET",route="/login",status="2xx"}' in metrics
        assert 'tidu_db_pool_size{role="api"}' in metrics
        assert 'tidu_db_pool_size{role="scheduler"}' in metrics
        assert 'tidu_db_pool_in_use{role="api"}' in metrics

        lines = json_lines(served.log)
        access = [line for line in lines if line.get("request_id") == "ticket-4711"]
        assert access, "no log line carries the request id"
        line = access[-1]
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
        assert (line["method"], line["path"], line["status"]) == ("GET", "/login", 200)
        assert isinstance(line["duration_ms"], float)
        assert any(entry.get("job") == "inbox" for entry in lines), "the scheduler does not log in JSON"
        assert all(entry["level"] for entry in lines)
