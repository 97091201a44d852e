"""write_csv and the sidecar: BOM, CRLF, header then rows, neutralised text, and a JSON manifest."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from exports.capitals import yuan_capitals
from exports.changes import SnapshotRow, diff_rows
from exports.csv import manifest_json, write_csv
from exports.document import ListDocument
from exports.sanitize import neutralise
from exports.xlsx import write_xlsx
from tests.exports.lists import DISBURSEMENT_COLUMNS, HOSTILE_NAMES, disbursement, disbursement_rows, streamed

HEADERS = [column.header for column in DISBURSEMENT_COLUMNS]


def written(doc: ListDocument) -> tuple[bytes, Any]:
    out = io.BytesIO()
    manifest = write_csv(doc, out)
    assert not out.closed  # the caller's stream stays usable
    return out.getvalue(), manifest


def test_bom_crlf_header_then_rows_only() -> None:
    content, manifest = written(disbursement(disbursement_rows(4)))
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ",".join(HEADERS)
    assert len(lines) == 1 + 4 + 1  # header, rows, the empty string after the last CRLF
    assert lines[-1] == ""
    assert "小计" not in content.decode("utf-8-sig")
    assert "合计" not in content.decode("utf-8-sig")
    assert manifest.row_count == 4


def test_pandas_reads_back_the_rows() -> None:
    rows = disbursement_rows(9, hostile=True)
    content, manifest = written(disbursement(streamed(rows)))  # type: ignore[arg-type]
    frame = pd.read_csv(
        io.BytesIO(content),
        encoding="utf-8-sig",
        dtype={"统一社会信用代码": str, "企业名称": str},
        keep_default_na=False,
    )
    assert list(frame.columns) == HEADERS
    assert list(frame["序号"]) == [row["seq"] for row in rows]
    assert list(frame["统一社会信用代码"]) == [row["uscc"] for row in rows]
    assert list(frame["企业名称"]) == [neutralise(row["name"]) for row in rows]
    assert list(frame["奖励金额（元）"]) == [row["amount"] for row in rows]
    assert list(frame["大写金额"]) == [yuan_capitals(row["amount"]) for row in rows]
    assert list(frame["区级分担比例"]) == [row["share"] for row in rows]
    assert list(frame["认定日期"]) == [row["certified_on"].isoformat() for row in rows]
    assert list(frame["审核时间"]) == [f"2025-01-02 09:30:{i:02d}" for i in range(9)]  # Tianjin time
    assert manifest.sums == {"amount": sum(row["amount"] for row in rows)}


def test_formulas_are_neutralised() -> None:
    rows = disbursement_rows(len(HOSTILE_NAMES), hostile=True)
    content, _ = written(disbursement(rows))
    names = [line[2] for line in csv.reader(io.StringIO(content.decode("utf-8-sig")))][1:]
    assert names == ["'" + name for name in HOSTILE_NAMES]


def test_same_rows_same_digest_as_the_workbook() -> None:
    rows = disbursement_rows(12)
    _, from_csv = written(disbursement(rows))
    from_xlsx = write_xlsx(disbursement(rows), io.BytesIO())
    assert from_csv == from_xlsx


def test_zero_rows_give_the_header_alone() -> None:
    content, manifest = written(disbursement([]))
    assert content.decode("utf-8-sig") == ",".join(HEADERS) + "\r\n"
    assert manifest.row_count == 0
    assert manifest.sums == {"amount": 0}


def test_sidecar_json() -> None:
    rows = disbursement_rows(3)
    _, manifest = written(disbursement(rows))
    diff = diff_rows(
        [SnapshotRow("k1", "甲公司", 5)], [], previous_label="#12", explain=lambda e: "资格已撤销"
    )
    sidecar = manifest_json(manifest, diff)
    text = sidecar.decode("utf-8")
    assert "资格已撤销" in text  # ensure_ascii off: readable Chinese
    assert text.startswith('{\n  "manifest": {\n    "kind": "disbursement"')
    document = json.loads(sidecar)
    assert document["manifest"] == manifest.as_dict()
    assert document["manifest"]["sums"] == {"amount": sum(row["amount"] for row in rows)}
    assert document["manifest"]["rows_sha256"] == manifest.rows_sha256
    assert document["diff"]["counts"] == {"added": 0, "removed": 1, "amount_changed": 0}
    assert document["diff"]["entries"][0]["reason"] == "资格已撤销"
    assert json.loads(manifest_json(manifest, None))["diff"] is None


def test_sidecar_times_keep_their_zone() -> None:
    _, manifest = written(disbursement([]))
    generated_at = json.loads(manifest_json(manifest, None))["manifest"]["generated_at"]
    assert datetime.fromisoformat(generated_at) == datetime(
        2025, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )
