"""Status load benchmark: a firm's status under concurrent users, the new path against the old one.

One demo registry is built (``tidu db upgrade``, ``tidu demo --if-empty``) on the embedded
PostgreSQL in a fresh temporary data directory, then served twice by ``tidu serve --workers 2
--no-scheduler`` on 127.0.0.1: first with ``TIDU_STATUS_ENGINE=frames`` (the registry's vectorised
path on a one-row frame: the baseline), then with ``scalar`` (the new path), same data, same
requests. City staff log in through the API; each user of a closed loop (a user sends its next
request as soon as the last is answered) asks for random firms in scope, for a fixed time:

1. ``GET /api/firms/{uscc}/status`` with 1, 50 and 200 users;
2. ``GET /firms/{uscc}`` (the status page, HTML) with 50 users;
3. ``POST /api/what-if`` (one figure changed) with 1 user;
4. ``GET /api/auth/me`` with 50 users: the floor of this stack on this machine (token checked, one
   row read, nothing decided): no status path can be cheaper than this.

Per level: the requests started within the window (each awaited to its answer, so the next level
starts on an idle server), responses/s and 200s/s answered within the window, the server's own
time of each answer (its ``Server-Timing`` header) at p50/p95, the CPU per answer, p50/p95/p99
latency of every request, counts by status code (any 5xx is an error; a 503 with Retry-After is
counted apart as shed by the admission gate), transport errors, and the CPU the load generator,
the servers and PostgreSQL used in the window. All levels of one engine run in one client process,
after a few warm-up requests per path (templates compiled, pools filled, lazy imports done). The generator runs in its own process on the same CPUs
as the server: its CPU share is reported so the reader can judge what it took from the server.
Also: one status response's bytes on the wire, with and without ``Accept-Encoding: gzip``, and
whether both engines answer byte-identical status bodies for a sample of firms.

    python -m benchmarks.status_load [--quick] [--firms 5000] [--database-url URL] [--seed 2026]

``--quick``: 1,000 firms, 5 s per level. Without it: 5,000 firms, 20 s / 30 s / 60 s at 1 / 50 /
200 users. On a shared 2-CPU machine (load average 7-10) the full run took 9 min, ``--quick`` 4
(each level also waits for the requests in flight at its end: up to 20 s with the frames path). ``--database-url`` serves a PostgreSQL server of
yours instead (migrated, and given the demo registry only if it is empty; never dropped).
Everything started here is stopped on exit, Ctrl-C or SIGTERM included, and the temporary data
directory removed. Results: benchmarks/results/status.json and status.md; each server's log of the
last run stays in benchmarks/.cache/status_load/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
LOGS = Path(__file__).parent / ".cache" / "status_load"  # each server's log of the last run, kept
ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # the only address this benchmark talks to
ENGINES = ("frames", "scalar")  # the baseline first
WORKERS = 2
USERNAME, PASSWORD = "city", "tidu-city"  # the demo's 市科技局 account (README, backend/demo/service.py)
SESSION_COOKIE = "tidu_session"  # backend/web/session.py: pages take the same token as a cookie
SEED = 2026
REQUEST_TIMEOUT = 30.0  # seconds; past it a request counts as a timeout
READY_TIMEOUT = 180.0  # seconds for `tidu serve` to answer with every worker started
SAME_BODY_SAMPLE = 20  # firms whose status bodies are compared across engines
PATHS = {
    "status": "GET /api/firms/{uscc}/status",
    "page": "GET /firms/{uscc} (status page, HTML)",
    "whatif": "POST /api/what-if (revenue changed)",
    "floor": "GET /api/auth/me (the floor: signed in, one row read)",
}


@dataclass(frozen=True)
class Phase:
    path: str  # a key of PATHS
    users: int
    seconds: float

    @property
    def name(self) -> str:
        return f"{self.path}@{self.users}"


FULL = (Phase("status", 1, 20), Phase("status", 50, 30), Phase("status", 200, 60),
        Phase("page", 50, 30), Phase("whatif", 1, 20), Phase("floor", 50, 20))  # fmt: skip
# 5 s: longer than TIDU_DB_QUEUE_WAIT_SECONDS (3), so that requests shed after waiting are answered within it.
QUICK = tuple(Phase(p.path, p.users, 5) for p in FULL)
WARMUP_SECONDS = 0.2  # per path, 4 users: a request or two each (every request started is answered)


# -- CPU accounting (Linux /proc; empty elsewhere) ----------------------------------------------------


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_table() -> dict[int, tuple[int, float]]:
    """Every process: its parent and the CPU seconds (user + system) it has used so far."""
    table: dict[int, tuple[int, float]] = {}
    ticks = _clock_ticks()
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        table[int(entry.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return table


def tree_cpu(roots: dict[str, int | None]) -> dict[str, dict[int, float]]:
    """CPU seconds so far of each process in each named tree (a root and its descendants)."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _cpu) in table.items():
        children.setdefault(parent, []).append(pid)
    found: dict[str, dict[int, float]] = {}
    for name, root in roots.items():
        found[name] = {}
        todo = [root] if root is not None and root in table else []
        while todo:
            pid = todo.pop()
            found[name][pid] = table[pid][1]
            todo.extend(children.get(pid, ()))
    return found


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs so far, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return None
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuMark:
    own: float
    trees: dict[str, dict[int, float]]
    machine: tuple[int, int] | None

    @classmethod
    def now(cls, roots: dict[str, int | None]) -> CpuMark:
        return cls(own_cpu(), tree_cpu(roots), machine_ticks())

    def since(self, start: CpuMark, seconds: float) -> dict[str, Any]:
        """CPU seconds used between ``start`` and this mark: the client's, each tree's, the machine's share."""
        used: dict[str, Any] = {"client_s": round(self.own - start.own, 2)}
        for name, now in self.trees.items():
            before = start.trees.get(name, {})
            used[f"{name}_s"] = (
                round(sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items()), 2) if now else None
            )
        if self.machine is not None and start.machine is not None:
            busy, total = (a - b for a, b in zip(self.machine, start.machine, strict=True))
            used["machine_busy"] = round(busy / total, 3) if total else None
        used["cpus_client"] = round(used["client_s"] / seconds, 2)
        return used


