"""Import benchmark: one filing workbook, 100,000 firms × 25 columns, the paths side by side in one run.

1. tidu: ``import_workbook`` end to end as the API calls it (read, parse, validate, check against
   the registry, COPY, commit) in one transaction; then the same file again (a duplicate).
2. naive: ``pandas.read_excel`` (openpyxl) + ``DataFrame.to_sql`` with its defaults (SQLAlchemy 2 batches
   the INSERTs itself: 100,000 rows in ≈ 4 s; ``method="multi"`` would be ≈ 18× slower and flatter
   tidu) — target: tidu ≥ 8× faster.
3. floor: fastexcel → Arrow → asyncpg COPY of the same rows, typed, no validation, into one plain
   table — target: tidu within 2.5×. Two variants for reference: the floor with COPY of Python
   records (copy_records_to_table, the way tidu writes), and the floor into tidu's own tables (firm,
   firm_revision, filing, filing_revision with their keys, foreign keys and checks): the least any
   import must do to store the same rows in the registry's schema.

Each path runs in its own process on a freshly created database, so peak RSS is per path; tidu
and the floor run again at a smaller size, to show whether tidu's extra memory grows with rows.

    python -m benchmarks.imports [--rows 100000] [--small-rows 50000] [--skip-naive]

Needs DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server). Each workbook is generated once
into benchmarks/.cache/ (never timed). Results: benchmarks/results/imports.json and imports.md.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
CACHE = Path(__file__).parent / ".cache"
ROOT = Path(__file__).parent.parent
SEED = 2024
FORMAT_VERSION = 2  # bump when the generated workbook changes: the cache key
FISCAL_YEAR = 2024
BUREAU = "jinghai"
AREA_CODE = "120118"  # 静海区: the bureau the rows are imported for
SHEET = "申报表"
PATHS = ("tidu", "naive", "floor", "floor_records", "floor_tables", "reader")


@dataclass(frozen=True)
class Column:
    header: str  # as a bureau writes it (row 1 of the sheet)
    name: str  # the column of the floor's table
    kind: str  # uscc | text | date | year | money | count | level | bool
    sql: str  # its type there


def _columns() -> tuple[Column, ...]:
    money = (("上年营业收入", "revenue"), ("总收入", "total_income"), ("高新技术产品(服务)收入", "hitech_revenue"),
             ("研发费用", "rd_expense"), ("境内研发费用", "rd_domestic"), ("成本费用总额", "total_cost"),
             ("资产总额", "total_assets"), ("净资产", "net_assets"), ("单笔单家创投最大额", "max_single_vc"))  # fmt: skip
    counts = (("职工总数", "employees"), ("科技人员数", "tech_staff"), ("I类知识产权数(有效)", "ip_class1"),
              ("II类知识产权数(有效)", "ip_class2"), ("科技成果转化数", "tech_transformations"))  # fmt: skip
    levels = (("大赛获奖级别", "contest_level"), ("科技奖励级别", "st_award_level"),
              ("研发机构级别", "rd_institution_level"), ("科技计划项目级别", "project_level"))  # fmt: skip
    flags = (("科研严重失信", "research_misconduct"), ("经营异常名录", "abnormal_operation"),
             ("严重违法失信名单", "serious_violation"))  # fmt: skip
    return (
        Column("统一社会信用代码", "uscc", "uscc", "text"),
        Column("企业名称", "name", "text", "text"),
        Column("注册日期", "registered_on", "date", "date"),
        Column("会计年度", "fiscal_year", "year", "integer"),
        *(Column(f"{header}（万元）", name, "money", "numeric(16,2)") for header, name in money),
        *(Column(header, name, "count", "integer") for header, name in counts),
        *(Column(header, name, "level", "text") for header, name in levels),
        *(Column(header, name, "bool", "boolean") for header, name in flags),
    )


COLUMNS = _columns()
STAGES = {  # the stages import_workbook announces through on_stage, as this report names them
    "读取工作簿": "parse the workbook (读取工作簿)",
    "核对登记库": "check against the registry, store run + file + issues (核对登记库)",
    "写入": "write firms and filings: COPY (写入)",
}


def peak_rss_mb() -> float:
    """This process's peak resident set so far.

    Linux: VmHWM, the high-water mark of this program's own memory. ru_maxrss is no use in a child:
    Linux carries it across fork and exec, so a child reports at least its parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        return round(int(line.split()[1]) / 1024, 1)  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)  # bytes on macOS


