"""The ``tidu`` console script, run as a subprocess against a database made for this module.

With TEST_DATABASE_URL / DATABASE_URL set, the commands get a fresh database on that server;
otherwise they get a fresh TIDU_DATA_DIR and start (and stop) their own embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from backend.core.embedded_pg import EmbeddedPostgres
from backend.demo.service import DEMO_USERS
from tests.support import drop_database, recreate_database, server_url

TIDU = Path(sys.executable).parent / "tidu"
TIMEOUT = 180.0  # seconds per command; generous, other test workers share the machine
COUNT_KEYS = {"firms", "filings", "revisions", "certificates", "tier_statuses", "users"}
CJK = re.compile(r"[\u4e00-\u9fff]")
DEMO_FIRMS = 300


@dataclass(frozen=True)
class Target:
    """Where the commands run: their environment, and the database or data dir they use."""

    env: dict[str, str]
    workdir: Path
    database_url: str | None  # the external database (asyncpg form), or None: embedded
    data_dir: Path | None  # TIDU_DATA_DIR when embedded


@dataclass(frozen=True)
class DemoRun:
    demo: subprocess.CompletedProcess[str]
    info: dict[str, Any]  # `tidu info --json` right after the demo load


# -- helpers ------------------------------------------------------------------------------


def short_dir(prefix: str) -> Path:
    """A fresh directory under /tmp (short socket paths) the postgres account may traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o711)
    return path


