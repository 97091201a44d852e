"""PostgreSQL going away, and more requests than connections: 503 with Retry-After, never a 500,
never a hang, and back to normal on the same running app as soon as the cause is gone.

The shared test server is never touched: a proxy between tidu and it is cut and restored, and
overload comes from a lock a test holds on a table. Each app runs in a real uvicorn, so its
lifespan, pools and admission gate are the ones production has.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.core.config import Settings, libpq_url
from backend.core.db import make_engine, unavailability
from backend.jobs import tasks
from backend.main import create_app
from tests.db_proxy import FaultyProxy, proxied
from tests.serving import serving

UNAVAILABLE = "数据库暂不可用，请稍后再试"
STALE_SESSION = {"Cookie": "tidu_session=stale-session"}  # a page session cookie the database must look up
PATIENCE = 60.0  # seconds a test client waits for any answer: far past every limit set below
TIDU = Path(sys.executable).parent / "tidu"


def fault_settings(url: str, **overrides: Any) -> Settings:
    """Short limits, so that the tests see the outcome within seconds."""
    limits: dict[str, Any] = {
        "db_connect_timeout_seconds": 2,
        "db_statement_timeout_seconds": 2,
        "db_queue_wait_seconds": 1,
    }
    return Settings(database_url=url, **(limits | overrides))


@pytest.fixture
def proxy_url(database_url: str) -> Iterator[tuple[FaultyProxy, str]]:
    """The worker's migrated database (only read here) behind a proxy the test can cut."""
    with proxied(database_url) as pair:
        yield pair


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=PATIENCE, follow_redirects=False) as c:
        yield c


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.json() == {"code": "database.unavailable", "detail": UNAVAILABLE, "context": {}}


# -- the database goes away ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["down", "blackhole"])
async def test_while_the_database_is_gone_every_answer_is_503_and_then_it_recovers(
    proxy_url: tuple[FaultyProxy, str], client: httpx.AsyncClient, mode: str
) -> None:
    """``down``: the server died or was stopped; ``blackhole``: it (or the network) stopped answering.

    Before: 500 「服务器内部错误」 for everything including the health check (down), or no
    answer at all (blackhole); afterwards the same process had to be restarted to be sure.
    """
    proxy, url = proxy_url
    with serving(create_app(fault_settings(url))) as base:
        assert (await client.get(f"{base}/api/districts")).status_code == 200
        assert (await client.get(f"{base}/api/health")).json()["database"] == "ok"

        proxy.cut("down" if mode == "down" else "blackhole")

        assert_unavailable(await client.get(f"{base}/api/districts"))
        health = await client.get(f"{base}/api/health")
        assert health.status_code == 503
        assert health.headers["retry-after"]
        assert health.json()["status"] == "down"
        assert health.json()["database"] == "down"
        # A page (the home page looks its session cookie up): the Chinese error page, not a 500.
        page = await client.get(f"{base}/", headers=STALE_SESSION)
        assert page.status_code == 503
        assert page.headers["retry-after"]
        assert "text/html" in page.headers["content-type"]
        assert UNAVAILABLE in page.text
        assert "Traceback" not in page.text

        proxy.restore()

        districts = await client.get(f"{base}/api/districts")
        assert districts.status_code == 200
        assert len(districts.json()) == 16
        health = await client.get(f"{base}/api/health")
        assert health.status_code == 200
        assert health.json()["database"] == "ok"
        page = await client.get(f"{base}/", headers=STALE_SESSION)
        assert page.status_code == 303  # the stale cookie was looked up: back to the login page


async def test_a_commit_cut_off_answers_503_within_limits_and_stores_nothing(
    scratch_database: str, client: httpx.AsyncClient
) -> None:
    """Before: the request hung forever once its COMMIT went unanswered."""
    username = f"ghost-{uuid.uuid4().hex[:8]}"
    login = {"username": username, "password": "not-the-password"}
    with proxied(scratch_database) as (proxy, url), serving(create_app(fault_settings(url))) as base:
        # A refused login commits one counted failure: the write this test cuts off at COMMIT.
        proxy.cut_at(b"COMMIT", "blackhole")

        assert_unavailable(await client.post(f"{base}/api/auth/login", json=login))

        proxy.restore()
        assert await login_failures(scratch_database, username) == 0  # nothing half-written

        refused = await client.post(f"{base}/api/auth/login", json=login)
        assert refused.status_code == 401  # the same app instance works again
        assert await login_failures(scratch_database, username) == 1


