"""Request and response shapes for filings and their revisions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from backend.core.bounds import Count
from backend.core.money import SignedYuan, Yuan
from backend.core.provenance_schemas import ProvenanceRead
from backend.models import FilingFigures
from vocabulary.figures import ATTRIBUTES_BY_NAME, FILING_FIGURES, Figure, Kind

# The filing table's own check (fiscal_year BETWEEN 1980 AND 2200), said before the database does.
_YEAR = ATTRIBUTES_BY_NAME["fiscal_year"]
FiscalYear = Annotated[
    int,
    Field(
        ge=_YEAR.minimum, le=_YEAR.maximum, description=f"{_YEAR.label}：{_YEAR.minimum} 至 {_YEAR.maximum}"
    ),
]


class _StrictFigures(FilingFigures):
    # An unknown field is an error, never silently dropped.
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]  # SQLModelConfig is a ConfigDict


def _value_type(figure: Figure) -> Any:
    """What a client may send for a figure: money in integer 元 within its bounds, levels from their list."""
    if figure.kind is Kind.money:
        return SignedYuan if figure.minimum is not None and figure.minimum < 0 else Yuan
    if figure.kind is Kind.quantity:
        return Count
    if figure.kind is Kind.level:
        return Literal[figure.codes]
    if figure.kind is Kind.flag:
        return bool
    return Annotated[int, Field(ge=figure.minimum, le=figure.maximum)]


def _description(figure: Figure) -> str:
    unit = "（元）" if figure.kind is Kind.money else ""
    choices = "：" + "、".join(f"{c.code} {c.label}" for c in figure.choices) if figure.choices else ""
    return f"{figure.label}{unit}" + (f"。{figure.help}" if figure.help else "") + choices


def _figures_in() -> type[FilingFigures]:
    fields: dict[str, Any] = {
        figure.name: (_value_type(figure) | None, Field(default=None, description=_description(figure)))
        for figure in FILING_FIGURES
    }
    return create_model("FilingFiguresIn", __base__=_StrictFigures, __module__=__name__, **fields)


if TYPE_CHECKING:  # the checker sees the table's figures; at run time each has its bounds and choices

    class FilingFiguresIn(_StrictFigures):
        """Figures as a client sends them: money in integer 元, counts ≥ 0, levels from fixed lists."""

else:
    FilingFiguresIn = _figures_in()


class FilingCreate(FilingFiguresIn):
    fiscal_year: FiscalYear
    note: str | None = Field(default=None, max_length=500)


class FilingUpdate(FilingFiguresIn):
    """Only the figures sent change (null clears one); the result is a new revision."""

    note: str | None = Field(default=None, max_length=500)


class FilingRead(FilingFigures):
    fiscal_year: int
    revision_no: int  # the current revision
    updated_at: datetime
    provenance: ProvenanceRead  # of the current revision


class FieldChange(BaseModel):
    field: str
    before: Any
    after: Any


class FilingRevisionRead(FilingFigures):
    revision_no: int
    provenance: ProvenanceRead
    changes: list[FieldChange]  # against the previous revision; every reported field for the first