# -- the client: one level of users, in its own process -------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What a client process needs, written by the parent to a JSON file."""

    base: str
    token: str
    firms: list[str]
    year: int
    server_pid: int | None
    postgres_pid: int | None
    phases: list[list[Any]]  # [path, users, seconds], in order
    warmup: list[list[Any]]
    seed: int


def _request(client: Any, spec: Spec, path: str, uscc: str, rng: random.Random) -> Any:
    """The coroutine of one request of ``path`` for ``uscc``."""
    if path == "status":
        return client.get(f"/api/firms/{uscc}/status")
    if path == "page":
        return client.get(f"/firms/{uscc}")
    if path == "floor":
        return client.get("/api/auth/me")
    body = {"uscc": uscc, "year": spec.year,
            "filings": {str(spec.year - 1): {"revenue_yuan": rng.randrange(1_000_000, 200_000_000)}}}  # fmt: skip
    return client.post("/api/what-if", json=body)


def outcome(path: str, uscc: str, status: int, headers: Any, body: bytes) -> str:
    """How a response counts: its status code, ``503-shed`` (503 with Retry-After), ``200-wrong`` (a 200
    that is not the answer asked for: the benchmark would measure nothing)."""
    if status == 503 and "retry-after" in headers:
        return "503-shed"
    if status != 200:
        return str(status)
    right = {
        "status": body.startswith(b'{"uscc":"' + uscc.encode()),
        "page": uscc.encode() in body and b"<html" in body[:200],
        "whatif": body.startswith(b'[{"program":'),
        "floor": body.startswith(b'{"id":'),
    }[path]
    return "200" if right else "200-wrong"


