"""`tidu serve` killed outright (SIGKILL, the OOM killer, a crashed host supervisor).

Nothing can run in the killed process, so what it started must notice by itself: the scheduler
exits when its parent dies, and the embedded PostgreSQL it leaves running is adopted by the next
`tidu serve` (and stopped when that one stops).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

from tests.test_cli import (
    TIDU,
    TIMEOUT,
    Target,
    alive,
    children_of,
    clean_env,
    force_stop,
    free_port,
    processes_in,
    short_dir,
    succeeded,
    tidu,
    wait_for_page,
)


def wait_until_gone(pids: list[int], seconds: float = 30) -> list[int]:
    """The pids still alive after waiting up to ``seconds`` for them to exit."""
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [pid for pid in pids if alive(pid)]


def test_sigkill_of_serve_ends_its_scheduler_and_the_next_serve_adopts_the_database() -> None:
    data_dir = short_dir("tidu-cli-kill-")
    cluster = data_dir / "postgres" / "cluster"
    port = free_port()
    # A temp dir of its own: another test's `tidu serve` starting meanwhile would clear what a
    # killed one left in the shared one before this test looks.
    temp = data_dir / "tmp"
    temp.mkdir()
    env = {**clean_env(), "TIDU_DATA_DIR": str(data_dir), "TIDU_PORT": str(port), "TMPDIR": str(temp)}
    embedded = Target(env=env, workdir=data_dir, database_url=None, data_dir=data_dir)
    started: list[subprocess.Popen[bytes]] = []
    schedulers: list[int] = []

    def serve() -> subprocess.Popen[bytes]:
        process = subprocess.Popen([str(TIDU), "serve"], env=env, cwd=data_dir,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        started.append(process)
        wait_for_page(f"http://127.0.0.1:{port}/login", process)
        children = children_of(process.pid)
        assert children, "`tidu serve` started no scheduler process"
        schedulers.extend(children)
        return process

    try:
        succeeded(tidu(embedded, "db", "upgrade"))
        first = serve()
        orphans = children_of(first.pid)

        first.kill()
        first.wait(timeout=TIMEOUT)

        assert wait_until_gone(orphans) == [], "the scheduler outlived `tidu serve` killed with SIGKILL"
        assert processes_in(cluster), "the embedded PostgreSQL should stay up for the next start to adopt"

        left = list(temp.glob(f"tidu-metrics-{first.pid}-*"))
        assert left, "the killed `tidu serve` had a metrics directory"
        second = serve()  # adopts the running server
        assert not any(path.exists() for path in left), "the next start removes what the killed one left"
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=TIMEOUT) == 128 + signal.SIGTERM
        assert wait_until_gone(schedulers) == []
        deadline = time.monotonic() + 30
        while processes_in(cluster) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_in(cluster) == [], "the adopted PostgreSQL outlived the `tidu serve` that adopted it"
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
        for pid in [pid for pid in schedulers if alive(pid)]:
            os.kill(pid, signal.SIGKILL)
        force_stop(cluster)
        shutil.rmtree(data_dir, ignore_errors=True)
