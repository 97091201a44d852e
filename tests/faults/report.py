"""The trials' figures, kept in ``benchmarks/results/faults.json`` and ``faults.md`` when asked
(TIDU_FAULT_REPORT names the JSON file; `make faults` sets it). Each operation's test replaces its
own entry, under a file lock: the four may finish in different pytest-xdist workers."""

from __future__ import annotations

import fcntl
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.faults.lab import Phase

ROOT = Path(__file__).resolve().parents[2]
PHASE_TITLES = {
    Phase.mid_write: "mid-write",
    Phase.before_writes: "in its transaction, before writing",
    Phase.before_transaction: "before its transaction",
    Phase.after_commit: "after its commit",
    Phase.after_exit: "after it exited",
}


def report_path() -> Path | None:
    value = os.environ.get("TIDU_FAULT_REPORT")
    return Path(value) if value else None


def _commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                           check=False)  # fmt: skip
    return found.stdout.strip() or "unknown"


def record(path: Path, summary: dict[str, Any], setting: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        data.setdefault("operations", {})[summary["operation"]] = summary | {
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": _commit(),
            "setting": setting,
        }
        data["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        path.with_suffix(".md").write_text(markdown(data))


def markdown(data: dict[str, Any]) -> str:
    operations = data["operations"]
    lines = [
        f"kill -9 trials ({data['machine']}): each trial kills the real `tidu` command with SIGKILL, checks the",
        "database (and the export's file), runs the command again and compares the end state with a clean run's.",
        "",
        "| operation | trials | "
        + " | ".join(PHASE_TITLES.values())
        + " | consistent after the kill | re-run to the clean state | seconds |",
        "|---|---:|" + "---:|" * len(PHASE_TITLES) + "---:|---:|---:|",
    ]
    for name in ("import", "evaluate", "export", "awards"):
        if name not in operations:
            continue
        op = operations[name]
        landed = " | ".join(str(op["landed"].get(phase.value, 0)) for phase in PHASE_TITLES)
        lines.append(
            f"| `{op['command']}` | {op['trials']} | {landed} | {op['consistent_after_kill']}/{op['trials']}"
            f" | {op['reran_to_the_clean_state']}/{op['trials']} | {op['seconds']} |"
        )
    lines += ["", "Per operation: the data, a clean run, when recorded."]
    for name, op in sorted(operations.items()):
        setting = ", ".join(f"{k} {v}" for k, v in op["setting"].items())
        lines.append(
            f"- {name}: {setting}; a clean run adds {op['rows_added_by_a_clean_run']:,} rows in"
            f" {op['clean_run_seconds']} s (writing {op['clean_run_writing_seconds']} s of it);"
            f" {op['committed_before_the_kill']} killed runs had committed"
            + (
                f", {op['file_left_staged']} of them before their file was renamed into place"
                if name == "export"
                else ""
            )
            + f"; recorded {op['recorded_at']} at {op['commit']}"
        )
    return "\n".join(lines) + "\n"