def clean_env() -> dict[str, str]:
    """This process's environment without anything that would point tidu at a database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TIDU_") and key not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    env["COLUMNS"] = "200"  # rich wraps at 80 columns when not on a terminal
    env["NO_COLOR"] = "1"
    return env


def tidu(target: Target, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TIDU), *args],
        env=target.env,
        cwd=target.workdir,  # no stray .env file is picked up
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args} exited {result.returncode}:\n{result.stderr}"
    return result


def flat(text: str) -> str:
    """Output with every whitespace run removed, so a wrapped line still matches."""
    return "".join(text.split())


def info(target: Target) -> dict[str, Any]:
    lines = succeeded(tidu(target, "info", "--json")).stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {lines}"
    payload = json.loads(lines[0])
    assert isinstance(payload, dict)
    return payload


def counts(target: Target) -> dict[str, int]:
    found = info(target)["counts"]
    assert isinstance(found, dict)
    return {str(key): int(value) for key, value in found.items()}


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


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


def force_stop(cluster: Path) -> None:
    """Teardown only: stop a postmaster a failed command left behind, by its pid."""
    try:
        pid = int((cluster / "postmaster.pid").read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return
    if str(cluster) not in cmdline:
        return
    os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
    deadline = time.monotonic() + 60
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def current_database(libpq: str) -> object:
    async def run() -> object:
        connection = await asyncpg.connect(libpq, timeout=TIMEOUT)
        try:
            return await connection.fetchval("SELECT current_database()")
        finally:
            await connection.close()

    return asyncio.run(run())


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def target(worker_name: str) -> Iterator[Target]:
    workdir = short_dir("tidu-cli-")
    server = server_url()
    name = f"tidu_cli_{worker_name}"
    try:
        if server is None:
            env = {**clean_env(), "TIDU_DATA_DIR": str(workdir)}
            yield Target(env=env, workdir=workdir, database_url=None, data_dir=workdir)
        else:
            url = recreate_database(server, name)
            try:
                env = {**clean_env(), "DATABASE_URL": url}
                yield Target(env=env, workdir=workdir, database_url=url, data_dir=None)
            finally:
                drop_database(server, name)
    finally:
        force_stop(workdir / "postgres" / "cluster")
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def demo_run(target: Target) -> DemoRun:
    """Migrate, then load the demo registry once for the whole module."""
    succeeded(tidu(target, "db", "upgrade"))
    demo = tidu(target, "demo", "--firms", str(DEMO_FIRMS), "--seed", "7")
    return DemoRun(demo=demo, info=info(target) if demo.returncode == 0 else {})


# -- commands against the module's database -----------------------------------------------


def test_db_upgrade_succeeds_and_can_run_again(target: Target) -> None:
    first = succeeded(tidu(target, "db", "upgrade"))
    again = succeeded(tidu(target, "db", "upgrade"))
    assert CJK.search(first.stdout)
    assert CJK.search(again.stdout)
    assert set(counts(target)) >= COUNT_KEYS  # every table the counts read exists


def test_demo_loads_the_registry_and_prints_the_demo_users(demo_run: DemoRun) -> None:
    succeeded(demo_run.demo)
    shown = demo_run.demo.stdout
    assert len(DEMO_USERS) == 5
    for username, password, *_ in DEMO_USERS:
        assert re.search(rf"\b{re.escape(username)}\b", shown), f"{username} missing from:\n{shown}"
        assert password in shown
    assert f"{DEMO_FIRMS:,}" in shown


def test_info_json_counts_the_demo_registry(demo_run: DemoRun, target: Target) -> None:
    succeeded(demo_run.demo)
    payload = demo_run.info
    assert payload["database"] == ("external" if target.database_url else "embedded")
    found = payload["counts"]
    assert set(found) >= COUNT_KEYS
    assert all(isinstance(found[key], int) for key in COUNT_KEYS)
    assert found["firms"] == DEMO_FIRMS
    assert found["filings"] > 2 * DEMO_FIRMS
    assert found["revisions"] >= found["filings"]
    assert found["certificates"] > 0
    assert found["tier_statuses"] > 0
    assert found["users"] == len(DEMO_USERS)


def test_demo_if_empty_leaves_a_filled_registry_unchanged(demo_run: DemoRun, target: Target) -> None:
    succeeded(demo_run.demo)
    before = counts(target)
    result = succeeded(tidu(target, "demo", "--if-empty"))
    assert CJK.search(result.stdout)
    assert counts(target) == before


def test_demo_refuses_a_filled_registry_in_chinese(demo_run: DemoRun, target: Target) -> None:
    succeeded(demo_run.demo)
    result = tidu(target, "demo")
    assert result.returncode != 0
    assert CJK.search(result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert counts(target)["firms"] == DEMO_FIRMS  # nothing was added on top (only demo adds firms)


def test_user_create_adds_a_bureau_user(demo_run: DemoRun, target: Target) -> None:
    succeeded(demo_run.demo)
    before = counts(target)
    succeeded(
        tidu(
            target,
            *("user", "create", "jinghai.reviewer", "--role", "bureau"),
            *("--bureau", "jinghai", "--password", "secret-pass-1"),
        )
    )
    after = counts(target)
    assert after["users"] == before["users"] + 1
    assert {k: v for k, v in after.items() if k != "users"} == {
        k: v for k, v in before.items() if k != "users"
    }
    again = tidu(
        target,
        *("user", "create", "jinghai.reviewer", "--role", "bureau"),
        *("--bureau", "jinghai", "--password", "secret-pass-1"),
    )
    assert again.returncode != 0, "a username can be taken only once"
    assert CJK.search(again.stderr), again.stderr


def test_user_create_bureau_role_without_a_bureau_is_refused(demo_run: DemoRun, target: Target) -> None:
    succeeded(demo_run.demo)
    result = tidu(
        target, "user", "create", "unbound.reviewer", "--role", "bureau", "--password", "secret-pass-1"
    )
    assert result.returncode != 0
    message = flat(result.stderr)
    assert CJK.search(message), result.stderr
    assert "审查单位" in message or "区科技局" in message, result.stderr  # names the missing bureau


def test_user_create_enterprise_with_an_invalid_credit_code_is_refused(
    demo_run: DemoRun, target: Target
) -> None:
    succeeded(demo_run.demo)
    result = tidu(
        target,
        *("user", "create", "bad.firm.user", "--role", "enterprise"),
        *("--firm", "911201180000000000", "--password", "secret-pass-1"),
    )
    assert result.returncode != 0
    assert CJK.search(result.stderr), result.stderr
    assert "911201180000000000" in flat(result.stderr)


def test_db_url_prints_a_libpq_url_for_the_database_in_use(target: Target) -> None:
    result = succeeded(tidu(target, "db", "url"))
    printed = result.stdout.strip()
    assert printed.startswith("postgresql://"), printed
    assert "+asyncpg" not in printed
    if target.database_url is not None:
        expected = make_url(target.database_url)
        shown = make_url(printed)
        assert (shown.host, shown.port, shown.database) == (expected.host, expected.port, expected.database)
        assert current_database(printed) == expected.database
    else:
        assert target.data_dir is not None
        server = EmbeddedPostgres.for_data_dir(target.data_dir)
        assert f"host={server.cluster}" in printed
        with server.running():
            assert current_database(printed) == "tidu"


# -- the embedded server, whatever the suite uses -----------------------------------------


def test_without_database_url_commands_start_and_stop_an_embedded_server() -> None:
    data_dir = short_dir("tidu-cli-emb-")
    cluster = data_dir / "postgres" / "cluster"
    embedded = Target(
        env={**clean_env(), "TIDU_DATA_DIR": str(data_dir)},
        workdir=data_dir,
        database_url=None,
        data_dir=data_dir,
    )
    try:
        succeeded(tidu(embedded, "db", "upgrade"))
        assert (cluster / "PG_VERSION").exists()
        assert processes_in(cluster) == [], "`tidu db upgrade` left its PostgreSQL running"
        payload = info(embedded)
        assert payload["database"] == "embedded"
        assert str(payload["server_version"]).split(".")[0] == "18"
        assert payload["counts"]["firms"] == 0
        assert set(payload["counts"]) >= COUNT_KEYS
        assert processes_in(cluster) == [], "`tidu info` left its PostgreSQL running"
        assert not (cluster / "postmaster.pid").exists()
    finally:
        force_stop(cluster)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_sigterm_stops_the_server_its_scheduler_and_the_embedded_database() -> None:
    """systemd, docker stop and kill send SIGTERM: nothing tidu started may outlive it."""
    data_dir = short_dir("tidu-cli-term-")
    cluster = data_dir / "postgres" / "cluster"
    port = free_port()
    env = {**clean_env(), "TIDU_DATA_DIR": str(data_dir), "TIDU_PORT": str(port)}
    embedded = Target(env=env, workdir=data_dir, database_url=None, data_dir=data_dir)
    server: subprocess.Popen[bytes] | None = None
    started: list[int] = []
    try:
        succeeded(tidu(embedded, "db", "upgrade"))
        server = subprocess.Popen([str(TIDU), "serve"], env=env, cwd=data_dir,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        wait_for_page(f"http://127.0.0.1:{port}/login", server)
        started = children_of(server.pid)  # the scheduler
        assert started, "`tidu serve` started no scheduler process"
        assert processes_in(cluster), "`tidu serve` is not using its embedded PostgreSQL"

        server.send_signal(signal.SIGTERM)

        assert server.wait(timeout=TIMEOUT) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 30
        while (processes_in(cluster) or any(alive(pid) for pid in started)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in started if alive(pid)] == [], "the scheduler outlived `tidu serve`"
        assert processes_in(cluster) == [], "the embedded PostgreSQL outlived `tidu serve`"
    finally:
        if server is not None and server.poll() is None:
            server.kill()
        for pid in [pid for pid in started if alive(pid)]:
            os.kill(pid, signal.SIGKILL)
        force_stop(cluster)
        shutil.rmtree(data_dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_page(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"`tidu serve` exited {process.returncode} before serving"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} never answered")


def children_of(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


# -- rules and evaluation commands ---------------------------------------------------------


def test_rules_check_lists_every_rule_set(target: Target) -> None:
    result = succeeded(tidu(target, "rules", "check"))
    assert "seedling" in result.stdout
    assert "全部规则集检查通过" in result.stdout


def test_rules_facts_documents_every_namespace(target: Target) -> None:
    text = succeeded(tidu(target, "rules", "facts")).stdout
    for name in (
        "filing.revenue_yuan",
        "window.rd_ratio_3y",
        "cert.hte.valid",
        "history.seedling.held",
        "registered_on",
    ):
        assert name in text


def test_evaluate_stores_decisions_once(demo_run: DemoRun, target: Target) -> None:
    year = str(time.localtime().tm_year - 1)  # the demo has decided the current year already
    first = json.loads(
        succeeded(tidu(target, "evaluate", "--year", year, "--program", "seedling", "--json")).stdout
    )
    second = json.loads(
        succeeded(tidu(target, "evaluate", "--year", year, "--program", "seedling", "--json")).stdout
    )
    assert first["evaluated"] == DEMO_FIRMS
    assert sum(first["programs"]["seedling"].values()) == DEMO_FIRMS
    assert (second["evaluated"], second["unchanged"]) == (0, DEMO_FIRMS)
    assert second["programs"] == first["programs"]


def test_rules_diff_compares_two_versions_on_the_registry(demo_run: DemoRun, target: Target) -> None:
    year = str(time.localtime().tm_year)
    result = json.loads(
        succeeded(
            tidu(target, "rules", "diff", "seedling/2019", "seedling/2021", "--year", year, "--json")
        ).stdout
    )
    assert result["firms_evaluated"] == DEMO_FIRMS
    assert result["counts"].get("gained", 0) + result["counts"].get("lost", 0) > 0
    assert all(firm["reasons"] for firm in result["firms"])


def test_whatif_decides_a_facts_file_without_a_database(tmp_path: Path) -> None:
    data_dir = short_dir("tidu-whatif-")
    shutil.rmtree(data_dir)
    env = clean_env() | {"TIDU_DATA_DIR": str(data_dir)}
    offline = Target(env=env, workdir=tmp_path, database_url=None, data_dir=data_dir)
    facts = tmp_path / "firm.yaml"
    facts.write_text(
        "firm: {registered_on: 2021-03-01, uscc: 91120118MA06R1D13A}\n"
        "filings:\n  2025: {revenue_yuan: 76500, ip_class1: 0, ip_class2: 2, research_misconduct: false,"
        " abnormal_operation: false, serious_violation: false}\n",
        encoding="utf-8",
    )
    decided = json.loads(
        succeeded(
            tidu(
                offline, "whatif", "--program", "seedling", "--year", "2026", "--facts", str(facts), "--json"
            )
        ).stdout
    )
    assert decided["outcome"] == "ineligible"
    assert "还差 2.35万元" in decided["advice"]["steps"][0]["text"]
    text = succeeded(
        tidu(offline, "whatif", "--program", "seedling", "--year", "2026", "--facts", str(facts))
    ).stdout
    assert "不符合" in text
    assert not data_dir.exists()  # no database was started
    facts.write_text(
        "firm: {registered_on: 2021-03-01}\nfilings:\n  2025: {revenue_yuan: -1}\n", encoding="utf-8"
    )
    refused = tidu(offline, "whatif", "--program", "seedling", "--year", "2026", "--facts", str(facts))
    assert refused.returncode != 0
    assert "filings.2025.revenue_yuan" in refused.stderr
    assert CJK.search(refused.stderr)
