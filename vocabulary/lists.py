"""Every list tidu exports, declared once: its name, columns, who may export it and what it needs.

A ``ListSpec`` is the one place a list kind lives. Its code is the value in URLs, the API and the
CLI; its run kind is what ``export_run.kind`` stores; its title is the one Chinese name pages,
files and messages use; its columns are the file's header row; its roles, filters and final
rule decide who may ask for what. The backend registers one builder per ``builder`` key and
reads everything else — params, pages, API, CLI, manifest, change reasons, scheduled exports —
from here. Adding a list is one spec here and one builder there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from vocabulary.figures import label_of
from vocabulary.ladder import ProgramKind
from vocabulary.states import Role

ColumnKind = Literal["text", "int", "yuan", "capitals", "date", "datetime", "ratio"]


@dataclass(frozen=True)
class Column:
    """One column of a list: which row key, which Chinese header, how the value is shown.

    ``yuan`` is an integer amount in 元 shown as ``#,##0``; ``capitals`` writes the row's value
    (an int in 元) as Chinese capitals text; ``ratio`` is a float 0..1 shown as ``0.00%``;
    ``date`` / ``datetime`` are ``datetime.date`` / ``datetime.datetime``.
    """

    key: str
    header: str
    kind: ColumnKind
    width: float = 14


class ListKind(StrEnum):
    """A list's code: the value in URLs, the API's path and the CLI's argument."""

    certification = "certification"
    public_notice = "public-notice"
    reminders = "reminders"
    eligibility = "eligibility"
    targets = "targets"
    disbursement = "disbursement"


class Filter(StrEnum):
    """What a list can be narrowed by. The order is the scope key's and the manifest's."""

    year = "year"
    program = "program"
    bureau = "bureau"
    batch = "batch"  # tier_batch.id
    tier = "tier"
    days = "days"  # how many days ahead a certificate's expiry is reminded of


@dataclass(frozen=True)
class FilterSpec:
    filter: Filter
    label: str  # the form's and the manifest's word for it
    help: str = ""  # more words for the API's and the CLI's help
    column: str | None = None  # the row key a list shows it in: that column's header names it there
    minimum: int | None = None
    maximum: int | None = None


FILTERS: tuple[FilterSpec, ...] = (
    FilterSpec(Filter.year, "年度", minimum=1980, maximum=2100),
    FilterSpec(Filter.program, "项目", "资助或评价项目代码，如 seedling", column="program_title"),
    FilterSpec(
        Filter.bureau,
        label_of("bureau"),
        "审查单位代码，如 jinghai（区科技局用户为本单位）",
        column="bureau_name",
    ),
    FilterSpec(Filter.batch, "入库批次", "入库批次编号", minimum=1, maximum=2**31 - 1),
    FilterSpec(Filter.tier, "梯度", "梯度：seedling、gazelle、leader_candidate、leader", column="tier_label"),
    FilterSpec(Filter.days, "证书到期提前天数", "多少天内到期", minimum=1, maximum=3660),
)
FILTERS_BY_NAME: dict[Filter, FilterSpec] = {spec.filter: spec for spec in FILTERS}
DEFAULT_REMINDER_DAYS = 90


@dataclass(frozen=True)
class ChangeTexts:
    """Why a line changed since the previous export, where nothing more particular is known."""

    added: str = "新增"
    removed: str = "不再在本清单中"
    amount_changed: str = "数值变化"

    def text(self, change: str) -> str:
        texts: dict[str, str] = {
            "added": self.added,
            "removed": self.removed,
            "amount_changed": self.amount_changed,
        }
        return texts[change]


_CITY = frozenset({Role.city, Role.admin})
_OFFICES = _CITY | {Role.bureau}  # a bureau exports its own bureau's lines only


@dataclass(frozen=True)
class ListSpec:
    kind: ListKind
    run_kind: str  # export_run.kind (at most 24 characters): kept when the code changes
    title: str
    hint: str  # what the list is for, in one line on the lists page
    columns: tuple[Column, ...]
    builder: str  # the key the backend registers this list's builder under
    roles: frozenset[Role]  # who may export it; a bureau always gets its own bureau's lines
    needs: frozenset[Filter] = frozenset()  # refused without these
    accepts: frozenset[Filter] = frozenset()  # read; any other filter given is ignored
    programs: ProgramKind | None = None  # the program filter offers these programs (None: all)
    final_roles: frozenset[Role] = frozenset()  # who may export it as final (none: never final)
    group: str | None = None  # the row key its subtotals and sections go by
    scheduled: bool = False  # exported nightly, this year's, into each bureau's outbox
    changes: ChangeTexts = ChangeTexts()

    @property
    def code(self) -> str:
        return self.kind.value

    @property
    def can_be_final(self) -> bool:
        return bool(self.final_roles)

    @property
    def group_label(self) -> str | None:
        """The group's name: the header of the column it goes by."""
        return next((c.header for c in self.columns if c.key == self.group), None)

    def filter_label(self, name: Filter) -> str:
        """How this list names a filter: its column's header when it shows one, else the filter's label."""
        spec = FILTERS_BY_NAME[name]
        return next((c.header for c in self.columns if c.key == spec.column), spec.label)


NO = Column("no", "序号", "int", width=6)
_BUREAU = Column("bureau_name", label_of("bureau"), "text", width=16)
_USCC = Column("uscc", label_of("uscc"), "text", width=22)
_NAME = Column("name", label_of("name"), "text", width=36)
_TIER = Column("tier_label", "梯度", "text", width=16)
_DISTRICT = Column("district", label_of("district"), "text", width=10)
_RULESET = Column("ruleset", "规则版本", "text", width=12)
_BY_BATCH = frozenset({Filter.batch, Filter.tier, Filter.bureau})
_BY_YEAR = frozenset({Filter.year, Filter.program, Filter.bureau})

