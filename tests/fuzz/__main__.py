"""``make fuzz``: Schemathesis over the whole OpenAPI, as every role, against a real server.

A scratch database gets the migrations and a small demo registry (``tidu demo --firms 200``,
fixed seed) and is copied once; two uvicorn servers serve the app on free loopback ports, one
per copy, and each demo user logs in. Then ``schemathesis run`` covers every operation once per
role (examples, coverage and fuzzing phases), half of the ids and credit codes it sends being
ones the registry holds, with deterministic generation (no random seed: two runs send the same
requests), and fails on any 5xx or any answer the spec does not describe: status code, body
schema, content type, headers, and 405 for a method a path does not take. The servers and the
databases are removed afterwards, whatever happened.

PostgreSQL comes from TEST_DATABASE_URL or DATABASE_URL, else the tests' embedded server.
TIDU_FUZZ_EXAMPLES raises the examples per operation for a longer run by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from backend.demo.service import DEMO_USERS
from tests.support import copy_database, drop_database, embedded_for_tests, recreate_database, server_url

DATABASE = "tidu_fuzz"
SEED = 2026
FIRMS = 200
# Per operation and phase: enough to reach every parameter's boundaries, small enough that five
# roles × 60 operations stay within a few minutes on two cores.
MAX_EXAMPLES = int(os.environ.get("TIDU_FUZZ_EXAMPLES", "3"))
# Two servers, each on its own copy of the demo registry, fuzzed at the same time (two cores);
# within a lane the roles run in turn, so each role meets the same data every run.
LANES = (("admin", "bureau", "enterprise"), ("city", "finance"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",
)
# Logging out revokes the very token the rest of the run authenticates with: every later request
# of that role would then only test the 401. Login is fuzzed (its 401 and 429 are documented).
EXCLUDED_PATHS = ("/api/auth/logout",)
BIN = Path(sys.executable).parent


def main() -> int:
    names = [f"{DATABASE}_{lane}" for lane in range(len(LANES))]
    with _postgres() as server:
        try:
            urls = [recreate_database(server, names[0])]
            _prepare({**os.environ, "DATABASE_URL": urls[0]})
            urls += [copy_database(server, names[0], name) for name in names[1:]]  # no second demo run
            with ThreadPoolExecutor(max_workers=len(LANES)) as pool:
                lanes = list(pool.map(_lane, urls, LANES))
        finally:
            for name in names:
                drop_database(server, name)
    failed = []
    for role, code, report in (run for lane in lanes for run in lane):
        print(f"\n===== fuzz as {role} =====\n{report}", flush=True)  # noqa: T201
        if code != 0:
            failed.append(role)
    roles = [role for lane in LANES for role in lane]
    print(f"fuzz: failures as {', '.join(failed)}" if failed else f"fuzz: no failure as {', '.join(roles)}")  # noqa: T201
    # The plain closing line CI reads: one "test" per role.
    print(f"fuzz: {len(roles) - len(failed)} passed, {len(failed)} failed")  # noqa: T201
    return 1 if failed else 0


def _lane(url: str, roles: tuple[str, ...]) -> list[tuple[str, int, str]]:
    """One server on its own copy of the registry; its roles one after another, so what each
    role finds there (and so every request's answer) is the same from run to run."""
    with _serving({**os.environ, "DATABASE_URL": url}) as base, tempfile.TemporaryDirectory() as scratch:
        tokens = _log_in(base)
        config = Path(scratch) / "schemathesis.toml"
        config.write_text(_config(base, tokens))
        return [(role, *_fuzz(base, config, role, tokens[role])) for role in roles]


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    url = server_url()
    if url is not None:
        yield url
        return
    with embedded_for_tests().running() as embedded:
        yield embedded


def _prepare(env: dict[str, str]) -> None:
    subprocess.run([BIN / "tidu", "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [BIN / "tidu", "demo", "--firms", str(FIRMS), "--seed", str(SEED)], env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _serving(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit("fuzz: the server exited before it answered")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit("fuzz: the server did not answer within a minute")


def _log_in(base: str) -> dict[str, str]:
    """A bearer token per demo user: admin, city, finance, a bureau and an enterprise."""
    tokens = {}
    for username, password, role, _name, _binding in DEMO_USERS:
        answer = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password})
        answer.raise_for_status()
        tokens[role.value] = answer.json()["access_token"]
    return tokens


def _config(base: str, tokens: dict[str, str]) -> str:
    """Schemathesis settings with ids that exist in the demo registry: half the generated values of
    each such parameter are real ones, so requests get past 404 into the services' own logic."""
    get = _reader(base, tokens["city"])
    own = httpx.get(f"{base}/api/auth/me", headers=_bearer(tokens["enterprise"])).json()["firm_uscc"]
    batches = sorted(b["id"] for b in get("/api/tiers/batches")["items"])
    members = get(f"/api/tiers/batches/{batches[0]}/members?size=5")["items"] if batches else []  # the demo's
    rules = httpx.get(f"{base}/api/rules", headers=_bearer(tokens["city"])).json()
    values = {
        "uscc": [own, *(f["uscc"] for f in get("/api/firms?size=4")["items"])],
        "award": [a["id"] for a in get("/api/awards?size=5")["items"]],
        "batch": batches,
        "status": [m["status_id"] for m in members],
        "fiscal_year": [SEED - 3, SEED - 2, SEED - 1],
        "program": sorted({r["program"] for r in rules})[:6],
        "version": sorted({r["version"] for r in rules})[:4],
    }
    bindings = {
        "path.uscc": "uscc", "body.uscc": "uscc", "query.uscc": "uscc",
        "path.award_id": "award", "body.award_ids[*]": "award",
        "path.batch_id": "batch", "query.batch": "batch",
        "path.status_id": "status", "body.status_ids[*]": "status",
        "path.fiscal_year": "fiscal_year",
        "path.program": "program", "body.program": "program", "query.program": "program",
        "path.version": "version", "body.old_version": "version", "body.new_version": "version",
    }  # fmt: skip
    # No crash cache: a run replays nothing an earlier run found, so every run sends the same requests.
    lines = ["[cache]\nenabled = false\n"]
    lines += [
        f"[dictionaries.{name}]\nvalues = {json.dumps(found)}\n" for name, found in values.items() if found
    ]
    lines.append("[parameters]")
    lines += [
        f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}'
        for key, name in bindings.items()
        if values[name]
    ]
    return "\n".join(lines) + "\n"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _reader(base: str, token: str) -> Callable[[str], Any]:
    def get(path: str) -> Any:
        answer = httpx.get(f"{base}{path}", headers=_bearer(token))
        answer.raise_for_status()
        return answer.json()

    return get


def _fuzz(base: str, config: Path, role: str, token: str) -> tuple[int, str]:
    command = [
        str(BIN / "schemathesis"), "--config-file", str(config), "run", f"{base}/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--suppress-health-check", "all",
        "--workers", "1",
        "--request-timeout", "60",
        "--no-color",
        *[arg for path in EXCLUDED_PATHS for arg in ("--exclude-path", path)],
    ]  # fmt: skip
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


if __name__ == "__main__":
    raise SystemExit(main())
