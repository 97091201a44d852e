"""Formula injection: what a spreadsheet could evaluate gets a leading apostrophe, nothing else changes."""

from __future__ import annotations

import pytest

from exports.sanitize import neutralise


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","点我")', "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "  =1+1", " -3"],
)
def test_what_a_spreadsheet_could_evaluate_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["", "天津测试科技有限公司", "91120118MA05XXXX", "1+1", "a=b", "'=already", "　全角空格"]
)
def test_everything_else_is_unchanged(text: str) -> None:
    assert neutralise(text) == text
