"""Peak memory while reading hostile files: each is read by parse_filings in a process of its own,
after it has read a small valid workbook of the same kind and loaded the hostile bytes; its peak
resident set while reading (VmHWM, restarted just before) is compared with what was resident then.

Every file here once drove a reader far beyond the bound (gigabytes, or a process killed by a
failed allocation of petabytes): refused or read, each must now stay within MAX_PEAK_MB above
idle, and give what it took back. The child runs under an address-space limit, so a regression
fails the test instead of swapping the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.importers import hostile as h
from tests.importers import workbooks as wb

MAX_PEAK_MB = 300
MAX_KEPT_MB = 100
ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import gc, json, resource, sys
from pathlib import Path

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

from importers.errors import ImportRejected
from importers.filings import Reference, parse_filings

def parse(content):
    try:
        return {"rows": parse_filings(content, Reference((), {}, {})).rows_read}
    except ImportRejected as rejected:
        return {"refused": rejected.message}

warm = parse(Path(sys.argv[1]).read_bytes())
assert "rows" in warm, warm
content = Path(sys.argv[2]).read_bytes()
gc.collect()
try:  # start the high-water mark afresh at what is resident now (Linux ≥ 4.0)
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass  # then the high-water mark includes the warm-up, which only makes the bound looser
idle = status("VmRSS")
resource.setrlimit(resource.RLIMIT_AS, (status("VmSize") + 3 * 1024**3, resource.RLIM_INFINITY))
outcome = parse(content)
peak = max(status("VmHWM"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 * (not Path("/proc/self/clear_refs").exists()))
gc.collect()
outcome.update(idle_mb=idle / 2**20, peak_mb=(peak - idle) / 2**20, kept_mb=(status("VmRSS") - idle) / 2**20)
print(json.dumps(outcome, ensure_ascii=False))
"""


def valid(kind: str) -> bytes:
    rows = [h.FILING_HEADER, *h.FIRMS]
    if kind == "xls":
        return wb.xls(rows)
    if kind == "ods":
        return wb.ods(rows)
    if kind == "csv":
        return wb.csv_file(rows, "utf-8")
    return wb.xlsx_rows(rows)


def real_rows(count: int) -> bytes:
    """The filing header over ``count`` numbered rows: only a row limit refuses it."""
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>{n - 1}</v></c></row>' for n in range(2, count + 2))
    return h.with_sheet([(h.SHEET_HEAD + h.rows_xml([h.FILING_HEADER]) + body.encode() + h.SHEET_TAIL, 1)])


ODS_SPACE_DOWN = (
    '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="5"/>'
    '<table:table-cell office:value-type="string"><text:p> </text:p></table:table-cell></table:table-row>'
)
ODS_WIDE = (
    '<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="16384"'
    ' office:value-type="float" office:value="1"/></table:table-row>'
)

