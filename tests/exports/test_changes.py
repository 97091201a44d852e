"""diff_rows: added, removed and changed amounts, with reasons, in a fixed order."""

from __future__ import annotations

from exports.changes import Diff, DiffEntry, SnapshotRow, diff_rows

PREVIOUS = [
    SnapshotRow("91120118MA05000002:seedling_first:2025", "乙公司（雏鹰首次认定）", 100_000),
    SnapshotRow("91120118MA05000001:seedling_first:2025", "甲公司（雏鹰首次认定）", 100_000),
    SnapshotRow("91120118MA05000003:seedling_first:2025", "丙公司（雏鹰首次认定）", 200_000),
    SnapshotRow("91120118MA05000009:seedling_first:2025", "己公司（雏鹰首次认定）", 50_000),
]
CURRENT = [
    SnapshotRow("91120118MA05000001:seedling_first:2025", "甲公司（雏鹰首次认定）", 100_000),
    SnapshotRow("91120118MA05000003:seedling_first:2025", "丙公司（雏鹰首次认定）", 150_000),
    SnapshotRow("91120118MA05000005:seedling_first:2025", "戊公司（雏鹰首次认定）", 100_000),
    SnapshotRow("91120118MA05000004:seedling_first:2025", "丁公司（雏鹰首次认定）", 100_000),
]


def test_added_removed_and_changed_amounts() -> None:
    diff = diff_rows(PREVIOUS, CURRENT, previous_label="#12 2025-03-01 10:00")
    assert diff.previous == "#12 2025-03-01 10:00"
    assert [(e.change, e.key[:18], e.before, e.after) for e in diff.entries] == [
        ("added", "91120118MA05000004", None, 100_000),
        ("added", "91120118MA05000005", None, 100_000),
        ("removed", "91120118MA05000002", 100_000, None),
        ("removed", "91120118MA05000009", 50_000, None),
        ("amount_changed", "91120118MA05000003", 200_000, 150_000),
    ]
    assert diff.counts() == {"added": 2, "removed": 2, "amount_changed": 1}
    assert {e.label for e in diff.entries if e.change == "removed"} == {
        "乙公司（雏鹰首次认定）",
        "己公司（雏鹰首次认定）",
    }
    assert all(e.reason == "" for e in diff.entries)


def test_order_does_not_depend_on_input_order() -> None:
    forward = diff_rows(PREVIOUS, CURRENT, previous_label="#1")
    backward = diff_rows(PREVIOUS[::-1], CURRENT[::-1], previous_label="#1")
    assert forward == backward


def test_explain_fills_each_reason() -> None:
    def explain(entry: DiffEntry) -> str:
        return {"added": "新认定", "removed": "资格已撤销", "amount_changed": "奖励标准调整"}[entry.change]

    diff = diff_rows(PREVIOUS, CURRENT, previous_label="#12", explain=explain)
    assert [e.reason for e in diff.entries] == [
        "新认定",
        "新认定",
        "资格已撤销",
        "资格已撤销",
        "奖励标准调整",
    ]


def test_lists_without_amounts_only_add_and_remove() -> None:
    before = [SnapshotRow("a", "甲", None), SnapshotRow("b", "乙", None)]
    after = [SnapshotRow("b", "乙", None), SnapshotRow("c", "丙", None)]
    diff = diff_rows(before, after, previous_label="#3")
    assert [(e.change, e.key) for e in diff.entries] == [("added", "c"), ("removed", "a")]


def test_an_amount_appearing_or_disappearing_is_a_change() -> None:
    diff = diff_rows([SnapshotRow("a", "甲", None)], [SnapshotRow("a", "甲", 10)], previous_label="#3")
    assert diff.entries == (DiffEntry("amount_changed", "a", "甲", None, 10),)


def test_first_of_its_kind_and_unchanged_lists() -> None:
    first = diff_rows([], CURRENT, previous_label=None)
    assert first.previous is None
    assert first.counts() == {"added": 4, "removed": 0, "amount_changed": 0}
    same = diff_rows(CURRENT, CURRENT, previous_label="#2")
    assert same == Diff(previous="#2", entries=())
    assert same.counts() == {"added": 0, "removed": 0, "amount_changed": 0}


def test_as_dict_is_json_ready() -> None:
    diff = diff_rows(PREVIOUS[:1], [], previous_label="#2", explain=lambda e: "资格已撤销")
    assert diff.as_dict() == {
        "previous": "#2",
        "counts": {"added": 0, "removed": 1, "amount_changed": 0},
        "entries": [
            {
                "change": "removed",
                "key": PREVIOUS[0].key,
                "label": "乙公司（雏鹰首次认定）",
                "before": 100_000,
                "after": None,
                "reason": "资格已撤销",
            }
        ],
    }
