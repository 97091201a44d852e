"""Figures for the dashboard charts, and the evaluation runs the city looks back on.

The dashboard is the city's: city and admin see all of it, finance the award money only, a
bureau or an enterprise nothing (a bureau's own figures are on its lists).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.core.errors import Forbidden
from backend.core.security import Actor
from backend.dashboard import charts
from backend.dashboard.repository import AwardTotal, DashboardRepository, RunRow, TargetRow
from backend.evaluations import service as evaluation_service
from backend.evaluations.schemas import RunSummaryRead
from backend.rulesets import service as rulesets
from backend.targets import service as targets
from backend.targets.repository import TierCount
from backend.targets.service import MEASURED_METRICS
from vocabulary.ladder import TIER_LABELS, Tier
from vocabulary.states import AWARD_STATE_LABELS, AwardState, Role
from vocabulary.targets import TARGET_KIND_LABELS, TARGET_METRIC_LABELS

FULL_VIEWERS = frozenset({Role.city, Role.admin})
TIERS = tuple(Tier)
TIER_NAMES = tuple(TIER_LABELS[t] for t in TIERS)
UNIT_LABELS = {"count": "家", "ratio": "", "yuan": "元"}
# Award money on its way to being paid, in order; rejected awards are counted beside it.
AWARD_STATES = (
    AwardState.computed, AwardState.district_reviewed, AwardState.approved, AwardState.exported, AwardState.paid,
)  # fmt: skip
PAYMENT_STAGES = tuple(AWARD_STATE_LABELS[state] for state in AWARD_STATES)
TREND_YEARS = 8
# Bureau charts: short row labels and values, so a phone scales them down as little as possible.
COMPACT: dict[str, Any] = {"width": 520, "label_width": 64, "value_width": 64, "minimum": 5}
OUTCOMES = ("eligible", "ineligible", "unknown")


# -- who may look ------------------------------------------------------------------------------


def sees_everything(actor: Actor) -> bool:
    """True for city and admin; False for finance (award money only); others are refused."""
    if actor.role in FULL_VIEWERS:
        return True
    if actor.role is Role.finance:
        return False
    raise Forbidden("数据看板供市科技局使用；区科技局请在“名单下载”中查看本区企业")


def _require_city(actor: Actor) -> None:
    if actor.role not in FULL_VIEWERS:
        raise Forbidden("只有市科技局和管理员可以运行和查看年度评价")


# -- the dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierTableRow:
    bureau: str
    held: tuple[int, ...]  # per tier, on the as-of day
    new: tuple[int, ...]  # per tier, admitted with the year's applications
    total: int


@dataclass(frozen=True)
class TargetTableRow:
    bureau: str
    actual: int
    target: Decimal | None
    share: float | None  # actual ÷ target

    @property
    def met(self) -> bool:
        return self.target is not None and self.actual >= self.target


@dataclass(frozen=True)
class TargetSection:
    metric: str
    label: str
    kind_label: str
    rows: tuple[TargetTableRow, ...]
    chart: charts.HorizontalBarChart
    actual_total: int
    target_total: Decimal
    met: int  # bureaus at or above their target
    with_target: int


@dataclass(frozen=True)
class OtherTarget:
    """A target the registry holds no figure for (R&D intensity, patents, contract turnover …)."""

    bureau: str
    metric: str
    kind_label: str
    unit: str
    target: Decimal


@dataclass(frozen=True)
class YearRow:
    year: int
    values: tuple[int, ...]


@dataclass(frozen=True)
class AwardRow:
    program: str
    title: str
    count: int
    by_state: tuple[int, ...]  # 元 per AWARD_STATES
    total_yuan: int
    rejected: int  # awards refused in review (no money)
    budget_yuan: int | None


@dataclass(frozen=True)
class TargetMatrixRow:
    """One bureau's line of the targets table: a cell per charted metric (None: no target, no figure)."""

    bureau: str
    cells: tuple[TargetTableRow | None, ...]


@dataclass(frozen=True)
class Registry:
    """What city and admin see beyond the award money."""

    tier_rows: tuple[TierTableRow, ...]
    tier_totals: TierTableRow
    tier_chart: charts.HorizontalBarChart
    target_year: int | None  # the latest year with targets, when the chosen one has none
    targets: tuple[TargetSection, ...]
    target_table: tuple[TargetMatrixRow, ...]
    other_targets: tuple[OtherTarget, ...]
    admissions: tuple[YearRow, ...]
    admissions_chart: charts.ColumnChart
    eligible: tuple[YearRow, ...]
    eligible_chart: charts.ColumnChart