def _reason(exc: BaseException) -> str:
    """What lies under a transport error (``[Errno 104] Connection reset by peer``), briefly."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return (str(exc) or type(exc).__name__)[:80]


Sample = tuple[float, str, bool, float | None]  # seconds, outcome, answered within the window, server ms


def server_ms(headers: Any) -> float | None:
    """The server's own time for the answer (``Server-Timing: app;dur=12.3``), without network and client."""
    found = re.search(r"app;dur=([0-9.]+)", headers.get("server-timing", ""))
    return float(found[1]) if found else None


async def _user(client: Any, spec: Spec, path: str, rng: random.Random, deadline: float) -> list[Sample]:
    """One user: request after request while the window lasts; every request it started, answered."""
    import httpx

    samples: list[Sample] = []
    while (started := time.perf_counter()) < deadline:
        uscc = rng.choice(spec.firms)
        server: float | None = None
        try:
            response = await _request(client, spec, path, uscc, rng)
            result = outcome(path, uscc, response.status_code, response.headers, response.content)
            server = server_ms(response.headers)
        except httpx.TimeoutException:
            result = "timeout"
        except httpx.HTTPError as exc:
            result = f"{type(exc).__name__}: {_reason(exc)}"
        done = time.perf_counter()
        samples.append((done - started, result, done <= deadline, server))
        if not result[0].isdigit():
            await asyncio.sleep(0.1)  # a refused connection must not spin
    return samples


async def _level(spec: Spec, phase: Phase) -> dict[str, Any]:
    """One level: ``phase.users`` users for ``phase.seconds``; then the requests still in flight are
    awaited (their latencies count, the throughput counts only answers within the window), so the
    next level starts on an idle server."""
    import httpx

    roots = {"server": spec.server_pid, "postgres": spec.postgres_pid}
    limits = httpx.Limits(max_connections=phase.users, max_keepalive_connections=phase.users)
    async with httpx.AsyncClient(
        base_url=spec.base, limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False, follow_redirects=False,
        headers={"Authorization": f"Bearer {spec.token}"}, cookies={SESSION_COOKIE: spec.token},
    ) as client:  # fmt: skip
        rngs = [random.Random(f"{spec.seed}:{phase.name}:{user}") for user in range(phase.users)]
        start = CpuMark.now(roots)
        began = time.perf_counter()
        deadline = began + phase.seconds
        users = [asyncio.create_task(_user(client, spec, phase.path, rng, deadline)) for rng in rngs]
        await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
        # Woken late, this process was starved of CPU: its own latencies are inflated by as much.
        lag = time.perf_counter() - deadline
        end = CpuMark.now(roots)
        marked = time.perf_counter() - began
        samples = [sample for user in await asyncio.gather(*users) for sample in user]
        drained = time.perf_counter() - began - marked
    return summarize(phase, samples, phase.seconds) | {
        "client_lag_s": round(lag, 2), "drain_s": round(drained, 2), "cpu": end.since(start, marked),
    }  # fmt: skip


async def _levels(spec: Spec, engine: str) -> dict[str, Any]:
    for path, users, seconds in spec.warmup:  # templates compiled, pools filled, lazy imports done
        await _level(spec, Phase(path, users, seconds))
    results = {}
    for path, users, seconds in spec.phases:
        phase = Phase(path, users, seconds)
        _say(
            f"{engine}: {phase.path}, {phase.users} user{'s' if phase.users > 1 else ''}, {phase.seconds:g} s …"
        )
        results[phase.name] = await _level(spec, phase)
        await asyncio.sleep(0.5)
    return results


