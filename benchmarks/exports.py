"""Export benchmark: 100,000-row lists written as people-ready xlsx, each path in its own process.

Two lists, the same synthetic rows (seeded) for every path:

1. 拨付清单: 10 columns including 奖励金额 (元) and its capitals, grouped by the 19 bureaus with a
   小计 after each and a 合计 at the end, plus the 清单说明 and 变动情况 sheets.
2. 资格审查报告 (eligibility): 8 columns including a long 未达标条件 text column.

For each: tidu's ``write_xlsx`` against ``pandas.DataFrame(rows).to_excel`` with the openpyxl
engine (building the DataFrame from the same row dicts is part of the baseline, as it would be in
code that used pandas). Targets: tidu ≥ 2× faster, and at most ¼ of pandas' peak memory. tidu
runs again at 50,000 rows to show its memory does not grow with rows; ``write_csv`` is measured
for reference. Both paths draw their rows from the same generator; generating them alone is
measured too, so its share is visible.

    python -m benchmarks.exports [--rows 100000] [--small-rows 50000] [--repeat 2]

Results: benchmarks/results/exports.json and exports.md (the README quotes the table).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from exports.columns import Column
from exports.document import ListDocument
from exports.manifest import ManifestInfo

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parent.parent
SEED = 2025
LISTS = ("disbursement", "eligibility")
PATHS = ("tidu", "pandas", "tidu_csv", "generate")
BUREAUS = (
    "和平区科技局",
    "河东区科技局",
    "河西区科技局",
    "南开区科技局",
    "河北区科技局",
    "红桥区科技局",
    "东丽区科技局",
    "西青区科技局",
    "津南区科技局",
    "北辰区科技局",
    "武清区科技局",
    "宝坻区科技局",
    "宁河区科技局",
    "静海区科技局",
    "蓟州区科技局",
    "滨海新区科技局",
    "开发区科技局",
    "保税区科技局",
    "高新区科技局",
)
PROGRAMS = ("雏鹰企业首次认定", "瞪羚企业首次认定", "科技领军企业培育", "高新技术企业首次认定")
CRITERIA = (
    "研发费用占营业收入比例低于3%",
    "近一年营业收入低于100万元",
    "Ⅰ类知识产权少于1项或Ⅱ类少于2项",
    "成立时间超过8年",
    "科技人员占职工总数比例低于10%",
    "存在严重失信行为记录",
    "高新技术产品（服务）收入占比低于60%",
    "未提交上一年度统计报表",
)
PRELOAD = {
    "tidu": ("exports.xlsx",),
    "tidu_csv": ("exports.csv",),
    "pandas": ("pandas", "openpyxl"),
    "generate": (),
}

DISBURSEMENT = (
    Column("seq", "序号", "int", 8),
    Column("uscc", "统一社会信用代码", "text", 22),
    Column("name", "企业名称", "text", 32),
    Column("bureau", "审查单位", "text", 16),
    Column("program", "支持项目", "text", 18),
    Column("amount", "奖励金额（元）", "yuan", 16),
    Column("amount", "大写金额", "capitals", 30),
    Column("share", "区级分担比例", "ratio", 12),
    Column("certified_on", "认定日期", "date", 12),
    Column("account", "开户银行及账号", "text", 36),
)
ELIGIBILITY = (
    Column("seq", "序号", "int", 8),
    Column("uscc", "统一社会信用代码", "text", 22),
    Column("name", "企业名称", "text", 32),
    Column("bureau", "审查单位", "text", 16),
    Column("program", "申报项目", "text", 18),
    Column("outcome", "审查结论", "text", 10),
    Column("missing", "未达标条件", "text", 60),
    Column("evaluated_at", "审查时间", "datetime", 20),
)
COLUMNS = {"disbursement": DISBURSEMENT, "eligibility": ELIGIBILITY}
TITLES = {
    "disbursement": "2025年度天津市科技型企业奖励资金拨付清单",
    "eligibility": "2025年度天津市科技型企业资格审查报告",
}


def peak_rss_mb() -> float:
    """This process's peak resident set so far (VmHWM on Linux; see benchmarks/imports.py)."""
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        return round(int(line.split()[1]) / 1024, 1)  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


# -- the rows -------------------------------------------------------------------------------------


def _firm(rng: random.Random, seq: int, bureau: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "uscc": f"91120{rng.randrange(100, 120)}MA{seq:08d}",
        "name": f"天津{rng.choice('华泰瑞宏博信德恒通盛')}{rng.choice('达源升辉新业盈腾')}科技有限公司{seq}",
        "bureau": bureau,
        "program": rng.choice(PROGRAMS),
    }


