"""Find the header below title rows, join two-level headers, map headers to filing fields.

Bureaus write 「上年营业收入（万元）」, 「营业收入(万元)」 or 「近三年营业收入（万元）」 over 2022 / 2023 /
2024; all of them must land on ``revenue_yuan`` with the right unit and fiscal year.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from importers.workbook import Grid
from vocabulary.figures import Figure, Kind
from vocabulary.imports import IMPORTS_BY_KIND, ImportKind

UNITS = {
    "亿元": 100_000_000,
    "千万元": 10_000_000,
    "百万元": 1_000_000,
    "万元": 10_000,
    "千元": 1_000,
    "元": 1,
}
UNIT_PATTERN = re.compile(r"[(（\[【]?\s*(亿元|千万元|百万元|万元|千元|元)\s*[)）\]】]?")  # longest first
# A header about a share or a rate (研发费用占营业收入比例（%）, 营业收入增长率) is not the amount it names.
RATIO_WORDS = re.compile(r"占比|比例|比重|占|率|%|倍数")
YEAR_PATTERN = re.compile(r"(19|20)\d{2}")
NOISE = re.compile(r"[\s*※★＊:：]|（必填）|\(必填\)|\(选填\)")


@dataclass(frozen=True)
class ColumnSpec:
    field: str
    header: str
    type: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    signed: bool = False
    choices: dict[str, str] = dataclass_field(default_factory=dict, hash=False, compare=False)
    maximum: int | None = None  # the declared upper bound of a count or score (满分100分 …)


@dataclass(frozen=True)
class Spec:
    columns: tuple[ColumnSpec, ...]
    ignored: frozenset[str]

    def by_field(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.field == name)


@lru_cache(maxsize=8)
def load_spec(path: Path | None = None) -> Spec:
    """The filing workbook's columns (from the vocabulary), or a register's from its column file."""
    if path is None:
        filings = IMPORTS_BY_KIND[ImportKind.filings]
        return Spec(tuple(map(column_of, filings.columns)), frozenset(fold(name) for name in filings.ignored))
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    columns = tuple(
        ColumnSpec(
            field=c["field"], header=c["header"], type=c["type"], synonyms=tuple(c.get("synonyms", ())),
            required=bool(c.get("required", False)), signed=bool(c.get("signed", False)),
            choices={fold(k): v for k, v in (c.get("choices") or {}).items()},
        )
        for c in raw["columns"]
    )  # fmt: skip
    return Spec(columns, frozenset(fold(name) for name in raw.get("ignored", ())))


# How a workbook column of each kind of figure is read; codes have readers of their own.
_COLUMN_TYPES = {
    Kind.money: "money", Kind.quantity: "count", Kind.score: "count", Kind.rank: "count", Kind.prize: "prize",
    Kind.level: "choice", Kind.flag: "bool", Kind.date: "date", Kind.year: "year", Kind.text: "text",
}  # fmt: skip
_CODE_COLUMNS = {"uscc": "uscc", "bureau": "bureau", "district": "district", "zone": "zone"}


def column_of(figure: Figure) -> ColumnSpec:
    """A figure's workbook column: its header and synonyms, how it is read, the forms of its choices."""
    return ColumnSpec(
        field=figure.name,
        header=figure.column_header,
        type=_CODE_COLUMNS.get(figure.name) or _COLUMN_TYPES[figure.kind],
        synonyms=figure.synonyms,
        required=figure.required,
        signed=figure.minimum is not None and figure.minimum < 0,
        maximum=figure.maximum,
        choices={
            fold(written): choice.code
            for choice in figure.choices
            for written in (choice.label, *choice.written)
        },
    )


def fold(text: Any) -> str:
    """Compare headers by what they say: full-width → half-width, no spaces, one bracket style."""
    folded = unicodedata.normalize("NFKC", str(text)).strip()
    folded = NOISE.sub("", folded)
    return folded.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")").upper()


@dataclass(frozen=True)
class HeaderMatch:
    column: int  # 0-based within the grid row
    text: str  # the header as written (joined for two-level headers)
    spec: ColumnSpec | None  # None: not a filing column
    unit: int = 1  # 元 multiplier for money
    unit_named: bool = True  # the header named its unit
    year: int | None = None  # fiscal year named by the header (two-level or 「2024年营业收入」)
    ignored: bool = False
    rank: tuple[int, int] = (0, 0)  # how well it matched: (exact, earlier synonym) — higher wins
    shadowed_by: str | None = None  # another column says the same thing and was preferred