def percentile(ordered: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list, in milliseconds."""
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000, 1)


def summarize(phase: Phase, samples: list[Sample], window: float) -> dict[str, Any]:
    """Counts and latencies of every request started in the window; throughput of those answered in it."""
    codes = Counter(result for _, result, _, _ in samples)
    every = sorted(seconds for seconds, _, _, _ in samples)
    ok = sorted(seconds for seconds, result, _, _ in samples if result == "200")
    on_server = sorted(ms / 1000 for _, result, _, ms in samples if result == "200" and ms is not None)
    answered = [result for _, result, in_window, _ in samples if in_window]
    failed: dict[str, list[float]] = {}  # when transport errors struck: at once (a stale connection) or late
    for seconds, result, _, _ in samples:
        if not result[0].isdigit() and len(failed.setdefault(result, [])) < 20:
            failed[result].append(round(seconds * 1000))
    server_errors = sum(n for code, n in codes.items() if code[0] == "5" and code != "503-shed")
    return {
        "path": phase.path, "what": PATHS[phase.path], "users": phase.users, "seconds": window,
        "requests": len(samples), "answered_in_window": len(answered),
        "responses_per_s": round(len(answered) / window, 1),
        "ok_per_s": round(answered.count("200") / window, 1),
        "p50_ms": percentile(every, 50), "p95_ms": percentile(every, 95), "p99_ms": percentile(every, 99),
        "ok_p50_ms": percentile(ok, 50), "ok_p95_ms": percentile(ok, 95), "ok_p99_ms": percentile(ok, 99),
        "server_p50_ms": percentile(on_server, 50), "server_p95_ms": percentile(on_server, 95),
        "codes": dict(sorted(codes.items())), "errors_5xx": server_errors, "shed_503": codes["503-shed"],
        "other": sum(n for code, n in codes.items() if code != "200" and code[0] != "5"),
        "transport_errors_ms": failed,
    }  # fmt: skip


def client(spec_file: Path, engine: str) -> None:
    """A client process: every level in turn, then one JSON line on stdout."""
    spec = Spec(**json.loads(spec_file.read_text(encoding="utf-8")))
    print(json.dumps(asyncio.run(_levels(spec, engine)), ensure_ascii=False))  # noqa: T201


# -- the parent: database, registry, servers, one client process per level -------------------------------


def _run_client(spec_file: Path, engine: str, phases: tuple[Phase, ...]) -> dict[str, Any]:
    """The load generator in its own process (its own session: we stop it, on Ctrl-C too)."""
    command = [sys.executable, "-m", "benchmarks.status_load", "--client", str(spec_file), "--engine", engine]
    longest = sum(p.seconds + REQUEST_TIMEOUT + 5 for p in phases) + 120
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False,
                          start_new_session=True, timeout=longest)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the {engine} client failed (exit {done.returncode}); its errors are above")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)  # noqa: T201


def _environment(folder: Path, database_url: str | None) -> dict[str, str]:
    """The commands' environment: the embedded server under ``folder`` unless a URL is given."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TIDU_DATABASE_URL")}
    for name in ("TIDU_STATUS_ENGINE", "TIDU_HOST", "TIDU_PORT", "TIDU_LOG_FORMAT"):
        env.pop(name, None)
    env["TIDU_DATA_DIR"] = str(folder)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@contextlib.contextmanager
def _database(folder: Path, database_url: str | None) -> Iterator[Path | None]:
    """Hold the embedded server for the whole run (every tidu command adopts it); yield its cluster."""
    if database_url:
        yield None
        return
    from backend.core.config import Settings
    from backend.core.embedded_pg import EmbeddedPostgres

    server = EmbeddedPostgres.for_data_dir(folder, Settings(data_dir=folder).pg_user)
    with server.running():
        yield server.cluster


def _postmaster_pid(cluster: Path | None) -> int | None:
    if cluster is None:
        return None
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((cluster / "postmaster.pid").read_text().splitlines()[0])
    return None


def _tidu(env: dict[str, str], folder: Path, *args: str) -> None:
    # cwd: the scratch folder, so that no .env of the checkout chooses another database.
    subprocess.run([BIN / "tidu", *args], env=env, cwd=folder, check=True, stdout=subprocess.DEVNULL)


def build(env: dict[str, str], folder: Path, firms: int) -> float:
    started = time.perf_counter()
    _tidu(env, folder, "db", "upgrade")
    _tidu(env, folder, "demo", "--if-empty", "--firms", str(firms))
    return round(time.perf_counter() - started, 1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    engine: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    startup_s: float = 0.0  # from the command to every worker up

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_counts(self) -> dict[str, int]:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        started = set(re.findall(r"Started server process \[(\d+)\]", text))
        died = set(re.findall(r"Child process \[(\d+)\] died", text))
        return {
            "workers_up": len(started - died),
            "workers_died": len(died),
            "error_lines": sum(1 for line in text.splitlines() if " ERROR " in line or "Traceback" in line),
        }


@contextlib.contextmanager
def serving(env: dict[str, str], folder: Path, engine: str) -> Iterator[Server]:
    """`tidu serve --workers 2 --no-scheduler` on a free loopback port; stopped on the way out, always."""
    port = _free_port()
    log = folder / f"serve-{engine}.log"
    command = [str(BIN / "tidu"), "serve", "--host", HOST, "--port", str(port), "--workers", str(WORKERS),
               "--no-scheduler"]  # fmt: skip
    with log.open("wb") as out:  # its own session: a Ctrl-C here reaches only us, and we stop it
        process = subprocess.Popen(command, env=env | {"TIDU_STATUS_ENGINE": engine}, cwd=folder, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    server = Server(engine, port, process, log)
    started = time.perf_counter()
    try:
        _wait_until_ready(server)
        yield dataclasses.replace(server, startup_s=round(time.perf_counter() - started, 1))
    finally:
        _stop(process)
        LOGS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, LOGS / log.name)


def _wait_until_ready(server: Server) -> None:
    """Health answered and every worker's startup complete (uvicorn replaces a worker that started slowly)."""
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(
                f"tidu serve exited ({server.process.returncode}); see {server.log}:\n{_tail(server.log)}"
            )
        counts = server.log_counts()
        with contextlib.suppress(httpx.HTTPError):
            healthy = httpx.get(f"{server.base}/api/health", timeout=5, trust_env=False).status_code == 200
            if healthy and counts["workers_up"] >= WORKERS:
                return
        time.sleep(0.5)
    raise SystemExit(f"tidu serve did not get ready within {READY_TIMEOUT:.0f} s:\n{_tail(server.log)}")


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (tidu serve stops its workers, as on Ctrl-C); SIGKILL to its whole session if it lingers."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=40)
    if process.poll() is None:  # not reaped yet: its process group is still ours
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def log_in(base: str) -> str:
    import httpx

    answer = httpx.post(f"{base}/api/auth/login", json={"username": USERNAME, "password": PASSWORD},
                        timeout=30, trust_env=False)  # fmt: skip
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def firms_in_scope(base: str, token: str) -> list[str]:
    """Every firm the city sees (its scope: the registry), page by page."""
    import httpx

    firms: list[str] = []
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60, trust_env=False
    ) as c:
        page = 1
        while True:
            answer = c.get("/api/firms", params={"size": 200, "page": page})
            answer.raise_for_status()
            found = answer.json()
            firms += [item["uscc"] for item in found["items"]]
            if not found["items"] or len(firms) >= found["total"]:
                return firms
            page += 1


def wire_bytes(port: int, path: str, token: str, *, gzip: bool) -> dict[str, Any]:
    """One response as sent: HTTP/1.1 on a raw socket, read to the close; header and body bytes."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", f"Authorization: Bearer {token}",
             "Connection: close", *(["Accept-Encoding: gzip"] if gzip else []), "", ""]  # fmt: skip
    chunks = []
    with socket.create_connection((HOST, port), timeout=REQUEST_TIMEOUT) as connection:
        connection.sendall("\r\n".join(lines).encode("ascii"))
        while chunk := connection.recv(1 << 16):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = head.decode("latin-1").lower().splitlines()
    encoding = next((h.split(":", 1)[1].strip() for h in headers if h.startswith("content-encoding:")), None)
    return {"status": int(headers[0].split()[1]), "bytes": len(raw), "header_bytes": len(head) + 4,
            "body_bytes": len(body), "content_encoding": encoding}  # fmt: skip


def body_digests(base: str, token: str, firms: list[str]) -> dict[str, str]:
    import httpx

    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60, trust_env=False
    ) as c:
        return {
            uscc: hashlib.sha256(c.get(f"/api/firms/{uscc}/status").content).hexdigest() for uscc in firms
        }


def status_year(base: str, token: str, uscc: str) -> int:
    import httpx

    answer = httpx.get(f"{base}/api/firms/{uscc}/status", headers={"Authorization": f"Bearer {token}"},
                       timeout=60, trust_env=False)  # fmt: skip
    answer.raise_for_status()
    year: int = answer.json()["year"]
    return year


def measure_engine(server: Server, folder: Path, cluster: Path | None, args: argparse.Namespace,
                   shared: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Log in, (once) list the firms in scope, warm up, then every level, each in a client process."""
    token = log_in(server.base)
    if "firms" not in shared:
        shared["firms"] = firms_in_scope(server.base, token)
        count = min(len(shared["firms"]), SAME_BODY_SAMPLE // 4 if args.quick else SAME_BODY_SAMPLE)
        shared["sample"] = sorted(random.Random(args.seed).sample(shared["firms"], count))
        shared["year"] = status_year(server.base, token, shared["sample"][0])
        shared["server_version"] = _server_version(server.base)
    levels = QUICK if args.quick else FULL
    spec = Spec(base=server.base, token=token, firms=shared["firms"], year=shared["year"],
                server_pid=server.process.pid, postgres_pid=_postmaster_pid(cluster),
                phases=[[p.path, p.users, p.seconds] for p in levels],
                warmup=[[path, 2 * WORKERS, WARMUP_SECONDS] for path in PATHS], seed=args.seed)  # fmt: skip
    spec_file = folder / f"client-{server.engine}.json"
    spec_file.write_text(json.dumps(dataclasses.asdict(spec)), encoding="utf-8")
    at_start = server.log_counts()
    started = time.perf_counter()
    phases = _run_client(spec_file, server.engine, levels)
    sample = shared["sample"][0]
    return {
        "startup_s": server.startup_s,
        "levels_s": round(time.perf_counter() - started, 1),
        "phases": phases,
        "wire": {
            "uscc": sample,
            "status_identity": wire_bytes(server.port, f"/api/firms/{sample}/status", token, gzip=False),
            "status_gzip": wire_bytes(server.port, f"/api/firms/{sample}/status", token, gzip=True),
        },
        "status_sha256": body_digests(server.base, token, shared["sample"]),
        "server_log": {"at_start": at_start, "at_end": server.log_counts()},
    }


def _server_version(base: str) -> str:
    import httpx

    version: str = httpx.get(f"{base}/api/health", timeout=30, trust_env=False).json()["server_version"]
    return version


def _git_commit() -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or None


def orchestrate(args: argparse.Namespace) -> dict[str, Any]:
    firms = args.firms or (1_000 if args.quick else 5_000)
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    engines: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tidu-load-") as scratch:
        folder = Path(scratch)
        folder.chmod(0o711)  # as root, the embedded server runs as an unprivileged account that must enter it
        env = _environment(folder, args.database_url)
        with _database(folder, args.database_url) as cluster:
            _say(f"building the demo registry ({firms:,} firms) …")
            built = build(env, folder, firms)
            for engine in ENGINES:
                _say(f"serving with TIDU_STATUS_ENGINE={engine} …")
                with serving(env, folder, engine) as server:
                    engines[engine] = measure_engine(server, folder, cluster, args, shared)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).date().isoformat(),
        "commit": _git_commit(),
        "quick": args.quick,
        "database": f"{'external (--database-url)' if args.database_url else 'embedded'} PostgreSQL "
        f"{shared['server_version']}",
        "firms": len(shared["firms"]),
        "build_seconds": built,
        "serve": f"tidu serve --workers {WORKERS} --no-scheduler",
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "run_seconds": round(time.perf_counter() - began, 1),
        "engines": engines,
        "ratios": compare(engines),
    }


