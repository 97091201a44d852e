"""The filing tables hold exactly the figures the vocabulary declares, each in a column of its kind."""

from __future__ import annotations

import typing

from backend.models import FilingFigures
from backend.models.filing import NON_NEGATIVE
from vocabulary.figures import FILING_FIGURES, Kind

PYTHON_TYPES = {
    Kind.money: int, Kind.quantity: int, Kind.score: int, Kind.rank: int, Kind.prize: int, Kind.level: str,
    Kind.flag: bool,
}  # fmt: skip


def test_the_filing_table_has_a_column_for_each_declared_figure_and_no_other() -> None:
    assert list(FilingFigures.model_fields) == [figure.name for figure in FILING_FIGURES]


def test_each_column_stores_its_figures_kind() -> None:
    for figure in FILING_FIGURES:
        annotation = FilingFigures.model_fields[figure.name].annotation
        assert set(typing.get_args(annotation)) == {PYTHON_TYPES[figure.kind], type(None)}, figure.name


def test_choice_codes_fit_their_columns() -> None:
    for figure in FILING_FIGURES:
        if figure.kind is Kind.level:
            longest = max(len(code) for code in figure.codes)
            limit = next(
                m.max_length
                for m in FilingFigures.model_fields[figure.name].metadata
                if hasattr(m, "max_length")
            )
            assert longest <= limit, figure.name


def test_amounts_and_counts_bounded_at_zero_are_refused_negative_by_the_database() -> None:
    assert "net_assets_yuan" not in NON_NEGATIVE
    assert {"revenue_yuan", "employees", "ip_class1"} <= set(NON_NEGATIVE)