# -- the workbook -------------------------------------------------------------------------------


def workbook_path(rows: int) -> Path:
    return CACHE / f"filings-{rows}-seed{SEED}-v{FORMAT_VERSION}.xlsx"


def ensure_workbook(rows: int) -> Path:
    """The cached workbook of ``rows`` firms, generated first if missing (written, then renamed)."""
    path = workbook_path(rows)
    if path.exists():
        return path
    _check_headers()
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    started = time.perf_counter()
    _write_workbook(partial, rows)
    partial.rename(path)
    print(f"generated {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)  # noqa: T201
    return path


def _check_headers() -> None:
    """Every header lands on its own filing field, money in 万元 — else the benchmark measures nothing."""
    from importers.headers import match_header

    fields = set()
    for column in COLUMNS:
        match = match_header(column.header)
        assert match.spec is not None, column.header
        assert column.kind != "money" or match.unit == 10_000, column.header
        fields.add(match.spec.field)
    assert len(fields) == len(COLUMNS), "two headers map to one field"


def credit_codes(rows: int, first: int = 1) -> list[str]:
    """Distinct valid 统一社会信用代码 of enterprises registered in 静海区."""
    from importers.uscc import check_char

    codes = []
    for number in range(first, first + rows):
        first17 = f"91{AREA_CODE}{number:09d}"
        codes.append(first17 + check_char(first17))
    return codes


def firm_names(rows: int) -> list[str]:
    """Distinct names: brand (two characters) × trade × legal form, numbered only past the combinations."""
    brands = [a + b for a in "华泰瑞宏博信德恒通盛鑫汇海嘉祥科创智远中天金万正东方联合新北南永明光国云"
              for b in "达源升辉新业盈腾安和兴隆昌富康泽润丰宇航力诚邦威美佳星峰景晟晨睿杰鼎锐博昊"]  # fmt: skip
    trades = ["科技", "信息技术", "生物医药", "新材料", "智能装备", "电子", "环保科技", "新能源", "软件", "精密机械",
              "自动化", "医疗器械", "网络科技", "数据科技", "化工", "光电", "检测技术", "航空科技", "海洋科技", "仪器"]  # fmt: skip
    forms = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
    combinations = len(brands) * len(trades) * len(forms)
    names = []
    for i in range(rows):
        brand, rest = brands[i % len(brands)], i // len(brands)
        trade, form = trades[rest % len(trades)], forms[(rest // len(trades)) % len(forms)]
        names.append(f"天津{brand}{trade}{form}{'' if i < combinations else i // combinations}")
    return names


def _money(rng: np.random.Generator, base: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.round(base * rng.uniform(low, high, len(base)), 2)


def figure_values(rows: int, seed: int = SEED) -> dict[str, list[Any]]:
    """Each figure column's values in 万元, heads and labels, consistent within a row (seeded)."""
    rng = np.random.default_rng(seed)
    revenue = np.round(rng.lognormal(np.log(1_000), 1.4, rows), 2)
    rd_expense = _money(rng, revenue, 0.02, 0.12)
    total_assets = _money(rng, revenue, 0.5, 3.0)
    employees = (rng.lognormal(3.4, 0.8, rows) + 3).astype(np.int64)
    venture = np.where(rng.random(rows) < 0.15, np.round(rng.lognormal(np.log(500), 1.0, rows), 2), 0.0)
    levels, shares = np.array(["国家级", "省部级", "无"]), [0.02, 0.08, 0.90]
    values: dict[str, np.ndarray] = {
        "revenue": revenue, "total_income": _money(rng, revenue, 1.0, 1.2),
        "hitech_revenue": _money(rng, revenue, 0.3, 0.9), "rd_expense": rd_expense,
        "rd_domestic": np.floor(rd_expense * rng.uniform(0.8, 1.0, rows) * 100) / 100,
        "total_cost": _money(rng, revenue, 0.6, 1.1), "total_assets": total_assets,
        "net_assets": _money(rng, total_assets, -0.2, 0.8), "max_single_vc": venture,
        "employees": employees, "tech_staff": (employees * rng.uniform(0.1, 0.6, rows)).astype(np.int64),
        "ip_class1": rng.poisson(0.5, rows), "ip_class2": rng.poisson(3.0, rows),
        "tech_transformations": rng.poisson(2.0, rows),
    }  # fmt: skip
    for column in COLUMNS:
        if column.kind == "level":
            values[column.name] = rng.choice(levels, rows, p=shares)
        elif column.kind == "bool":
            values[column.name] = np.where(rng.random(rows) < 0.01, "是", "否")
    return {name: array.tolist() for name, array in values.items()}


def registration_dates(rows: int, seed: int = SEED) -> list[date]:
    rng = np.random.default_rng(seed + 1)
    first, last = date(2005, 1, 1), date(FISCAL_YEAR, 6, 30)
    offsets = rng.integers(0, (last - first).days + 1, rows)
    return [first + timedelta(days=int(days)) for days in offsets]


def workbook_rows(rows: int) -> Iterator[tuple[list[Any], date, list[Any]]]:
    """Each row as (code and name, registration date, year and figures) — the date is written apart."""
    figures = figure_values(rows)
    names = [c.name for c in COLUMNS if c.kind in ("money", "count", "level", "bool")]
    columns = [figures[name] for name in names]
    years = [FISCAL_YEAR] * rows
    identity = zip(credit_codes(rows), firm_names(rows), strict=True)
    for (code, name), day, year, row in zip(
        identity, registration_dates(rows), years, zip(*columns, strict=True), strict=True
    ):
        yield [code, name], day, [year, *row]


def _write_workbook(path: Path, rows: int) -> None:
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet(SHEET)
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, [c.header for c in COLUMNS], bold)
    for excel_row, (identity, registered, figures) in enumerate(workbook_rows(rows), start=1):
        sheet.write_row(excel_row, 0, identity)
        sheet.write_datetime(excel_row, 2, registered, day)
        sheet.write_row(excel_row, 3, figures)
    book.close()


# -- the paths, each in its own process ------------------------------------------------------------


def run_tidu(workbook: Path, url: str, rows: int) -> dict[str, Any]:
    return asyncio.run(_tidu(workbook, url, rows))


async def _tidu(workbook: Path, url: str, rows: int) -> dict[str, Any]:
    from sqlalchemy import text

    from backend.core.config import Settings
    from backend.core.db import make_engine, make_session_factory

    engine = make_engine(url, Settings(database_url=url), role="bench")
    factory = make_session_factory(engine)
    try:
        async with engine.connect() as connection:  # a warm pool, as the API's is
            await connection.execute(text("SELECT 1"))
        first = await _timed_import(factory, workbook)
        again = await _timed_import(factory, workbook)
        async with engine.connect() as connection:
            stored = (await connection.execute(text("SELECT count(*) FROM filing_revision"))).scalar_one()
    finally:
        await engine.dispose()
    _check_tidu(first, again, stored, rows)
    return {
        "seconds": first["seconds"],
        "stages": first["stages"],
        "duplicate_seconds": again["seconds"],
        "counts": first["counts"],
        "filing_revisions_stored": stored,
    }


async def _timed_import(factory: Any, workbook: Path) -> dict[str, Any]:
    """One import in one transaction, timed from reading the file to the commit done, stage by stage."""
    from backend.core.db import transaction
    from backend.core.security import Actor
    from backend.imports.service import import_workbook

    actor = Actor.command_line("bench")
    marks: list[tuple[str, float]] = [("read the file", time.perf_counter())]
    content = await asyncio.to_thread(workbook.read_bytes)
    marks.append(("hash, lock, reference data, duplicate check", time.perf_counter()))
    async with transaction(factory) as session:
        outcome = await import_workbook(
            session, actor, kind="filings", content=content, file_name="bench.xlsx", bureau=BUREAU, commit=True,
            on_stage=lambda stage: marks.append((STAGES.get(stage, stage), time.perf_counter())),
        )  # fmt: skip
        marks.append(("commit", time.perf_counter()))
    done = time.perf_counter()
    ends = [t for _, t in marks[1:]] + [done]
    return {
        "seconds": round(done - marks[0][1], 3),
        "stages": [[name, round(end - start, 3)] for (name, start), end in zip(marks, ends, strict=True)],
        "status": outcome.run.status,
        "counts": dict(outcome.run.counts),
    }


def _check_tidu(first: dict[str, Any], again: dict[str, Any], stored: int, rows: int) -> None:
    """A benchmark that silently imported nothing would lie: every row must be in, the rerun a duplicate."""
    counts = first["counts"]
    expected = {"new_firms": rows, "new_revisions": rows, "errors": 0}
    wrong = {k: counts.get(k) for k, v in expected.items() if counts.get(k) != v}
    if first["status"] != "committed" or wrong or stored != rows:
        raise SystemExit(
            f"tidu's import is not what was measured: {first['status']}, {counts}, {stored} stored"
        )
    if again["status"] != "duplicate":
        raise SystemExit(f"the second import of the same file was {again['status']}, not a duplicate")


def run_naive(workbook: Path, url: str, rows: int) -> dict[str, Any]:
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(_driver_url(url, "postgresql+psycopg"))
    try:
        with engine.connect() as connection:  # connected before the clock starts, as the others
            connection.execute(text("SELECT 1"))
        started = time.perf_counter()
        frame = pd.read_excel(workbook, engine="openpyxl")
        read = time.perf_counter()
        frame.to_sql("naive_filing", engine, index=False, if_exists="replace")
        done = time.perf_counter()
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM naive_filing")).scalar_one()
    finally:
        engine.dispose()
    if stored != rows:
        raise SystemExit(f"the naive path stored {stored} rows, not {rows}")
    return {"seconds": round(done - started, 3), "read_seconds": round(read - started, 3),
            "write_seconds": round(done - read, 3)}  # fmt: skip


def run_reader(workbook: Path, url: str, rows: int) -> dict[str, Any]:
    """tidu's reader alone (calamine, every cell as a Python value): the memory any tidu import needs first."""
    from importers.workbook import read_workbook

    started = time.perf_counter()
    book = read_workbook(workbook.read_bytes())
    done = time.perf_counter()
    if len(book.sheets[0].rows) != rows + 1:
        raise SystemExit(f"the reader read {len(book.sheets[0].rows)} rows, not {rows + 1}")
    return {"seconds": round(done - started, 3)}


def run_floor(workbook: Path, url: str, rows: int) -> dict[str, Any]:
    return asyncio.run(_floor(workbook, url, rows, records=False))


def run_floor_records(workbook: Path, url: str, rows: int) -> dict[str, Any]:
    return asyncio.run(_floor(workbook, url, rows, records=True))


async def _floor(workbook: Path, url: str, rows: int, *, records: bool) -> dict[str, Any]:
    """fastexcel → Arrow, typed; then COPY, as CSV (the floor) or as Python records (tidu's way)."""
    import asyncpg

    names = [c.name for c in COLUMNS]
    connection = await asyncpg.connect(_driver_url(url, "postgresql"))
    try:
        await connection.execute(
            f"CREATE TABLE floor_filing ({', '.join(f'{c.name} {c.sql}' for c in COLUMNS)})"
        )
        started = time.perf_counter()
        table = typed_sheet(await asyncio.to_thread(workbook.read_bytes))
        source = as_records(table) if records else as_csv(table)
        read = time.perf_counter()
        async with connection.transaction():
            if isinstance(source, list):
                await connection.copy_records_to_table("floor_filing", records=source, columns=names)
            else:
                await connection.copy_to_table("floor_filing", source=source, columns=names, format="csv")
        done = time.perf_counter()
        stored = await connection.fetchval("SELECT count(*) FROM floor_filing")
    finally:
        await connection.close()
    if stored != rows:
        raise SystemExit(f"the floor stored {stored} rows, not {rows}")
    return {"seconds": round(done - started, 3), "read_seconds": round(read - started, 3),
            "write_seconds": round(done - read, 3)}  # fmt: skip


def run_floor_tables(workbook: Path, url: str, rows: int) -> dict[str, Any]:
    return asyncio.run(_floor_tables(workbook, url, rows))


async def _floor_tables(workbook: Path, url: str, rows: int) -> dict[str, Any]:
    """fastexcel → Arrow → records of tidu's four tables, ids numbered here; COPY each in one transaction."""
    import asyncpg

    from backend.imports.service import FILING_COLUMNS, FIRM_COLUMNS, FIRM_REVISION_COLUMNS, REVISION_COLUMNS

    connection = await asyncpg.connect(_driver_url(url, "postgresql"))
    try:
        run_id = await connection.fetchval(  # the run the rows come from, as tidu's import makes one
            "INSERT INTO import_run (kind, file_name, sha256, status, source, actor_label, file_size, counts, "
            "duration_ms, created_at) VALUES ('filings', 'bench.xlsx', '', 'committed', 'cli', 'bench', 0, '{}', 0, "
            "now()) RETURNING id"
        )
        started = time.perf_counter()
        table = typed_sheet(await asyncio.to_thread(workbook.read_bytes))
        tables = registry_records(table, run_id)
        read = time.perf_counter()
        async with connection.transaction():
            for name, columns in (("firm", FIRM_COLUMNS), ("firm_revision", FIRM_REVISION_COLUMNS),
                                  ("filing", FILING_COLUMNS), ("filing_revision", REVISION_COLUMNS)):  # fmt: skip
                await connection.copy_records_to_table(name, records=tables[name], columns=list(columns))
        done = time.perf_counter()
        stored = await connection.fetchval("SELECT count(*) FROM filing_revision")
    finally:
        await connection.close()
    if stored != rows:
        raise SystemExit(f"the floor into tidu's tables stored {stored} rows, not {rows}")
    return {"seconds": round(done - started, 3), "read_seconds": round(read - started, 3),
            "write_seconds": round(done - read, 3)}  # fmt: skip


def registry_records(table: Any, run_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """The typed sheet as rows of firm, firm_revision, filing and filing_revision (money in 元, levels as codes)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from backend.imports.repository import FIGURES
    from importers.headers import match_header

    now = datetime.now(UTC)
    by_field: dict[str, list[Any]] = {}
    for column, array in zip(COLUMNS, table.columns, strict=True):
        spec = match_header(column.header).spec
        assert spec is not None
        if column.kind == "money":  # 万元 → 元, exactly
            array = pc.multiply(
                pc.round(array, 2).cast(pa.decimal128(16, 2)), pa.scalar(10_000, pa.decimal128(6, 0))
            )
        values = array.to_pylist()
        if column.kind == "level":
            values = [spec.choices.get(v) for v in values]
        by_field[spec.field] = values
    count = table.num_rows
    ids = range(1, count + 1)
    codes, names, registered = by_field["uscc"], by_field["name"], by_field["registered_on"]
    figures = list(zip(*(by_field.get(name, [None] * count) for name in FIGURES), strict=True))
    origin = ("import", run_id, SHEET)
    return {
        "firm": [(i, code, "valid", name, BUREAU, AREA_CODE, None, day, 1, now, now)
                 for i, code, name, day in zip(ids, codes, names, registered, strict=True)],
        "firm_revision": [(i, 1, name, None, BUREAU, AREA_CODE, None, day, None, *origin, i + 1, None, now)
                          for i, name, day in zip(ids, names, registered, strict=True)],
        "filing": [(i, i, year, 1, now, now) for i, year in zip(ids, by_field["fiscal_year"], strict=True)],
        "filing_revision": [(i, 1, *row, *origin, i + 1, None, now) for i, row in zip(ids, figures, strict=True)],
    }  # fmt: skip


def typed_sheet(content: bytes) -> Any:
    """The first sheet through fastexcel (calamine → Arrow), each column cast in Arrow to its SQL type."""
    import fastexcel
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    sheet = fastexcel.read_excel(content).load_sheet(0).to_arrow()
    types = {"date": pa.date32(), "year": pa.int32(), "count": pa.int64()}
    arrays = []
    for column, array in zip(COLUMNS, sheet.columns, strict=True):
        if column.kind == "bool":
            arrays.append(pc.equal(array, "是"))
        else:
            arrays.append(array.cast(types[column.kind]) if column.kind in types else array)
    return pa.table(arrays, names=[c.name for c in COLUMNS])


def as_csv(table: Any) -> io.BytesIO:
    """The table as CSV text (written by Arrow in C++), for COPY … FROM STDIN (FORMAT csv)."""
    import pyarrow.csv as arrow_csv  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    arrow_csv.write_csv(table, buffer, arrow_csv.WriteOptions(include_header=False))
    buffer.seek(0)
    return buffer


def as_records(table: Any) -> list[tuple[Any, ...]]:
    """The table as Python tuples for copy_records_to_table; money as Decimal (asyncpg's floats are slow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column, array in zip(COLUMNS, table.columns, strict=True):
        if column.kind == "money":  # exactly the two decimals written
            array = pc.round(array, 2).cast(pa.decimal128(16, 2), safe=False)
        columns.append(array.to_pylist())
    return list(zip(*columns, strict=True))


def _driver_url(url: str, scheme: str) -> str:
    from backend.core.config import libpq_url

    return scheme + libpq_url(url).removeprefix("postgresql")


# What each path imports lazily, imported before its clock starts (tidu's modules are imported before too).
PRELOAD = {
    "tidu": ("backend.imports.service",),
    "naive": ("pandas", "openpyxl", "sqlalchemy"),
    "floor": ("fastexcel", "pyarrow.compute", "pyarrow.csv", "asyncpg"),
    "floor_records": ("fastexcel", "pyarrow.compute", "asyncpg"),
    "floor_tables": ("fastexcel", "pyarrow.compute", "asyncpg", "backend.imports.service"),
    "reader": ("backend.imports.service",),
}
RUNNERS: dict[str, Callable[[Path, str, int], dict[str, Any]]] = {
    "tidu": run_tidu,
    "naive": run_naive,
    "floor": run_floor,
    "floor_records": run_floor_records,
    "floor_tables": run_floor_tables,
    "reader": run_reader,
}


def child(path: str, rows: int, url: str) -> None:
    """Run one path and print one JSON line: its figures and this process's peak RSS."""
    workbook = workbook_path(rows)
    if not workbook.exists():
        raise SystemExit(f"{workbook} is missing: run the benchmark without --path first")
    before = peak_rss_mb()
    for module in PRELOAD[path]:
        importlib.import_module(module)
    ready = peak_rss_mb()
    figures = RUNNERS[path](workbook, url, rows)
    figures |= {"path": path, "rows": rows, "rss_start_mb": before, "rss_imported_mb": ready,
                "peak_rss_mb": peak_rss_mb()}  # fmt: skip
    print(json.dumps(figures, ensure_ascii=False))  # noqa: T201


# -- the parent: fresh databases, one process per path -------------------------------------------------


def measure(path: str, rows: int, server: str) -> dict[str, Any]:
    """``path`` over the ``rows`` workbook in a child process, on a database created for it and dropped."""
    from backend.cli import upgrade_database
    from backend.core.config import Settings, asyncpg_url
    from tests.support import drop_database, recreate_database

    name = f"tidu_bench_imports_{path}_{rows}"
    url = asyncpg_url(recreate_database(server, name))
    try:
        if path in ("tidu", "floor_tables"):
            asyncio.run(upgrade_database(url, Settings(database_url=url)))
        flags = ["--path", path, "--rows", str(rows), "--database", url]
        command = [sys.executable, "-m", "benchmarks.imports", *flags]
        print(f"{path}, {rows:,} rows …", file=sys.stderr)  # noqa: T201
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    finally:
        drop_database(server, name)
    if done.returncode != 0:
        raise SystemExit(f"the {path} run failed (exit {done.returncode}); its errors are above")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(main: dict[str, dict[str, Any]], small: dict[str, dict[str, Any]]) -> dict[str, Any]:
    tidu, floor, naive, records = main["tidu"], main["floor"], main.get("naive"), main.get("floor_records")
    tables = main.get("floor_tables")
    extra = tidu["peak_rss_mb"] - floor["peak_rss_mb"]
    extra_small = small["tidu"]["peak_rss_mb"] - small["floor"]["peak_rss_mb"]
    added_rows = tidu["rows"] - small["tidu"]["rows"]
    beyond_reader = tidu["peak_rss_mb"] - main["reader"]["peak_rss_mb"]
    beyond_reader_small = small["tidu"]["peak_rss_mb"] - small["reader"]["peak_rss_mb"]
    ratios: dict[str, Any] = {
        "tidu_over_floor": round(tidu["seconds"] / floor["seconds"], 2),
        "duplicate_speedup": round(tidu["seconds"] / tidu["duplicate_seconds"], 1),
        "extra_rss_mb": round(extra, 1),
        "extra_rss_small_mb": round(extra_small, 1),
        "extra_rss_mb_per_10k_rows": round((extra - extra_small) / added_rows * 10_000, 1)
        if added_rows
        else None,
        "beyond_reader_mb": round(beyond_reader, 1),
        "beyond_reader_small_mb": round(beyond_reader_small, 1),
        "beyond_reader_mb_per_10k_rows": round((beyond_reader - beyond_reader_small) / added_rows * 10_000, 1)
        if added_rows
        else None,
    }
    ratios["within_2_5x_of_floor"] = ratios["tidu_over_floor"] <= 2.5
    if records is not None:
        ratios["tidu_over_floor_records"] = round(tidu["seconds"] / records["seconds"], 2)
    if tables is not None:
        ratios["tidu_over_floor_tables"] = round(tidu["seconds"] / tables["seconds"], 2)
        ratios["within_2_5x_of_floor_tables"] = ratios["tidu_over_floor_tables"] <= 2.5
    if naive is not None:
        ratios["naive_over_tidu"] = round(naive["seconds"] / tidu["seconds"], 1)
        ratios["at_least_8x_naive"] = ratios["naive_over_tidu"] >= 8
    return ratios


def _speed_lines(results: dict[str, Any]) -> list[str]:
    runs, r, rows = results["runs"], results["ratios"], f"{results['rows']:,}"
    tidu, floor, naive, records = runs["tidu"], runs["floor"], runs.get("naive"), runs.get("floor_records")
    tables = runs.get("floor_tables")
    lines = []
    if naive is not None:
        lines.append(
            f"| tidu import end to end, {rows} rows (read, parse, validate, write, commit) | {tidu['seconds']} s "
            f"| naive: pandas.read_excel (openpyxl) {naive['read_seconds']} s + to_sql {naive['write_seconds']} s "
            f"= {naive['seconds']} s | {r['naive_over_tidu']}× faster | ≥ 8× |"
        )
    lines.append(
        f"| tidu import end to end, {rows} rows | {tidu['seconds']} s | floor: fastexcel → Arrow → CSV "
        f"{floor['read_seconds']} s + asyncpg COPY {floor['write_seconds']} s = {floor['seconds']} s "
        f"| {r['tidu_over_floor']}× | ≤ 2.5× |"
    )
    if records is not None:
        lines.append(
            f"| tidu import end to end, {rows} rows | {tidu['seconds']} s | the floor with COPY of Python records "
            f"(copy_records_to_table, as tidu writes): {records['read_seconds']} s + {records['write_seconds']} s "
            f"= {records['seconds']} s | {r['tidu_over_floor_records']}× | for reference |"
        )
    if tables is not None:
        lines.append(
            f"| tidu import end to end, {rows} rows | {tidu['seconds']} s | the floor into tidu's own tables (firm, "
            f"firm_revision, filing, filing_revision; keys, foreign keys, checks): {tables['read_seconds']} s + "
            f"COPY {tables['write_seconds']} s = {tables['seconds']} s | {r['tidu_over_floor_tables']}× | ≤ 2.5× |"
        )
    for name, seconds in tidu["stages"]:
        lines.append(f"| … of which {name} | {seconds} s | | {seconds / tidu['seconds']:.0%} of tidu | |")
    lines.append(
        f"| the same file again (recognised as a duplicate) | {tidu['duplicate_seconds']} s | first import "
        f"{tidu['seconds']} s | {r['duplicate_speedup']}× faster | near-instant |"
    )
    return lines


def _memory_lines(results: dict[str, Any]) -> list[str]:
    runs, small, r = results["runs"], results["small"], results["ratios"]
    rows, small_rows = f"{results['rows']:,}", f"{results['small_rows']:,}"
    others = "; ".join(f"{path} {runs[path]['peak_rss_mb']} MB" for path in PATHS[1:] if path in runs)
    return [
        f"| peak RSS, {rows} rows | tidu {runs['tidu']['peak_rss_mb']} MB | {others} "
        f"| tidu − floor = {r['extra_rss_mb']} MB (after imports, before reading: tidu "
        f"{runs['tidu']['rss_imported_mb']} MB, floor {runs['floor']['rss_imported_mb']} MB) | reported |",
        f"| tidu's peak RSS beyond the floor's, {small_rows} → {rows} rows | {r['extra_rss_small_mb']} MB → "
        f"{r['extra_rss_mb']} MB | peaks at {small_rows}: tidu {small['tidu']['peak_rss_mb']} MB, floor "
        f"{small['floor']['peak_rss_mb']} MB | {r['extra_rss_mb_per_10k_rows']} MB per 10⁴ rows "
        "| not linear in rows |",
        f"| tidu's peak RSS beyond its own reader's (calamine, every cell a Python value), {small_rows} → {rows} "
        f"rows | {r['beyond_reader_small_mb']} MB → {r['beyond_reader_mb']} MB | reader alone: "
        f"{small['reader']['peak_rss_mb']} MB → {runs['reader']['peak_rss_mb']} MB "
        f"| {r['beyond_reader_mb_per_10k_rows']} MB per 10⁴ rows | not linear in rows |",
    ]


def _markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Import benchmark ({results['machine']}, {results['date']}): one .xlsx, {results['rows']:,} firms × "
        f"{results['columns']} columns ({results['workbook_mb']} MB); each path in its own process on a fresh "
        "database; peak RSS is the process's high-water mark (VmHWM)",
        "",
        "| figure | value | baseline in the same run | ratio | target |",
        "|---|---|---|---|---|",
        *_speed_lines(results),
        *_memory_lines(results),
    ]
    return "\n".join(lines) + "\n"


def orchestrate(rows: int, small_rows: int, *, naive: bool) -> dict[str, Any]:
    from tests.support import server_url

    server = server_url()
    if server is None:
        raise SystemExit("the import benchmark needs DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server)")
    workbook = ensure_workbook(rows)
    ensure_workbook(small_rows)
    main_paths = [p for p in PATHS if naive or p != "naive"]
    main = {path: measure(path, rows, server) for path in main_paths}
    small = {path: measure(path, small_rows, server) for path in ("tidu", "floor", "reader")}
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
        "rows": rows,
        "small_rows": small_rows,
        "columns": len(COLUMNS),
        "workbook_mb": round(workbook.stat().st_size / 1024 / 1024, 1),
        "runs": main,
        "small": small,
        "ratios": compare(main, small),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small-rows", type=int, default=50_000)
    parser.add_argument("--skip-naive", action="store_true", help="leave out the slow naive path")
    parser.add_argument("--path", choices=PATHS, help=argparse.SUPPRESS)  # a child process: one path
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.path is not None:
        child(args.path, args.rows, args.database)
        return
    results = orchestrate(args.rows, args.small_rows, naive=not args.skip_naive)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "imports.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (RESULTS / "imports.md").write_text(_markdown(results), encoding="utf-8")
    print(_markdown(results))  # noqa: T201


if __name__ == "__main__":
    main()