def compare(engines: dict[str, Any]) -> dict[str, Any]:
    """scalar over frames per level: throughput of 200s and of every response; latencies frames over scalar."""
    frames, scalar = engines["frames"]["phases"], engines["scalar"]["phases"]
    ratios: dict[str, Any] = {}
    for name, old in frames.items():
        new = scalar[name]
        ratios[name] = {
            "ok_per_s": _ratio(new["ok_per_s"], old["ok_per_s"]),
            "responses_per_s": _ratio(new["responses_per_s"], old["responses_per_s"]),
            "p50_faster": _ratio(old["p50_ms"], new["p50_ms"]),
            "p95_faster": _ratio(old["p95_ms"], new["p95_ms"]),
        }
    digests = engines["frames"]["status_sha256"], engines["scalar"]["status_sha256"]
    ratios["same_status_bodies"] = [
        sum(digests[0][u] == digests[1].get(u) for u in digests[0]),
        len(digests[0]),
    ]
    return ratios


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


# -- the report ----------------------------------------------------------------------------------------------


def _cpu_cell(cpu: dict[str, Any]) -> str:
    def cell(value: float | None) -> str:
        return "–" if value is None else f"{value:g}"

    busy = cpu.get("machine_busy")
    return (f"{cell(cpu['client_s'])} / {cell(cpu.get('server_s'))} / {cell(cpu.get('postgres_s'))}"
            f" ({'–' if busy is None else f'{busy:.0%}'})")  # fmt: skip