def _bureau_of(index: int, rows: int) -> str:
    """Rows arrive grouped by bureau, as the backend sorts them."""
    return BUREAUS[index * len(BUREAUS) // rows]


def disbursement_rows(rows: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(rows):
        row = _firm(rng, index + 1, _bureau_of(index, rows))
        row["amount"] = (
            rng.choice((50_000, 100_000, 200_000, 300_000, 500_000)) + rng.randrange(0, 10_000) * 10
        )
        row["share"] = rng.choice((0.3, 0.5, 0.7))
        row["certified_on"] = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        row["account"] = f"中国银行天津{rng.choice('东西南北')}支行 {rng.randrange(10**17, 10**18)}"
        yield row


def eligibility_rows(rows: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    for index in range(rows):
        row = _firm(rng, index + 1, _bureau_of(index, rows))
        missing = rng.sample(CRITERIA, rng.choice((0, 0, 1, 2, 3, 4)))
        row["outcome"] = "不符合" if missing else "符合"
        row["missing"] = "；".join(missing)
        row["evaluated_at"] = start + timedelta(seconds=rng.randrange(86_400 * 30))
        yield row


ROWS: dict[str, Callable[[int], Iterator[dict[str, Any]]]] = {
    "disbursement": disbursement_rows,
    "eligibility": eligibility_rows,
}


def document(kind: str, rows: int) -> ListDocument:
    info = ManifestInfo(
        kind=kind,
        title=TITLES[kind],
        generated_by="benchmark",
        generated_at=datetime(2025, 3, 1, 2, 0, tzinfo=UTC),
        data_cutoff=date(2025, 2, 28),
        ruleset_versions={"seedling": "2021 (0123456789ab)", "gazelle": "2022 (ba9876543210)"},
        filters={"年度": "2025"},
    )
    grouped = kind == "disbursement"
    return ListDocument(
        info=info,
        columns=COLUMNS[kind],
        rows=ROWS[kind](rows),
        group_key="bureau" if grouped else None,
        group_label="审查单位" if grouped else None,
        notes=("金额单位：元",) if grouped else (),
    )


# -- the paths (each in its own process) ----------------------------------------------------------------


def run_tidu(kind: str, rows: int, out: Path) -> dict[str, Any]:
    from exports.xlsx import write_xlsx

    with out.open("wb") as stream:
        manifest = write_xlsx(document(kind, rows), stream)
    assert manifest.row_count == rows
    return {"rows_sha256": manifest.rows_sha256}


def run_tidu_csv(kind: str, rows: int, out: Path) -> dict[str, Any]:
    from exports.csv import write_csv

    with out.open("wb") as stream:
        manifest = write_csv(document(kind, rows), stream)
    assert manifest.row_count == rows
    return {"rows_sha256": manifest.rows_sha256}


def run_pandas(kind: str, rows: int, out: Path) -> dict[str, Any]:
    """The same row dicts into a DataFrame, then to_excel with openpyxl, headers in Chinese."""
    import pandas as pd

    columns = COLUMNS[kind]
    frame = pd.DataFrame.from_records(list(ROWS[kind](rows)))
    frame = frame[[column.key for column in columns]]
    frame.columns = [column.header for column in columns]
    if "审查时间" in frame:  # Excel has no time zones: pandas refuses aware datetimes
        frame["审查时间"] = frame["审查时间"].dt.tz_localize(None)
    frame.to_excel(out, sheet_name=TITLES[kind][:31], index=False, engine="openpyxl")
    return {}


def run_generate(kind: str, rows: int, out: Path) -> dict[str, Any]:
    count = sum(1 for _ in ROWS[kind](rows))
    assert count == rows
    return {}


RUNNERS: dict[str, Callable[[str, int, Path], dict[str, Any]]] = {
    "tidu": run_tidu,
    "tidu_csv": run_tidu_csv,
    "pandas": run_pandas,
    "generate": run_generate,
}


def child(path: str, kind: str, rows: int) -> None:
    """Run one path and print one JSON line: its figures and this process's peak RSS."""
    before = peak_rss_mb()
    for module in PRELOAD[path]:
        importlib.import_module(module)
    ready = peak_rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / ("list.csv" if path == "tidu_csv" else "list.xlsx")
        started = time.perf_counter()
        figures = RUNNERS[path](kind, rows, out)
        seconds = time.perf_counter() - started
        size = out.stat().st_size if out.exists() else 0
    figures |= {
        "path": path,
        "list": kind,
        "rows": rows,
        "seconds": round(seconds, 3),
        "file_mb": round(size / 1024 / 1024, 1),
        "rss_start_mb": before,
        "rss_imported_mb": ready,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(figures, ensure_ascii=False))  # noqa: T201


def best_of(repeat: int, path: str, kind: str, rows: int) -> dict[str, Any]:
    """The fastest of ``repeat`` runs, with the highest peak RSS among them.

    The machine is shared (2 CPUs): the fastest run is the one least disturbed by other work.
    """
    runs = [measure(path, kind, rows) for _ in range(repeat)]
    best = min(runs, key=lambda run: run["seconds"])
    return best | {"peak_rss_mb": max(run["peak_rss_mb"] for run in runs), "runs": len(runs)}


def measure(path: str, kind: str, rows: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.exports",
        "--path",
        path,
        "--list",
        kind,
        "--rows",
        str(rows),
    ]
    print(f"{kind}: {path}, {rows:,} rows …", file=sys.stderr)  # noqa: T201
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {kind} {path} run failed (exit {done.returncode}); its errors are above")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the report ---------------------------------------------------------------------------------------


def compare(runs: dict[str, Any], small: dict[str, Any]) -> dict[str, Any]:
    tidu, pandas = runs["tidu"], runs["pandas"]
    added_rows = tidu["rows"] - small["rows"]
    speedup = round(pandas["seconds"] / tidu["seconds"], 1)
    memory = round(tidu["peak_rss_mb"] / pandas["peak_rss_mb"], 3)
    growth = tidu["peak_rss_mb"] - small["peak_rss_mb"]
    return {
        "speedup_over_pandas": speedup,
        "at_least_2x_faster": speedup >= 2,
        "peak_rss_over_pandas": memory,
        "at_most_quarter_memory": memory <= 0.25,
        "peak_rss_growth_mb": round(growth, 1),
        "peak_rss_growth_mb_per_10k_rows": round(growth / added_rows * 10_000, 2) if added_rows else None,
    }


def _list_lines(name: str, result: dict[str, Any], rows: str, small_rows: str) -> list[str]:
    runs, small, r = result["runs"], result["small"], result["ratios"]
    tidu, pandas, generate = runs["tidu"], runs["pandas"], runs["generate"]
    lines = [
        f"| {name}, {rows} rows × {result['columns']} columns: tidu write_xlsx ({result['what']}) "
        f"| {tidu['seconds']} s ({tidu['file_mb']} MB) | pandas DataFrame(rows).to_excel (openpyxl): "
        f"{pandas['seconds']} s ({pandas['file_mb']} MB) | {r['speedup_over_pandas']}× faster | ≥ 2× |",
        f"| {name}: peak RSS | tidu {tidu['peak_rss_mb']} MB | pandas {pandas['peak_rss_mb']} MB "
        f"| {r['peak_rss_over_pandas']:.0%} of pandas | ≤ 25% |",
        f"| {name}: tidu peak RSS, {small_rows} → {rows} rows | {small['peak_rss_mb']} MB → "
        f"{tidu['peak_rss_mb']} MB | after imports, before rows: {tidu['rss_imported_mb']} MB "
        f"| {r['peak_rss_growth_mb_per_10k_rows']} MB per 10⁴ rows | flat in rows |",
        f"| {name}: generating the rows alone (inside both figures above) | {generate['seconds']} s "
        f"| | {generate['seconds'] / tidu['seconds']:.0%} of tidu | for reference |",
    ]
    if "tidu_csv" in runs:
        csv = runs["tidu_csv"]
        lines.append(
            f"| {name}: tidu write_csv (same rows, same rows_sha256: {csv['rows_sha256'] == tidu['rows_sha256']}) "
            f"| {csv['seconds']} s ({csv['file_mb']} MB), peak RSS {csv['peak_rss_mb']} MB | | | for reference |"
        )
    return lines


def _markdown(results: dict[str, Any]) -> str:
    rows, small_rows = f"{results['rows']:,}", f"{results['small_rows']:,}"
    lines = [
        f"Export benchmark ({results['machine']}, {results['date']}): synthetic rows (seed {SEED}), each path "
        f"in its own process writing to a file, fastest of {results['repeat']} runs; peak RSS is the process's "
        "high-water mark (VmHWM), the highest of the runs; load average 1 min "
        f"{results['load_average'][0]} before, {results['load_average'][1]} after (a shared machine)",
        "",
        "| figure | value | baseline in the same run | ratio | target |",
        "|---|---|---|---|---|",
        *_list_lines("拨付清单", results["lists"]["disbursement"], rows, small_rows),
        *_list_lines("资格审查报告", results["lists"]["eligibility"], rows, small_rows),
    ]
    return "\n".join(lines) + "\n"


WHAT = {
    "disbursement": "formatted; 19 bureau 小计 + 合计 with capitals; manifest and diff sheets",
    "eligibility": "formatted, wrapped 未达标条件; manifest and diff sheets",
}


def orchestrate(rows: int, small_rows: int, repeat: int) -> dict[str, Any]:
    lists: dict[str, Any] = {}
    load_before = os.getloadavg()[0]
    for kind in LISTS:
        paths = PATHS if kind == "disbursement" else tuple(p for p in PATHS if p != "tidu_csv")
        runs = {path: best_of(repeat, path, kind, rows) for path in paths}
        small = best_of(repeat, "tidu", kind, small_rows)
        lists[kind] = {
            "columns": len(COLUMNS[kind]),
            "what": WHAT[kind],
            "runs": runs,
            "small": small,
            "ratios": compare(runs, small),
        }
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
        "rows": rows,
        "small_rows": small_rows,
        "repeat": repeat,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "lists": lists,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per path; the fastest is reported")
    parser.add_argument("--path", choices=PATHS, help=argparse.SUPPRESS)  # a child process: one path
    parser.add_argument("--list", choices=LISTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.path is not None:
        child(args.path, args.list, args.rows)
        return
    results = orchestrate(args.rows, args.small_rows, args.repeat)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "exports.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (RESULTS / "exports.md").write_text(_markdown(results), encoding="utf-8")
    print(_markdown(results))  # noqa: T201


if __name__ == "__main__":
    main()
