"""What can be imported: each kind of workbook with its name, who may import it and its columns.

The filing workbook's columns are the firm attributes that say whose figures a row holds and
every filing figure, in the order the blank template writes them; the registers' columns are
their own (``importers/data/<kind>_columns.yaml``), since nothing else in tidu reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vocabulary.figures import ATTRIBUTES_BY_NAME, FILING_FIGURES, Figure
from vocabulary.states import Role


class ImportKind(StrEnum):
    filings = "filings"
    registration = "registration"
    ip = "ip"


@dataclass(frozen=True)
class ImportSpec:
    kind: ImportKind
    label: str
    roles: frozenset[Role]  # who may import it (a bureau only for itself)
    columns: tuple[Figure, ...] = ()  # declared here; empty: the register's own column file
    ignored: tuple[str, ...] = ()  # headers read past on purpose, with no issue reported


_WHOSE_ROW = ("uscc", "name", "bureau", "district", "zone", "registered_on", "fiscal_year")
_CITY = frozenset({Role.city, Role.admin})

IMPORTS: tuple[ImportSpec, ...] = (
    ImportSpec(
        ImportKind.filings,
        "申报数据",
        _CITY | {Role.bureau},
        columns=(*(ATTRIBUTES_BY_NAME[name] for name in _WHOSE_ROW), *FILING_FIGURES),
        ignored=(
            "序号",
            "编号",
            "行号",
            "备注",
            "说明",
            "联系人",
            "联系电话",
            "手机",
            "电话",
            "邮箱",
            "申报梯度",
            "批次",
            "公示日期",
            "公告日期",
            "入库登记编号",
            "法定代表人",
        ),
    ),
    ImportSpec(ImportKind.registration, "企业登记信息", _CITY),
    ImportSpec(ImportKind.ip, "知识产权", _CITY),
)
IMPORTS_BY_KIND: dict[ImportKind, ImportSpec] = {spec.kind: spec for spec in IMPORTS}
IMPORT_KIND_LABELS: dict[str, str] = {spec.kind: spec.label for spec in IMPORTS}