async def login_failures(url: str, username: str) -> int:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM login_failure WHERE username = $1", username)
        return count
    finally:
        await conn.close()


def test_sigterm_does_not_wait_on_a_request_stuck_on_a_dead_database(
    proxy_url: tuple[FaultyProxy, str], unused_tcp_port: int
) -> None:
    """Before: `tidu serve` waited for the stuck request for as long as the database stayed away."""
    proxy, url = proxy_url
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TIDU_") and k != "DATABASE_URL"},
        "DATABASE_URL": url,
        "TIDU_PORT": str(unused_tcp_port),
        # Limits far longer than the test: only the shutdown bound may end the stuck request.
        "TIDU_DB_CONNECT_TIMEOUT_SECONDS": "600",
        "TIDU_DB_STATEMENT_TIMEOUT_SECONDS": "600",
        "TIDU_SHUTDOWN_GRACE_SECONDS": "2",
    }
    base = f"http://127.0.0.1:{unused_tcp_port}"
    stuck: subprocess.Popen[bytes] | None = None
    server = subprocess.Popen([str(TIDU), "serve", "--no-scheduler"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until_serving(f"{base}/api/health", server)
        proxy.cut("blackhole")
        stuck = subprocess.Popen(  # a client whose request now hangs on the database
            [sys.executable, "-c", f"import httpx; httpx.get({base + '/api/districts'!r}, timeout=600)"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(2)  # its request is in, waiting on the database
        assert stuck.poll() is None

        server.send_signal(signal.SIGTERM)

        assert server.wait(timeout=45) == 128 + signal.SIGTERM
    finally:
        for process in (server, stuck):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"`tidu serve` exited {process.returncode} before serving"
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


# -- more requests than connections ---------------------------------------------------------


@pytest.mark.parametrize(
    "limits",
    [
        pytest.param({"max_db_requests": 2}, id="admission-gate"),
        pytest.param({"max_db_requests": 40}, id="pool-wait"),  # the gate set past the pool
    ],
)
async def test_past_capacity_answers_503_with_retry_after_and_recovers_after_the_burst(
    scratch_database: str, client: httpx.AsyncClient, limits: dict[str, Any]
) -> None:
    """A burst while every request is stuck behind a lock (a slow database, a long write).

    Before: requests queued for a connection for 30 s and then answered 500 「服务器内部错误」,
    and the backlog went on failing requests after its clients had gone.
    """
    settings = fault_settings(scratch_database, db_pool_size=1, db_max_overflow=1, **limits)
    with serving(create_app(settings)) as base:
        assert (await client.get(f"{base}/api/districts")).status_code == 200
        locker = await asyncpg.connect(libpq_url(scratch_database))
        try:
            async with locker.transaction():
                await locker.execute("LOCK TABLE district IN ACCESS EXCLUSIVE MODE")
                burst = [asyncio.create_task(client.get(f"{base}/api/districts")) for _ in range(40)]
                # Clients that give up early: their requests must not keep the server failing.
                impatient = httpx.AsyncClient(timeout=0.2)
                quitters = [asyncio.create_task(impatient.get(f"{base}/api/districts")) for _ in range(20)]
                await asyncio.gather(*quitters, return_exceptions=True)
                await impatient.aclose()
                health = await client.get(f"{base}/api/health")  # its own pool: answers under load
                answers = await asyncio.gather(*burst)
        finally:
            await locker.close()

        assert health.status_code == 200
        assert health.json()["database"] == "ok"
        statuses = sorted({a.status_code for a in answers})
        assert statuses == [503], statuses  # everything waited on the lock: no 200, no 500
        for answer in answers:
            assert int(answer.headers["retry-after"]) > 0
            assert answer.json()["code"] in {"server.busy", "database.timeout"}
            assert "稍后再试" in answer.json()["detail"]
        assert any(a.json()["code"] == "server.busy" for a in answers)

        # The lock is gone: everything succeeds again on the same app, at once.
        after = [await client.get(f"{base}/api/districts") for _ in range(10)]
        assert [a.status_code for a in after] == [200] * 10
        together = await asyncio.gather(*(client.get(f"{base}/api/districts") for _ in range(4)))
        assert [a.status_code for a in together] == [200] * 4


# -- statement limits per role --------------------------------------------------------------


async def test_web_requests_are_cut_at_their_limit_but_jobs_are_not(database_url: str) -> None:
    """A long statement fails fast (503) for a web request, and runs to the end for a CLI job."""
    settings = Settings(database_url=database_url, db_statement_timeout_seconds=1)
    web = make_engine(database_url, settings, role="api")
    job = make_engine(database_url, settings, role="cli")
    try:
        async with job.connect() as connection:
            assert (await connection.execute(text("SHOW statement_timeout"))).scalar() == "1h"
            await connection.execute(text("SELECT pg_sleep(1.5)"))  # past the web limit: fine
        async with web.connect() as connection:
            assert (await connection.execute(text("SHOW statement_timeout"))).scalar() == "1s"
            with pytest.raises(DBAPIError, match="statement timeout") as cut:
                await connection.execute(text("SELECT pg_sleep(1.5)"))
        failure = unavailability(cut.value)
        assert failure is not None
        assert failure.status_code == 503
        assert failure.code == "database.timeout"
        async with web.connect() as connection:  # PostgreSQL cancelled it; the pool is fine
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await web.dispose()
        await job.dispose()


def test_errors_that_are_not_the_database_stay_errors() -> None:
    # A full disk or a bug is a 500 with its traceback in the log, not a misleading 503.
    assert unavailability(FileNotFoundError("exports/2026.xlsx")) is None
    assert unavailability(ValueError("bug")) is None


def test_the_scheduler_stops_promptly_when_its_database_stopped_answering(
    scratch_database: str, tmp_path: Path
) -> None:
    """Before: the leader's heartbeat waited forever, so SIGTERM (and `tidu serve`'s own shutdown)
    hung until the scheduler process was killed."""
    with proxied(scratch_database) as (proxy, url):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TIDU_") and k != "DATABASE_URL"},
            "DATABASE_URL": url,
            "TIDU_DATA_DIR": str(tmp_path),
            "TIDU_DB_CONNECT_TIMEOUT_SECONDS": "2",
            # No job fires during the test: APScheduler's own job store (synchronous, by design)
            # would block on the dead connection whatever tidu does.
            "TIDU_INBOX_POLL_SECONDS": "86400",
        }
        scheduler = subprocess.Popen([str(TIDU), "scheduler"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while not asyncio.run(leading(scratch_database)):
                assert scheduler.poll() is None, "`tidu scheduler` exited"
                assert time.monotonic() < deadline, "the scheduler never took the lead"
                time.sleep(0.5)
            proxy.cut("blackhole")
            time.sleep(6)  # a heartbeat (every 5 s) is now waiting on the dead connection

            scheduler.send_signal(signal.SIGTERM)

            assert scheduler.wait(timeout=30) == 0
        finally:
            if scheduler.poll() is None:
                scheduler.kill()
                scheduler.wait()


async def leading(url: str) -> bool:
    """A scheduler holds the leader lock and has stored every job (its start is over)."""
    conn = await asyncpg.connect(libpq_url(url))
    try:
        held: bool = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
        )
        stored = await conn.fetchval("SELECT count(*) FROM apscheduler_jobs") if held else 0
        return held and stored == len(tasks.job_specs(Settings()))
    finally:
        await conn.close()


async def test_a_database_failure_outside_the_request_session_is_still_a_503() -> None:
    """The catch-all handler consults the same classification: not a 500 「服务器内部错误」."""
    app = create_app(Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none"))

    @app.get("/api/lost-connection")
    async def lost_connection() -> None:
        raise DBAPIError("SELECT 1", {}, ConnectionResetError("reset by peer"), connection_invalidated=True)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidu.test") as c:
        assert_unavailable(await c.get("/api/lost-connection"))