def _level_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    for name in results["engines"]["frames"]["phases"]:
        for engine in ENGINES:
            p = results["engines"][engine]["phases"][name]
            lines.append(
                f"| {p['what']} | {p['users']} | {engine} | {p['seconds']:g} | {p['requests']:,} "
                f"| {p['responses_per_s']:g} | {p['ok_per_s']:g} | {p['p50_ms']} | {p['p95_ms']} | {p['p99_ms']} "
                f"| {p.get('server_p50_ms')} / {p.get('server_p95_ms')} | {_per_answer(p)} "
                f"| {p['errors_5xx']} | {p['shed_503']} | {p['other']} | {_cpu_cell(p['cpu'])} | {p['client_lag_s']:g} |"
            )
    return lines


def _ratio_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    frames, scalar = results["engines"]["frames"]["phases"], results["engines"]["scalar"]["phases"]
    for name, r in results["ratios"].items():
        if name == "same_status_bodies" or name.startswith("floor"):
            continue
        old, new = frames[name], scalar[name]
        lines.append(
            f"| {old['what']}, {_users(old['users'])} | {old['ok_per_s']:g} | {new['ok_per_s']:g} "
            f"| {_times(r['ok_per_s'])} | {old['p50_ms']} / {old['p95_ms']} | {new['p50_ms']} / {new['p95_ms']} "
            f"| {_times(r['p50_faster'])} / {_times(r['p95_faster'])} |"
        )
    return lines


