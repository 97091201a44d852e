"""The fact schema: every name a rule may read, with its type, unit and meaning.

Facts come in namespaces:

* ``firm.*``: the firm itself (registration date, bureau, zone, field, enterprise or not).
* ``filing.*``: figures of the measured fiscal year (the year before the application year);
  ``filing_y1.*``, ``filing_y2.*``, ``filing_y3.*``: one, two and three years earlier.
* ``window.*``: multi-year figures derived from those (3-year R&D ratio, 4-year average …).
* ``cert.<kind>.*``: certificates on the as-of date (valid, ever held, first and latest issue).
* ``history.<tier>.*`` and ``history.award.<program>.*``: tiers held and awards received before.
* ``result.<program>.*`` and ``award.<program>.*``: another program's decision in the same run.
* ``input.*``: figures that only an application supplies (a loan's daily balance …).
* ``as_of`` and ``year``: the measurement date and the application year.

A missing fact is ``unknown``, never zero and never a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast

from vocabulary.figures import FILING_FIGURES, Figure, label_of
from vocabulary.ladder import CERTIFICATE_DOCUMENTS, TIER_LABELS

FactType = Literal["number", "bool", "date", "str"]
Advice = Literal["up", "down", "none", "expert"]  # which way a firm can move it, if at all


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    label: str  # Chinese, as a user reads it
    unit: str = ""  # yuan | ratio | count | persons | years | points | ""
    advice: Advice = "none"
    choices: tuple[str, ...] = ()  # allowed values of a str fact

    def describe(self) -> str:
        extra = f"，取值 {'/'.join(self.choices)}" if self.choices else ""
        unit = f"（{self.unit}）" if self.unit else ""
        return f"{self.name}: {self.type}{unit} — {self.label}{extra}"


def _filing_field(figure: Figure) -> FactSpec:
    fact_type = cast(FactType, figure.fact_type)
    return FactSpec(
        figure.name,
        fact_type,
        figure.label,
        figure.unit.value,
        figure.advice.value,
        figure.codes,
    )


# Filing figures: the vocabulary's, under the filing table's column names; money in integer 元.
FILING_FIELDS: tuple[FactSpec, ...] = tuple(_filing_field(figure) for figure in FILING_FIGURES)
FILING_YEARS = ("filing", "filing_y1", "filing_y2", "filing_y3")  # measured year, then earlier
YEAR_LABELS = {
    "filing": "上一年度",
    "filing_y1": "前两年度",
    "filing_y2": "前三年度",
    "filing_y3": "前四年度",
}

WINDOW_FACTS: tuple[FactSpec, ...] = (
    FactSpec("window.years_3y", "number", "近三年窗口实际年数（成立不足三年按实际年数）", "years"),
    FactSpec("window.revenue_sum_3y", "number", "近三年营业收入合计", "yuan", "up"),
    FactSpec("window.rd_sum_3y", "number", "近三年研发费用合计", "yuan", "up"),
    FactSpec("window.rd_ratio_3y", "number", "近三年研发费用占同期营业收入比例", "ratio", "up"),
    FactSpec("window.rd_domestic_share_3y", "number", "近三年境内研发费用占研发费用比例", "ratio", "up"),
    FactSpec("window.rd_ratio_avg_4y", "number", "近四年研发费用占营业收入比例的平均值", "ratio", "up"),
    FactSpec("window.revenue_growth_1y", "number", "上一年营业收入增长率", "ratio", "up"),
    FactSpec("window.revenue_first_3y", "number", "三年复合增长的起始年营业收入", "yuan", "up"),
    FactSpec("window.revenue_cagr_3y", "number", "近三年营业收入复合增长率", "ratio", "up"),
    FactSpec("window.employees_first_3y", "number", "三年复合增长的起始年职工总数", "persons", "up"),
    FactSpec("window.employees_cagr_3y", "number", "近三年职工总数复合增长率", "ratio", "up"),
    FactSpec(
        "window.hte_sales_growth", "number", "高企成长性：销售收入增长率（工作指引公式）", "ratio", "up"
    ),
    FactSpec(
        "window.hte_net_assets_growth", "number", "高企成长性：净资产增长率（工作指引公式）", "ratio", "up"
    ),
    FactSpec("window.tech_transformations_avg_3y", "number", "近三年年均科技成果转化数", "count", "up"),
)

CERT_KINDS = {str(kind): document for kind, document in CERTIFICATE_DOCUMENTS.items()}
TIERS = {str(tier): label for tier, label in TIER_LABELS.items()}

INPUT_FACTS: tuple[FactSpec, ...] = (
    FactSpec(
        "input.loan_avg_daily_balance_yuan", "number", "贷款任意连续12个月日均余额（申请材料）", "yuan", "up"
    ),
    FactSpec("input.loan_non_low_risk", "bool", "贷款为银行业金融机构发放的非低风险贷款（申请材料）"),
)


def _firm_facts() -> list[FactSpec]:
    zones = ("teda", "bonded", "hightech", "dongjiang", "ecocity")
    return [
        FactSpec("firm.registered_on", "date", label_of("registered_on")),
        FactSpec("firm.is_enterprise", "bool", "企业法人（统一社会信用代码以91开头）"),
        FactSpec("firm.bureau", "str", label_of("bureau")),
        FactSpec("firm.district", "str", label_of("district")),
        FactSpec("firm.zone", "str", label_of("zone"), choices=zones),
        FactSpec("firm.tech_field", "str", label_of("tech_field")),
    ]


def _filing_facts() -> list[FactSpec]:
    facts = []
    for prefix in FILING_YEARS:
        label = YEAR_LABELS[prefix]
        facts.append(FactSpec(f"{prefix}.filed", "bool", f"{label}已申报"))
        facts.extend(
            FactSpec(
                f"{prefix}.{f.name}",
                f.type,
                f"{label}{f.label}",
                f.unit,
                f.advice if prefix == "filing" else "none",
                f.choices,
            )
            for f in FILING_FIELDS
        )
    return facts


def _cert_facts() -> list[FactSpec]:
    facts = []
    for kind, label in CERT_KINDS.items():
        facts += [
            FactSpec(f"cert.{kind}.valid", "bool", f"评价基准日持有有效的{label}", advice="up"),
            FactSpec(f"cert.{kind}.ever", "bool", f"基准日前曾取得{label}"),
            FactSpec(f"cert.{kind}.count", "number", f"基准日前取得{label}的次数", "count"),
            FactSpec(f"cert.{kind}.first_issued_on", "date", f"首次取得{label}的日期"),
            FactSpec(f"cert.{kind}.latest_issued_on", "date", f"最近一次取得{label}的日期"),
        ]
    return facts


def _history_facts(award_programs: Iterable[str]) -> list[FactSpec]:
    facts = []
    for tier, label in TIERS.items():
        facts += [
            FactSpec(f"history.{tier}.held", "bool", f"基准日为{label}（已入库且未失效）"),
            FactSpec(f"history.{tier}.ever", "bool", f"基准日前曾入库为{label}"),
            FactSpec(f"history.{tier}.first_year", "number", f"首次入库为{label}的年度"),
            FactSpec(f"history.{tier}.admitted_this_year", "bool", f"申报年度入库为{label}"),
        ]
    for program in award_programs:
        facts += [
            FactSpec(f"history.award.{program}.received", "bool", f"以前年度已获得奖励 {program}"),
            FactSpec(
                f"history.award.{program}.total_yuan",
                "number",
                f"以前年度获得奖励 {program} 的金额合计",
                "yuan",
            ),
        ]
    return facts


def _result_facts(programs: Iterable[str], award_programs: Iterable[str]) -> list[FactSpec]:
    facts = []
    for program in programs:
        facts += [
            FactSpec(f"result.{program}.eligible", "bool", f"同一次评价中 {program} 的结论为符合"),
            FactSpec(
                f"result.{program}.failing", "number", f"同一次评价中 {program} 未达标的条件数", "count"
            ),
        ]
    for program in award_programs:
        facts += [
            FactSpec(f"award.{program}.eligible", "bool", f"同一次评价中符合奖励 {program}"),
            FactSpec(f"award.{program}.amount", "number", f"同一次评价中奖励 {program} 的金额", "yuan"),
        ]
    return facts


@dataclass(frozen=True)
class FactSchema:
    """All declared facts, for a given set of programs (results and awards name programs)."""

    facts: dict[str, FactSpec]

    @classmethod
    def build(cls, programs: Iterable[str] = (), award_programs: Iterable[str] = ()) -> FactSchema:
        programs, award_programs = sorted(programs), sorted(award_programs)
        specs = [
            *_firm_facts(),
            *_filing_facts(),
            *WINDOW_FACTS,
            *_cert_facts(),
            *_history_facts(award_programs),
            *_result_facts(programs, award_programs),
            *INPUT_FACTS,
        ]
        return cls({spec.name: spec for spec in specs})

    def get(self, name: str) -> FactSpec | None:
        return self.facts.get(name)

    def describe(self) -> str:
        """The schema as text, grouped by namespace (``tidu rules facts``)."""
        lines = ["变量：as_of: date — 评价基准日；year: number — 申报（评价）年度", ""]
        namespace = ""
        for name, spec in self.facts.items():
            head = name.split(".")[0]
            if head != namespace:
                namespace = head
                lines.append(f"[{head}]")
            lines.append("  " + spec.describe())
        return "\n".join(lines)