@dataclass(frozen=True)
class Awards:
    rows: tuple[AwardRow, ...]
    chart: charts.HorizontalBarChart
    total_yuan: int
    count: int


@dataclass(frozen=True)
class Dashboard:
    year: int
    years: tuple[int, ...]  # the year selector's options, newest first
    as_of: date
    registry: Registry | None  # None for finance
    awards: Awards
    tier_names: tuple[str, ...] = TIER_NAMES
    award_states: tuple[str, ...] = PAYMENT_STAGES


def default_year(target_years: Sequence[int], today: date) -> int:
    """The latest year with district targets, not after this one; this year when there are none."""
    return max((y for y in target_years if y <= today.year), default=today.year)


def as_of_day(year: int, today: date) -> date:
    """Counts of holders are taken at the year's end, or today for the current year."""
    return min(today, date(year, 12, 31))


async def dashboard(session: AsyncSession, actor: Actor, year: int | None) -> Dashboard:
    full = sees_everything(actor)
    repo = DashboardRepository(session)
    today = clock.today()
    target_years = await repo.target_years()
    year = year if year is not None else default_year(target_years, today)
    years = sorted(set(await repo.years()) | {today.year, year}, reverse=True)
    as_of = as_of_day(year, today)
    registry = await _registry(repo, year, as_of, target_years) if full else None
    return Dashboard(
        year=year, years=tuple(years), as_of=as_of, registry=registry, awards=await _awards(repo, year)
    )


async def _registry(
    repo: DashboardRepository, year: int, as_of: date, target_years: Sequence[int]
) -> Registry:
    bureaus = [(code, _short(name)) for code, name in await repo.bureaus()]
    counts = await targets.tier_counts(repo.session, year, as_of)
    tier_rows = _tier_rows(bureaus, counts)
    totals = TierTableRow(
        "合计", _column_sums(r.held for r in tier_rows), _column_sums(r.new for r in tier_rows),
        sum(r.total for r in tier_rows),
    )  # fmt: skip
    tier_chart = charts.horizontal_bars(
        f"各区在库梯度企业数（截至 {as_of.isoformat()}）",
        "每个审查单位一行，按梯度分段堆叠；数字为在库企业合计。",
        [charts.BarInput(row.bureau, row.held) for row in tier_rows],
        TIER_NAMES,
        **COMPACT,
    )
    actuals = await targets.actuals_with(repo.session, counts, as_of)
    sections, others = _targets(await repo.targets(year), bureaus, actuals)
    admissions = _by_year(await repo.admissions_by_year(), [t.value for t in TIERS], year)
    eligible = _by_year(await repo.eligible_by_year([t.value for t in TIERS]), [t.value for t in TIERS], year)
    return Registry(
        tier_rows=tuple(tier_rows), tier_totals=totals, tier_chart=tier_chart,
        target_year=None if sections or others else max(target_years, default=None),
        targets=tuple(sections), target_table=_target_table(bureaus, sections), other_targets=tuple(others),
        admissions=tuple(admissions), admissions_chart=_year_chart("历年入库企业数", "按申报年度、梯度统计公告入库的企业。", admissions),
        eligible=tuple(eligible), eligible_chart=_year_chart("历年评价符合条件的企业数", "按年度最新一次评价结论统计。", eligible),
    )  # fmt: skip


def _short(bureau_name: str) -> str:
    """静海区科技局 → 静海区: charts and tables have little room, on a phone least of all."""
    return bureau_name.removesuffix("科技局")


def _target_table(
    bureaus: Sequence[tuple[str, str]], sections: Sequence[TargetSection]
) -> tuple[TargetMatrixRow, ...]:
    by_section = [{row.bureau: row for row in s.rows} for s in sections]
    rows = [TargetMatrixRow(name, tuple(found.get(name) for found in by_section)) for _, name in bureaus]
    return tuple(row for row in rows if any(cell is not None for cell in row.cells))