# id → (builder, kind of the warm-up file, what the reader must say: "refused: <start>" or a row count)
CASES: dict[str, tuple[Callable[[], bytes], str, str | int]] = {
    "zip-lying-about-1gb": (
        lambda: h.lying_xlsx(1024),
        "xlsx",
        "refused: 工作簿内部文件 xl/worksheets/sheet1.xml",
    ),
    "zip-ratio-bomb": (
        lambda: wb.zip_bomb_xlsx([h.FILING_HEADER], 100 * h.MB),
        "xlsx",
        "refused: 工作簿内部文件",
    ),
    "sheet-of-1gb-honest": (lambda: h.honest_sheet_bomb(1024), "xlsx", "refused: 工作簿"),
    "shared-strings-250mb": (
        lambda: h.shared_strings_xlsx([h.text_items(250)]),
        "xlsx",
        "refused: 工作簿中的文字",
    ),
    "shared-strings-count-lie": (
        lambda: h.shared_strings_xlsx([], "99999999999"),
        "xlsx",
        "refused: 工作簿内部文件",
    ),
    "nested-zip-bomb": (h.nested_bomb_xlsx, "xlsx", 4),
    "590-sheets": (
        lambda: h.many_sheets_xlsx(590, 850, 20),
        "xlsx",
        "refused: 工作簿含 590 个工作表，超过上限 50 个",
    ),
    "space-in-F1048576": (lambda: h.far_shared_space("F1048576"), "xlsx", 4),
    "space-in-XFD1048576": (lambda: h.far_space("XFD1048576"), "xlsx", 4),
    "space-in-XFD1048576-tab-separated": (
        lambda: h.far_cell(f'<row r="1048576"><c\tr="XFD1048576" t="inlineStr">{h.SPACE}</c></row>'),
        "xlsx",
        "refused: 工作表“申报表”的数据区域过大",  # positions read element by element: measured, not rewritten
    ),
    "space-in-F1048576-row-attributes-reordered": (
        lambda: h.far_cell(f'<row spans="6:6" r="1048576"><c r="F1048576" t="inlineStr">{h.SPACE}</c></row>'),
        "xlsx",
        "refused: 工作表“申报表”的数据区域过大（1048576 行 × 6 列，但只有 5 行有内容）",
    ),
    "text-in-XFD1048576-prefixed": (
        lambda: h.far_cell(
            '<x:row r="1048576"><x:c r="XFD1048576" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>'
        ),
        "xlsx",
        "refused: 工作表“申报表”的列数超过 300 列",
    ),
    "text-in-F1048576": (
        lambda: h.far_cell('<row r="1048576"><c r="F1048576" t="inlineStr"><is><t>x</t></is></c></row>'),
        "xlsx",
        "refused: 工作表“申报表”的数据区域过大（1048576 行 × 6 列，但只有 6 行有内容）",
    ),
    "row-number-of-5000-digits": (
        lambda: h.far_cell(f'<row r="{"9" * 5000}"><c r="F{"9" * 5000}"><v>1</v></c></row>'),
        "xlsx",
        "refused: 工作表“申报表”的数据区域过大（1048576 行 × 6 列，但只有 6 行有内容）",
    ),
    "a-million-merged-ranges": (
        lambda: h.merged_ranges(1_000_000),
        "xlsx",
        "refused: 工作表“申报表”中的合并单元格过多（1000000 处，上限 100000 处）",
    ),
    "too-many-real-rows": (lambda: real_rows(300_100), "xlsx", "refused: 工作表“申报表”数据行过多"),
    "xls-space-in-IV65536": (lambda: h.xls_with({(65535, 255): " "}), "xls", 4),
    "xls-lying-dimensions": (h.xls_lying_dimensions, "xls", 4),
    "xls-mini-stream-space-in-IV65536": (lambda: h.mini_stream_xls({(65535, 255): " "}), "xls", 4),
    "xls-number-at-column-65536": (h.xls_far_number, "xls", "refused: 工作表“申报表”的列数超过"),
    "xls-looping-directory": (h.xls_looping_directory, "xls", "refused: 无法读取工作簿（文件可能已损坏）"),
    "ods-space-repeated-down": (lambda: h.ods_with(ODS_SPACE_DOWN), "ods", 4),
    "ods-repeated-16384-columns": (lambda: h.ods_with(ODS_WIDE), "ods", "refused: 工作表“申报表”的列数超过"),
    "csv-of-4-million-rows": (
        lambda: b"\r\n".join([",".join(map(str, h.FILING_HEADER)).encode()] + [b"1"] * 4_000_000),
        "csv",
        "refused: 工作表“CSV”数据行过多",
    ),
}


def measure(content: bytes, kind: str, tmp_path: Path) -> dict[str, Any]:
    warm, hostile = tmp_path / f"valid.{kind}", tmp_path / "hostile.bin"
    warm.write_bytes(valid(kind))
    hostile.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(warm), str(hostile)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"the reader died (exit {done.returncode}): {done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_files_stay_within_a_fixed_memory_bound(case: str, tmp_path: Path) -> None:
    build, kind, expected = CASES[case]
    content = build()
    assert len(content) < 5 * h.MB or kind == "csv"  # small on disk: a bomb is tiny compressed
    result = measure(content, kind, tmp_path)
    if isinstance(expected, int):
        assert result.get("rows") == expected, result
    else:
        assert str(result.get("refused", "")).startswith(expected.removeprefix("refused: ")), result
    assert result["peak_mb"] <= MAX_PEAK_MB, result
    assert result["kept_mb"] <= MAX_KEPT_MB, result
