"""The row digest and the tally: same rows in the same order, same sha256, whatever the file format."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from exports.columns import Column
from exports.errors import ExportError
from exports.manifest import RowDigest, RowTally
from tests.exports.lists import DISBURSEMENT_COLUMNS, disbursement_rows, info

COLUMNS = (
    Column("name", "企业名称", "text"),
    Column("amount", "金额", "yuan"),
    Column("amount", "大写", "capitals"),
    Column("day", "日期", "date"),
)


def digest(rows: list[dict[str, object]], columns: tuple[Column, ...] = COLUMNS) -> str:
    hasher = RowDigest(columns)
    for row in rows:
        hasher.update(row)
    return hasher.hexdigest()


def test_the_canonical_line_is_documented_json() -> None:
    row = {"day": date(2025, 1, 2), "amount": 100_000, "name": "甲公司", "ignored": 1}
    expected = '{"name":"甲公司","amount":"100000","day":"2025-01-02"}\n'
    assert digest([row]) == hashlib.sha256(expected.encode()).hexdigest()


def test_int_and_decimal_amounts_hash_alike_but_order_matters() -> None:
    first = {"name": "甲", "amount": 1, "day": None}
    second = {"name": "乙", "amount": 2, "day": None}
    assert digest([first, second]) == digest([first | {"amount": Decimal(1)}, second])
    assert digest([first, second]) != digest([second, first])
    assert digest([first, second]) != digest([first, second | {"amount": 3}])


def test_tally_counts_sums_yuan_columns_and_digests() -> None:
    rows = disbursement_rows(9)
    tally = RowTally(DISBURSEMENT_COLUMNS)
    for row in rows:
        tally.add(row)
    manifest = tally.manifest(info())
    assert manifest.row_count == 9
    assert manifest.sums == {"amount": sum(int(row["amount"]) for row in rows)}
    assert manifest.rows_sha256 == digest(rows, DISBURSEMENT_COLUMNS)
    assert manifest.as_dict()["generated_at"] == "2025-03-01T02:00:00+00:00"
    assert manifest.as_dict()["data_cutoff"] == "2025-02-28"


@pytest.mark.parametrize("amount", [1.5, "100", Decimal("0.5"), True])
def test_amounts_must_be_whole_yuan(amount: object) -> None:
    tally = RowTally(COLUMNS)
    with pytest.raises(ExportError, match="整数元"):
        tally.add({"name": "甲", "amount": amount})