def _column_sums(rows: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    sums = [0] * len(TIERS)
    for row in rows:
        for i, value in enumerate(row):
            sums[i] += value
    return tuple(sums)


def _tier_rows(bureaus: Sequence[tuple[str, str]], counts: Sequence[TierCount]) -> list[TierTableRow]:
    index = {(c.bureau_code, c.tier): c for c in counts}
    rows = []
    for code, name in bureaus:
        found = [index.get((code, tier.value)) for tier in TIERS]
        held = tuple(c.held if c else 0 for c in found)
        rows.append(TierTableRow(name, held, tuple(c.new if c else 0 for c in found), sum(held)))
    return rows


def _targets(
    rows: Sequence[TargetRow], bureaus: Sequence[tuple[str, str]], actuals: dict[str, dict[str, int]]
) -> tuple[list[TargetSection], list[OtherTarget]]:
    names = dict(bureaus)
    by_metric: dict[str, dict[str, TargetRow]] = defaultdict(dict)
    others = []
    for row in rows:
        if row.metric in MEASURED_METRICS and row.unit == "count":
            by_metric[row.metric][row.bureau_code] = row
        else:
            others.append(
                OtherTarget(names.get(row.bureau_code, row.bureau_code),
                            TARGET_METRIC_LABELS.get(row.metric, row.metric),
                            TARGET_KIND_LABELS.get(row.kind, row.kind), row.unit, row.target)
            )  # fmt: skip
    ordered = sorted(by_metric, key=MEASURED_METRICS.index)
    return [_target_section(m, by_metric[m], bureaus, actuals.get(m, {})) for m in ordered], others


def _target_section(
    metric: str, targets: dict[str, TargetRow], bureaus: Sequence[tuple[str, str]], actual: dict[str, int]
) -> TargetSection:
    rows = []
    for code, name in bureaus:
        if code not in targets and not actual.get(code):
            continue
        target = targets[code].target if code in targets else None
        value = actual.get(code, 0)
        share = float(value / target) if target else None
        rows.append((name, TargetTableRow(name, value, target, share)))
    label = TARGET_METRIC_LABELS[metric]
    kind = next(iter(targets.values())).kind
    chart = charts.horizontal_bars(
        f"{label}：完成数与目标",
        "每个审查单位一行：条形为登记库中的完成数，竖线为区目标。",
        [charts.BarInput(name, [row.actual], row.target) for name, row in rows],
        [label],
        **COMPACT,
    )
    table = tuple(row for _, row in rows)
    return TargetSection(
        metric=metric, label=label, kind_label=TARGET_KIND_LABELS.get(kind, kind), rows=table, chart=chart,
        actual_total=sum(r.actual for r in table), target_total=sum((r.target or Decimal(0) for r in table), Decimal(0)),
        met=sum(1 for r in table if r.met), with_target=sum(1 for r in table if r.target is not None),
    )  # fmt: skip


def _by_year(rows: Sequence[tuple[int, str, int]], series: Sequence[str], last: int) -> list[YearRow]:
    """Per year up to ``last`` (the latest TREND_YEARS with data), one count per series."""
    table: dict[int, list[int]] = {}
    for year, key, count in rows:
        if year <= last and key in series:
            table.setdefault(year, [0] * len(series))[series.index(key)] += count
    years = sorted(table)[-TREND_YEARS:]
    return [YearRow(y, tuple(table[y])) for y in years]


def _year_chart(title: str, description: str, rows: Sequence[YearRow]) -> charts.ColumnChart:
    return charts.grouped_columns(
        title, description, [str(r.year) for r in rows], TIER_NAMES, [r.values for r in rows], minimum=5
    )


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


async def _awards(repo: DashboardRepository, year: int) -> Awards:
    totals = await repo.award_totals(year)
    budgets = await repo.award_budgets(year)
    rows = sorted(_award_rows(totals, budgets), key=lambda r: (-r.total_yuan, r.program))
    chart = charts.horizontal_bars(
        f"{year} 年度各项奖励金额",
        "每个奖励项目一行，按办理状态分段堆叠（不含已驳回）；竖线为年度预算。",
        [charts.BarInput(_clip(r.title, 20), r.by_state, r.budget_yuan) for r in rows],
        PAYMENT_STAGES,
        fmt=charts.wan_yuan,
        target_label="预算",
        width=720,
        label_width=260,
        value_width=150,
    )
    return Awards(tuple(rows), chart, sum(r.total_yuan for r in rows), sum(r.count for r in rows))


def _award_rows(totals: Sequence[AwardTotal], budgets: dict[str, int]) -> list[AwardRow]:
    programs: dict[str, list[AwardTotal]] = defaultdict(list)
    for total in totals:
        programs[total.program].append(total)
    for program in budgets:
        programs.setdefault(program, [])
    rows = []
    for program, parts in programs.items():
        amounts = {p.state: p.amount_yuan for p in parts}
        by_state = tuple(amounts.get(state, 0) for state in AWARD_STATES)
        rejected = sum(p.count for p in parts if p.state == AwardState.rejected)
        rows.append(
            AwardRow(program, rulesets.program_title(program), sum(p.count for p in parts) - rejected,
                     by_state, sum(by_state), rejected, budgets.get(program))
        )  # fmt: skip
    return rows


# -- evaluation runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramOutcome:
    program: str
    title: str
    kind: str
    eligible: int
    ineligible: int
    unknown: int


@dataclass(frozen=True)
class RunView:
    run_id: str
    at: datetime
    actor_label: str
    year: int
    evaluation_date: str
    firms: int
    evaluated: int  # decisions written
    unchanged: int
    seconds: float
    programs: dict[str, dict[str, int]]
    not_in_force: list[str]
    rows: tuple[ProgramOutcome, ...]  # the programs' outcome counts over all firms, titled and ordered


@dataclass(frozen=True)
class EvaluationOverview:
    year: int
    runs: tuple[RunView, ...]
    outcomes: tuple[ProgramOutcome, ...]  # the latest stored decisions of the year


def _run_view(row: RunRow, programs: dict[str, _Program]) -> RunView:
    s: dict[str, Any] = row.summary
    counts: dict[str, dict[str, int]] = dict(s.get("programs") or {})
    return RunView(
        run_id=str(s.get("run_id", "")), at=row.at, actor_label=row.actor_label, year=int(s.get("year", 0)),
        evaluation_date=str(s.get("evaluation_date", "")), firms=int(s.get("firms", 0)),
        evaluated=int(s.get("evaluated", 0)), unchanged=int(s.get("unchanged", 0)),
        seconds=float(s.get("seconds", 0.0)), programs=counts, not_in_force=list(s.get("not_in_force") or []),
        rows=_outcome_rows(counts, programs),
    )  # fmt: skip


@dataclass(frozen=True)
class _Program:
    rank: int
    title: str
    kind: str


def _programs() -> dict[str, _Program]:
    """Every program: tiers in ladder order first, then certificates, pools, indices, awards."""
    kinds = ("tier", "certificate", "pool", "index", "award")
    ladder = [t.value for t in TIERS]
    found = {}
    for r in rulesets.list_rulesets():
        if r.program in ladder:
            rank = ladder.index(r.program)
        else:
            rank = len(ladder) + (kinds.index(r.kind) if r.kind in kinds else len(kinds))
        found[r.program] = _Program(rank, r.title, r.kind)
    return found


def _program(programs: dict[str, _Program], program: str) -> _Program:
    return programs.get(program) or _Program(99, program, "")


async def evaluation_overview(session: AsyncSession, actor: Actor, year: int) -> EvaluationOverview:
    _require_city(actor)
    repo = DashboardRepository(session)
    programs = _programs()
    runs = tuple(_run_view(r, programs) for r in await repo.evaluation_runs(10))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for program, outcome, n in await repo.outcomes(year):
        counts[program][outcome] = n
    return EvaluationOverview(year, runs, _outcome_rows(counts, programs))


def _outcome_rows(
    counts: dict[str, dict[str, int]], programs: dict[str, _Program]
) -> tuple[ProgramOutcome, ...]:
    ordered = sorted(counts, key=lambda p: (_program(programs, p).rank, _program(programs, p).title))
    return tuple(
        ProgramOutcome(p, _program(programs, p).title, _program(programs, p).kind,
                       *(counts[p].get(outcome, 0) for outcome in OUTCOMES))
        for p in ordered
    )  # fmt: skip


async def run_evaluation(session: AsyncSession, actor: Actor, year: int) -> RunSummaryRead:
    """The city's 运行评价: every firm, the rule versions in force in ``year``."""
    _require_city(actor)
    return await evaluation_service.evaluate_year(session, actor, year=year)


async def evaluation_run(session: AsyncSession, actor: Actor, run_id: str) -> RunView | None:
    _require_city(actor)
    row = await DashboardRepository(session).evaluation_run(run_id)
    return _run_view(row, _programs()) if row is not None else None


def run_messages(run: RunView) -> list[str]:
    """The flash after a run: what was evaluated and written, and who is eligible per program."""
    headline = (
        f"{run.year} 年度评价完成：{run.firms:,} 家企业，新写入 {run.evaluated:,} 条结论，"
        f"{run.unchanged:,} 条与上次相同未重复写入（用时 {run.seconds:.1f} 秒）。"
    )
    eligible = "，".join(f"{row.title} {row.eligible:,} 家" for row in run.rows)
    messages = [headline, f"符合条件：{eligible}。" if eligible else "本次没有评价任何项目。"]
    if run.not_in_force:
        programs = _programs()
        titles = "、".join(_program(programs, p).title for p in run.not_in_force)
        messages.append(f"评价日没有生效版本、未评价：{titles}。")
    return messages