# The lists page shows them in this order: most asked for first.
LISTS: tuple[ListSpec, ...] = (
    ListSpec(
        ListKind.certification,
        "certification",
        "入库名单",
        "某一入库批次已入库的企业，可按梯度筛选。",
        columns=(
            NO,
            Column("admission_no", "入库登记编号", "text", width=22),
            _USCC,
            _NAME,
            _TIER,
            _BUREAU,
            _DISTRICT,
            Column("valid_from", "公告日期", "date", width=12),
        ),
        builder="certification",
        roles=_OFFICES,
        needs=frozenset({Filter.batch}),
        accepts=_BY_BATCH,
        group="tier_label",
        changes=ChangeTexts(added="新入库"),
    ),
    ListSpec(
        ListKind.public_notice,
        "public_notice",
        "公示名单",
        "某一入库批次进入公示的企业及其当前状态。",
        columns=(NO, _USCC, _NAME, _TIER, _BUREAU, _DISTRICT, Column("state", "当前状态", "text", width=14)),
        builder="public_notice",
        roles=_OFFICES,
        needs=frozenset({Filter.batch}),
        accepts=_BY_BATCH,
        group="tier_label",
        changes=ChangeTexts(added="列入公示"),
    ),
    ListSpec(
        ListKind.reminders,
        "reminders",
        "到期与年报提醒",
        "高企证书即将到期、上年度数据未填报、科小未重新登记的企业。",
        columns=(
            NO,
            _BUREAU,
            _USCC,
            _NAME,
            Column("subject", "提醒事项", "text", width=22),
            Column("due", "截止日期", "date", width=12),
            Column("action", "办理事项", "text", width=56),
            Column("note", "备注", "text", width=10),
        ),
        builder="reminders",
        roles=_OFFICES,
        accepts=frozenset({Filter.days, Filter.bureau}),
        group="bureau_name",
        changes=ChangeTexts(added="新增提醒", removed="已办理或不再需要提醒", amount_changed=""),
    ),
    ListSpec(
        ListKind.eligibility,
        "eligibility",
        "评价结果",
        "全部企业在某年度各项认定的评价结果及未通过的条件。",
        columns=(
            NO,
            _BUREAU,
            _USCC,
            _NAME,
            Column("program_title", "评价项目", "text", width=24),
            Column("outcome", "评价结果", "text", width=10),
            Column("failed", "未通过条件", "text", width=48),
            Column("unknown", "资料不全条件", "text", width=40),
            _RULESET,
        ),
        builder="eligibility",
        roles=_OFFICES,
        needs=frozenset({Filter.year}),
        accepts=_BY_YEAR,
        group="bureau_name",
        scheduled=True,
    ),
    ListSpec(
        ListKind.targets,
        "targets",
        "区县目标进度",
        "各梯度培育目标与登记库实际值、完成率。",
        columns=(
            NO,
            _BUREAU,
            Column("metric", "指标", "text", width=24),
            Column("kind", "口径", "text", width=10),
            Column("target", "目标", "text", width=16),
            Column("actual", "实际", "int", width=10),
            Column("ratio", "完成率", "ratio", width=10),
            Column("responsible", "责任单位", "text", width=24),
            Column("note", "说明", "text", width=30),
        ),
        builder="targets",
        roles=_OFFICES,
        needs=frozenset({Filter.year}),
        accepts=frozenset({Filter.year, Filter.bureau}),
        group="bureau_name",
        changes=ChangeTexts(
            added="新增目标", removed="目标已删除", amount_changed="登记库数据更新，实际值变化"
        ),
    ),
    ListSpec(
        ListKind.disbursement,
        "disbursement",
        "拨付清单",
        "已批准的奖励（预览，不改变奖励状态）。",
        columns=(
            NO,
            _BUREAU,
            _USCC,
            _NAME,
            Column("program_title", "资助项目", "text", width=24),
            Column("year", "年度", "int", width=8),
            Column("amount_yuan", "金额（元）", "yuan", width=16),
            Column("amount_yuan", "金额大写", "capitals", width=30),
            _RULESET,
            Column("note", "备注", "text", width=10),
        ),
        # Finance works from award lists only; firms' filings and evaluations are not theirs to see.
        builder="disbursement",
        roles=_OFFICES | {Role.finance},
        needs=frozenset({Filter.year}),
        accepts=_BY_YEAR,
        programs=ProgramKind.award,
        final_roles=_CITY | {Role.finance},
        group="bureau_name",
        scheduled=True,
    ),
)
LISTS_BY_KIND: dict[ListKind, ListSpec] = {spec.kind: spec for spec in LISTS}
LISTS_BY_RUN_KIND: dict[str, ListSpec] = {spec.run_kind: spec for spec in LISTS}
LIST_TITLES: dict[str, str] = {spec.run_kind: spec.title for spec in LISTS}  # by export_run.kind


def lists_for(role: Role) -> tuple[ListSpec, ...]:
    """The lists ``role`` may export, in page order."""
    return tuple(spec for spec in LISTS if role in spec.roles)


def needing(name: Filter) -> tuple[ListSpec, ...]:
    """The lists that cannot be exported without filter ``name``."""
    return tuple(spec for spec in LISTS if name in spec.needs)


def titles(specs: tuple[ListSpec, ...]) -> str:
    return "、".join(spec.title for spec in specs)