def _per_answer(level: dict[str, Any]) -> str:
    """CPU each process used per answer in the window: what one request costs, whatever the load."""
    answers, cpu = level["answered_in_window"], level["cpu"]

    def cell(seconds: float | None) -> str:
        return "–" if seconds is None or not answers else f"{seconds * 1000 / answers:.1f}"

    return f"{cell(cpu['client_s'])} / {cell(cpu.get('server_s'))} / {cell(cpu.get('postgres_s'))}"


def _users(count: int) -> str:
    return f"{count} user" if count == 1 else f"{count} users"


def _times(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio}×"


def _wire_line(results: dict[str, Any]) -> str:
    def size(engine: str) -> str:
        wire = results["engines"][engine]["wire"]
        plain, gzip = wire["status_identity"], wire["status_gzip"]
        return (f"{engine}: {plain['bytes']:,} B ({plain['body_bytes']:,} body); with Accept-Encoding: gzip "
                f"{gzip['bytes']:,} B (Content-Encoding: {gzip['content_encoding'] or 'none'})")  # fmt: skip

    same = results["ratios"]["same_status_bodies"]
    return (
        f"One status response on the wire (firm {results['engines']['frames']['wire']['uscc']}): {size('frames')}; "
        f"{size('scalar')}. Status bodies byte-identical across the engines: {same[0]} of {same[1]} sampled firms."
    )


