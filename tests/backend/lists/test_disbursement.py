"""拨付清单 on a real database, written to real files and read back with openpyxl and pandas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.awards import service as award_service
from backend.lists.files import export_to_file
from backend.lists.params import ListParams
from backend.models import Award, ExportRun
from tests.backend.lists.helpers import CITY, FINANCE, YEAR, db_sum, export, make_award
from tests.factories.firms import make_firm
from vocabulary.states import AwardState

HEADERS = [
    "序号",
    "审查单位",
    "统一社会信用代码",
    "企业名称",
    "资助项目",
    "年度",
    "金额（元）",
    "金额大写",
    "规则版本",
    "备注",
]
FORMULA_NAME = '=HYPERLINK("http://x","x")'


@pytest.fixture
async def awards(session: AsyncSession) -> dict[str, Award]:
    """Three approved awards in 静海, two in 和平 (one for a firm named like a formula), plus
    one computed and one rejected that no list may carry."""
    found = {}
    for name, bureau, amount in (("a", "jinghai", 100_000), ("b", "jinghai", 250_000), ("c", "jinghai", 30_500),
                                 ("d", "heping", 1_000_000), ("e", "heping", 7)):  # fmt: skip
        overrides = {"name": FORMULA_NAME} if name == "e" else {}
        firm = await make_firm(session, bureau, **overrides)
        found[name] = await make_award(session, firm, amount)
    other = await make_firm(session, "jinghai")
    found["computed"] = await make_award(session, other, 999, state=AwardState.computed)
    return found


async def test_headers_totals_capitals_and_neutralised_names(
    session: AsyncSession, tmp_path: Path, awards: dict[str, Award]
) -> None:
    written = await export(session, tmp_path, "disbursement", ListParams(year=YEAR))
    header, body = written.table()
    assert header == HEADERS
    assert len(body) == 5 == written.run.row_count
    assert [row[0] for row in body] == [1, 2, 3, 4, 5]
    by_bureau = {row[1] for row in body}
    assert by_bureau == {"静海区科技局", "和平区科技局"}
    # 小计 per bureau and 合计 equal the database's sums for the same filter
    subtotals = {row[0]: row[6] for row in written.labelled("小计")}
    assert subtotals == {
        "小计（审查单位：和平区科技局）": await db_sum(session, bureau="heping"),
        "小计（审查单位：静海区科技局）": await db_sum(session, bureau="jinghai"),
    }
    (total,) = written.labelled("合计")
    assert total[6] == await db_sum(session) == 1_380_507
    assert written.run.totals["sums"] == {"amount_yuan": 1_380_507}
    assert written.run.totals["groups"]["静海区科技局"] == {"amount_yuan": 380_500}
    capitals = {row[3]: row[7] for row in body}
    firm_a = await session.get(Award, awards["a"].id)
    assert firm_a is not None
    assert "壹拾万元整" in capitals.values()
    assert "柒元整" in capitals.values()
    # a formula-looking name is text, never a formula
    names = [row[3] for row in body]
    assert f"'{FORMULA_NAME}" in names
    sheet = written.workbook().worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


async def test_csv_reads_back_with_pandas_and_sidecar_matches(
    session: AsyncSession, tmp_path: Path, awards: dict[str, Award]
) -> None:
    target = tmp_path / "拨付清单.csv"
    exported, staged = await export_to_file(
        session, CITY, "disbursement", ListParams(year=YEAR), "csv", target, source="cli"
    )
    assert not target.exists()  # nothing visible until the transaction has committed
    written = staged.publish()
    assert written == [target, tmp_path / "拨付清单.csv.manifest.json"]
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    import pandas as pd

    frame = pd.read_csv(target, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == HEADERS
    assert frame["金额（元）"].astype(int).sum() == await db_sum(session)
    assert f"'{FORMULA_NAME}" in set(frame["企业名称"])
    sidecar = json.loads(written[1].read_text(encoding="utf-8"))
    assert sidecar["manifest"]["row_count"] == 5
    assert sidecar["manifest"]["sums"] == {"amount_yuan": 1_380_507}
    assert sidecar["manifest"]["rows_sha256"] == exported.run.rows_sha256
    assert sidecar["diff"]["previous"] is None


async def test_manifest_sheet_and_same_inputs_same_rows(
    session: AsyncSession, tmp_path: Path, awards: dict[str, Award]
) -> None:
    first = await export(session, tmp_path, "disbursement", ListParams(year=YEAR))
    second = await export(session, tmp_path, "disbursement", ListParams(year=YEAR), fmt="csv")
    assert first.run.rows_sha256 == second.run.rows_sha256  # same rows whatever the format
    assert second.run.previous_id == first.run.id
    assert second.run.diff_summary["counts"] == {"added": 0, "removed": 0, "amount_changed": 0}
    manifest = dict(row[:2] for row in first.sheet_rows(1))
    assert manifest["行数"] == 5
    assert manifest["行数据SHA-256"] == first.run.rows_sha256
    assert manifest["正式清单"] == "否"
    assert "年度：2031" in [row[1] for row in first.sheet_rows(1) if row[0] == "筛选条件"]


async def test_diff_explains_a_rejection_a_correction_and_a_new_approval(
    session: AsyncSession, tmp_path: Path, awards: dict[str, Award]
) -> None:
    first = await export(session, tmp_path, "disbursement", ListParams(year=YEAR))
    # b corrected to 200,000 and approved again; c corrected, then the correction rejected
    b = await award_service.correct_award(
        session, CITY, awards["b"].id or 0, 200_000, "核减：研发费用重复计算"
    )
    assert b.id is not None
    await award_service.district_review(session, CITY, [b.id])
    await award_service.approve(session, FINANCE, [b.id])
    c = await award_service.correct_award(session, CITY, awards["c"].id or 0, 10_000, "重新核算")
    assert c.id is not None
    await award_service.reject(session, CITY, [c.id], "企业存在严重失信记录")
    new = awards["computed"]
    assert new.id is not None
    await award_service.district_review(session, CITY, [new.id])
    await award_service.approve(session, FINANCE, [new.id])

    second = await export(session, tmp_path, "disbursement", ListParams(year=YEAR))
    summary = second.run.diff_summary
    assert summary["counts"] == {"added": 1, "removed": 1, "amount_changed": 1}
    assert summary["previous"].startswith(f"#{first.run.id} ")
    reasons = {e["change"]: (e["before"], e["after"], e["reason"]) for e in summary["entries"]}
    assert reasons["added"] == (None, 999, "新审批通过")
    assert reasons["removed"] == (30_500, None, "已驳回：企业存在严重失信记录")
    assert reasons["amount_changed"] == (250_000, 200_000, "已更正：核减：研发费用重复计算")
    diff_sheet = second.sheet_rows(2)
    assert any(row and "已驳回：企业存在严重失信记录" in row for row in diff_sheet)
    _header, body = second.table()
    assert sum(row[6] for row in body) == await db_sum(session)


async def test_zero_rows_is_a_valid_file_with_its_manifest(session: AsyncSession, tmp_path: Path) -> None:
    for fmt in ("xlsx", "csv"):
        written = await export(session, tmp_path, "disbursement", ListParams(year=1999), fmt=fmt)
        assert written.run.row_count == 0
        assert written.run.totals["sums"] == {"amount_yuan": 0}
        frame = written.frame()
        assert list(frame.columns) == HEADERS
        assert frame.empty
    xlsx = (await export(session, tmp_path, "disbursement", ListParams(year=1999))).workbook()
    assert xlsx.sheetnames[1:] == ["清单说明", "变动情况"]


async def test_final_marks_the_listed_awards_exported_and_lists_them_once(
    session: AsyncSession, tmp_path: Path, awards: dict[str, Award]
) -> None:
    params = ListParams(year=YEAR, bureau="jinghai", final=True)
    first = await export(session, tmp_path, "disbursement", params, actor=FINANCE)
    assert first.run.final
    assert first.run.row_count == 3
    listed = (await session.exec(select(Award).where(col(Award.export_run_id) == first.run.id))).all()
    assert sorted(a.id or 0 for a in listed) == sorted(awards[k].id or 0 for k in "abc")
    assert {a.state for a in listed} == {AwardState.exported}
    heping = await session.get(Award, awards["d"].id)
    assert heping is not None
    assert heping.state == AwardState.approved

    second = await export(session, tmp_path, "disbursement", params, actor=FINANCE)
    assert second.run.row_count == 0
    assert second.run.diff_summary["counts"]["removed"] == 3
    reasons = {e["reason"] for e in second.run.diff_summary["entries"]}
    assert reasons == {f"已列入正式拨付清单（导出记录 #{first.run.id}）"}
    runs = (await session.exec(select(ExportRun).where(ExportRun.final))).all()
    assert len(runs) >= 2
    assert (await export(session, tmp_path, "disbursement", ListParams(year=YEAR))).run.row_count == 2