def _core(header: str) -> tuple[str, int, bool, int | None]:
    """The header without its unit and year: (core, unit multiplier, unit named, year)."""
    text = fold(header)
    unit_match = UNIT_PATTERN.search(text)
    unit = UNITS[unit_match.group(1)] if unit_match else 1
    if unit_match:
        text = text[: unit_match.start()] + text[unit_match.end() :]
    year_match = YEAR_PATTERN.search(text)
    year = int(year_match.group(0)) if year_match else None
    if year_match:
        text = text[: year_match.start()] + text[year_match.end() :]
        text = text.lstrip("年度").lstrip("年")
    text = re.sub(r"^(近三年|近四年|近三个会计年度|近一年|上年度|上一年度|上一年|上年|本年度|当年)", "", text)
    return text.replace("()", ""), unit, unit_match is not None, year


@lru_cache(maxsize=512)
def _names(column: ColumnSpec) -> tuple[str, ...]:
    """A column's canonical header and synonyms as compared (their cores)."""
    return (_core(column.header)[0], *(_core(synonym)[0] for synonym in column.synonyms))


@lru_cache(maxsize=4096)
def match_header(header: str, spec: Spec | None = None) -> HeaderMatch:
    """The filing column a header names, if any (exact core first, then the longest synonym inside)."""
    spec = spec or load_spec()
    if fold(header) in spec.ignored or _core(header)[0] in spec.ignored:
        return HeaderMatch(-1, header, None, ignored=True)
    core, unit, named, year = _core(header)
    if RATIO_WORDS.search(core):
        return HeaderMatch(-1, header, None, unit, named, year)
    candidates: list[tuple[tuple[int, int], ColumnSpec]] = []
    for column in spec.columns:
        for index, name in enumerate(_names(column)):
            if not name:
                continue
            if core == name:
                candidates.append(((10_000, -index), column))
            elif name in core:
                candidates.append(((len(name), -index), column))
    if not candidates:
        return HeaderMatch(-1, header, None, unit, named, year)
    rank, best = max(candidates, key=lambda c: c[0])
    return HeaderMatch(-1, header, best, unit, named, year, rank=rank)


@dataclass
class Header:
    """Where the data starts and what each column holds."""

    row: int  # index in grid.rows of the last header row
    matches: list[HeaderMatch]

    def mapped(self) -> list[HeaderMatch]:
        return [m for m in self.matches if m.spec is not None]

    def unmapped(self) -> list[HeaderMatch]:
        return [m for m in self.matches if m.spec is None and not m.ignored and m.text.strip()]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parents(grid: Grid, row: int) -> list[str]:
    """The row above as parent labels, spread over merged ranges (and empty cells to their right)."""
    if row == 0:
        return []
    above = [_text(v) for v in grid.rows[row - 1]]
    spread = list(above)
    for r1, c1, r2, c2 in grid.merged:
        grid_row = r1 - grid.first_row
        if grid_row == row - 1 and r2 - grid.first_row >= row - 1:
            for column in range(c1 - grid.first_column, c2 - grid.first_column + 1):
                if 0 <= column < len(spread):
                    spread[column] = above[c1 - grid.first_column]
    return spread


def _row_matches(grid: Grid, row: int, spec: Spec) -> list[HeaderMatch]:
    cells = [_text(v) for v in grid.rows[row]]
    parents = _parents(grid, row)
    matches = []
    for column, text in enumerate(cells):
        parent = parents[column] if column < len(parents) else ""
        joined = text
        if text and parent and YEAR_PATTERN.fullmatch(fold(text).rstrip("年度").rstrip("年")):
            joined = f"{parent}{text}"  # 「近三年营业收入（万元）」 over 「2024」
        elif not text and parent:
            joined = parent  # a header merged down over two rows
        found = match_header(joined, spec) if joined else HeaderMatch(-1, "", None)
        matches.append(
            HeaderMatch(column, joined, found.spec, found.unit, found.unit_named, found.year, found.ignored,
                        found.rank)
        )  # fmt: skip
    return _one_column_per_field(matches)


def _one_column_per_field(matches: list[HeaderMatch]) -> list[HeaderMatch]:
    """Two columns for one field and year (营业收入 and 主营业务收入): the better match is read, the other is not."""
    best: dict[tuple[str, int | None], HeaderMatch] = {}
    for match in matches:
        if match.spec is None:
            continue
        key = (match.spec.field, match.year)
        if key not in best or match.rank > best[key].rank:
            best[key] = match
    return [
        m if m.spec is None or best[(m.spec.field, m.year)] is m
        else HeaderMatch(m.column, m.text, None, m.unit, m.unit_named, m.year,
                         shadowed_by=best[(m.spec.field, m.year)].text)
        for m in matches
    ]  # fmt: skip


def find_header(grid: Grid, spec: Spec, scan: int) -> Header | None:
    """The row (within the first ``scan``) naming the most filing columns, with the credit code."""
    best: Header | None = None
    best_score = 0
    for row in range(min(scan, len(grid.rows))):
        matches = _row_matches(grid, row, spec)
        fields = {m.spec.field for m in matches if m.spec is not None}
        if "uscc" not in fields:
            continue
        score = len(fields) + sum(1 for m in matches if m.spec is not None)
        if score > best_score:
            best, best_score = Header(row, matches), score
    return best