def _log_line(results: dict[str, Any]) -> str:
    parts = []
    for engine in ENGINES:
        log = results["engines"][engine]["server_log"]
        start, end = log["at_start"], log["at_end"]
        parts.append(
            f"{engine}: up in {results['engines'][engine]['startup_s']:g} s, "
            f"{start['workers_died']} worker(s) replaced while starting, "
            f"{end['workers_died'] - start['workers_died']} during the levels, {end['error_lines']} error lines"
        )
    return "Servers: " + "; ".join(parts) + f". The whole run took {results['run_seconds']:g} s."


def markdown(results: dict[str, Any]) -> str:
    run = "quick run (`--quick`), " if results["quick"] else ""
    lines = [
        f"Status load benchmark ({results['machine']}, {results['date']}, at {results['commit']}): {run}"
        f"`{results['serve']}` on {HOST} over the {results['database']}, demo registry of {results['firms']:,} firms "
        f"(built in {results['build_seconds']:g} s); city staff, a random firm in scope per request; closed loop "
        "(each user asks again as soon as it is answered); the load generator is one more process on the same "
        f"CPUs; load average 1 min {results['load_average'][0]} before, {results['load_average'][1]} after",
        "",
        "| path | users | engine | s | requests | responses/s | 200/s | p50 ms | p95 ms | p99 ms "
        "| server p50 / p95 ms | CPU ms per answer: client / server / PostgreSQL | 5xx "
        "| 503 shed | other | CPU s: client / server / PostgreSQL (machine busy) | client late s |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|",
        *_level_lines(results),
        "",
        "| level | frames 200/s | scalar 200/s | scalar/frames | frames p50 / p95 ms | scalar p50 / p95 ms "
        "| faster (p50 / p95) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *_ratio_lines(results),
        "",
        _wire_line(results),
        _log_line(results),
        "requests: started within the window, each awaited to its answer; responses/s and 200/s: answers "
        "within the window; latencies: of every request (shed ones included), as the client saw them; server: "
        "the Server-Timing of each 200 (the app's time until its answer starts, compressed, without network or "
        "client); 5xx excludes 503 with "
        "Retry-After (shed by the admission gate), counted apart; other: 4xx, transport errors and timeouts "
        f"({REQUEST_TIMEOUT:g} s); client late: how late the load generator woke at the window's end (starved "
        "of CPU; its latencies are inflated as much). Baseline: TIDU_STATUS_ENGINE=frames, measured first in the "
        "same run.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 firms and 5 s per level")
    parser.add_argument("--firms", type=int, help="demo firms (default 5,000; 1,000 with --quick)")
    parser.add_argument(
        "--database-url", help="serve this PostgreSQL database instead of the embedded server"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="which random firms the users ask for")
    parser.add_argument("--client", type=Path, help=argparse.SUPPRESS)  # a client process: the levels
    parser.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client is not None:
        client(args.client, args.engine)
        return
    # Ctrl-C (even where a shell started us with SIGINT ignored) and SIGTERM end the run: every
    # `finally` stops what it started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    try:
        results = orchestrate(args)
    except KeyboardInterrupt:
        raise SystemExit(
            "interrupted; the servers, the clients and the embedded PostgreSQL were stopped"
        ) from None
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "status.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (RESULTS / "status.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))  # noqa: T201


if __name__ == "__main__":
    main()
