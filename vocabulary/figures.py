"""Every figure a firm files for a fiscal year and every attribute of a firm, declared once.

A declaration says what the value is (kind, unit, bounds, choices), how a person reads it
(label, help), where it comes from (whether the firm can supply it itself), how a workbook names
it (header and synonyms) and which way a firm can move it. The rules' fact schema, the filing
workbook's columns, the API's filing schema, validation messages and the what-if form all read
these declarations; the SQLModel table classes are held equal to them by a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vocabulary.units import MONEY_INPUT_UNIT, UNIT_WORDS, Unit

# Upper bound of any amount in 元 (100万亿元): above any company's assets, far below bigint,
# and below 2**53 so JSON clients read every amount exactly.
MAX_YUAN = 10**14
# Upper bound of any count of people, patents or projects: far below a PostgreSQL integer.
MAX_COUNT = 10_000_000


class Kind(StrEnum):
    """What sort of value a figure is: decides its type, its workbook column and its form field."""

    money = "money"  # integer 元
    quantity = "count"  # whole number ≥ 0
    score = "score"  # points an expert gives
    rank = "rank"  # a place in a list, 1 first
    prize = "prize"  # a contest prize, 1 特等奖 … 5 优秀奖
    level = "level"  # one of ``choices``
    flag = "flag"  # yes / no
    date = "date"
    year = "year"
    text = "text"
    code = "code"  # a credit code, bureau, district, zone or field code


class Supplier(StrEnum):
    """Who can supply a figure: the firm itself, its bureau, a register, or experts."""

    firm = "firm"
    bureau = "bureau"
    register = "register"
    expert = "expert"


class Advice(StrEnum):
    """Which way a firm can move a figure to meet a criterion, if at all."""

    up = "up"
    down = "down"
    none = "none"
    expert = "expert"  # only experts' scoring changes it


@dataclass(frozen=True)
class Choice:
    code: str  # stored and sent by the API
    label: str  # how a person reads it
    written: tuple[str, ...] = ()  # other ways a workbook writes it (国家, 省级 …); the label is read too


@dataclass(frozen=True)
class Figure:
    name: str  # the column, field and fact name
    label: str  # Chinese, as a firm owner reads it
    kind: Kind
    unit: Unit = Unit.none
    help: str = ""  # one short sentence for the firm owner filling it in
    header: str = ""  # the filing workbook's header; the label when empty
    synonyms: tuple[str, ...] = ()  # other headers bureaus write for it
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[Choice, ...] = ()
    supplier: Supplier = Supplier.firm
    advice: Advice = Advice.none
    required: bool = False  # a workbook without this column is refused

    @property
    def fact_type(self) -> str:
        """The rules' fact type: number, bool, date or str."""
        if self.kind in (Kind.money, Kind.quantity, Kind.score, Kind.rank, Kind.prize, Kind.year):
            return "number"
        if self.kind is Kind.flag:
            return "bool"
        if self.kind is Kind.date:
            return "date"
        return "str"

    @property
    def column_header(self) -> str:
        return self.header or self.label

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(choice.code for choice in self.choices)

    def choice_label(self, code: str) -> str:
        return next((choice.label for choice in self.choices if choice.code == code), code)

    @property
    def firm_supplies(self) -> bool:
        return self.supplier is Supplier.firm

    @property
    def entry_unit(self) -> str:
        """The unit a person types the figure in: money in 万元, counts with 人/项."""
        return MONEY_INPUT_UNIT if self.kind is Kind.money else UNIT_WORDS[self.unit]


def _money(name: str, label: str, help: str = "", **more: object) -> Figure:
    """An amount in 元 (entered in 万元); never negative unless ``minimum`` says so."""
    values: dict[str, object] = {"minimum": 0, "maximum": MAX_YUAN} | more
    return Figure(name, label, Kind.money, Unit.yuan, help, **values)  # type: ignore[arg-type]


def _count(name: str, label: str, unit: Unit, help: str = "", **more: object) -> Figure:
    values: dict[str, object] = {"minimum": 0, "maximum": MAX_COUNT} | more
    return Figure(name, label, Kind.quantity, unit, help, **values)  # type: ignore[arg-type]


def _flag(name: str, label: str, header: str, synonyms: tuple[str, ...], supplier: Supplier) -> Figure:
    return Figure(name, label, Kind.flag, header=header, synonyms=synonyms, supplier=supplier)


def _levels(
    *extra: Choice, provincial_written: tuple[str, ...] = ("省级", "省部级", "市级")
) -> tuple[Choice, ...]:
    """国家级 / 省部级 / 无: Tianjin's municipal level counts as 省部级 (a municipality is a province)."""
    return (
        Choice("national", "国家级", ("国家级", "国家")),
        Choice("provincial", "省部级", provincial_written),
        *extra,
        Choice("none", "无", ("无", "否")),
    )


NONE_FORMS = ("无", "否")

FILING_FIGURES: tuple[Figure, ...] = (
    _money("revenue_yuan", "营业收入", "上一会计年度利润表中的营业收入", header="上年营业收入", advice=Advice.up,
           synonyms=("营业收入", "上年度营业收入", "上一年营业收入", "近一年营业收入", "营业总收入", "销售收入", "主营业务收入")),
    _money("total_income_yuan", "总收入", "营业收入与营业外收入等之和（高企认定用）", advice=Advice.up,
           synonyms=("收入总额", "上年总收入")),
    _money("hitech_revenue_yuan", "高新技术产品（服务）收入", "主要产品（服务）属于国家重点支持的高新技术领域的收入",
           header="高新技术产品(服务)收入", advice=Advice.up, synonyms=("高新技术产品收入", "高新技术服务收入", "高品收入")),
    _money("rd_expense_yuan", "研发费用", "按研发费用加计扣除口径归集的研究开发费用总额", advice=Advice.up,
           synonyms=("研发投入", "研究开发费用", "R&D支出", "R&D经费支出", "研发经费", "研发费用总额", "研发支出")),
    _money("rd_domestic_yuan", "境内研发费用", "在中国境内发生的研究开发费用", advice=Advice.up,
           synonyms=("境内研究开发费用", "中国境内研发费用")),
    _money("total_cost_yuan", "成本费用总额", "营业成本与期间费用之和（科技型中小企业评价用）",
           synonyms=("成本费用", "成本及费用总额")),
    _money("total_assets_yuan", "资产总额", "上年末资产负债表中的资产总计", synonyms=("总资产", "资产合计")),
    _money("net_assets_yuan", "净资产", "上年末所有者权益合计，可为负数", minimum=-MAX_YUAN, advice=Advice.up,
           synonyms=("所有者权益", "净资产总额", "所有者权益合计")),
    _count("employees", "职工总数", Unit.persons, "上年度月平均职工人数（含兼职、临时聘用人员）",
           synonyms=("从业人员", "员工人数", "职工人数", "从业人数", "员工总数")),
    _count("tech_staff", "科技人员数", Unit.persons, "直接从事研发和相关技术创新活动的人员数", advice=Advice.up,
           synonyms=("科技人员", "科技人员数量", "研发人员数")),
    _count("ip_class1", "有效I类知识产权", Unit.pieces, "有效的发明专利、植物新品种、集成电路布图设计等",
           header="I类知识产权数(有效)", advice=Advice.up,
           synonyms=("I类知识产权", "I类知识产权数", "一类知识产权", "有效I类知识产权")),
    _count("ip_class2", "有效II类知识产权", Unit.pieces, "有效的实用新型专利、外观设计专利、软件著作权等",
           header="II类知识产权数(有效)", advice=Advice.up,
           synonyms=("II类知识产权", "II类知识产权数", "二类知识产权", "有效II类知识产权")),
    _count("tech_transformations", "科技成果转化数", Unit.pieces, "当年实现转化的科技成果项数", advice=Advice.up,
           synonyms=("成果转化数", "科技成果转化")),
    _money("max_single_vc_yuan", "单笔单家创业投资最大额", "单家创业投资机构单笔投资的最大金额",
           header="单笔单家创投最大额", advice=Advice.up, synonyms=("单笔单家创业投资", "单笔单家创投", "单笔创业投资", "创业投资额")),
    Figure("contest_level", "创新创业大赛获奖级别", Kind.level, header="大赛获奖级别",
           synonyms=("创新创业大赛级别", "大赛级别"), choices=_levels()),
    Figure("contest_prize", "大赛最好名次", Kind.prize, help="特等奖、一等奖、二等奖、三等奖或优秀奖",
           header="大赛获奖名次", synonyms=("大赛名次", "获奖名次", "大赛获奖等次"), minimum=1, maximum=5),
    Figure("st_award_level", "科技奖励级别", Kind.level, synonyms=("科技奖励", "获科技奖励级别"),
           choices=_levels(provincial_written=("省部级", "省级", "部级", "市级"))),
    Figure("st_award_rank", "科技奖励完成单位排名", Kind.rank, header="科技奖励排名",
           synonyms=("获奖单位排名", "完成单位排名"), minimum=1, maximum=MAX_COUNT),
    Figure("rd_institution_level", "研发机构级别", Kind.level, help="天津市级研发机构按省部级填写",
           synonyms=("研发机构", "研发机构(级别)"),
           choices=_levels(Choice("municipal", "区级", ("区级",)),
                           provincial_written=("省部级", "省级", "市级", "天津市级"))),
    Figure("standard_level", "参与制定标准的级别", Kind.level, header="参与标准级别",
           synonyms=("参与标准", "标准级别", "参与标准(类别)"),
           choices=(Choice("international", "国际标准", ("国际标准", "国际")),
                    Choice("national", "国家标准", ("国家标准", "国家")),
                    Choice("industry", "行业标准", ("行业标准", "行业")),
                    Choice("local", "地方标准", ("地方标准", "地方")),
                    Choice("group", "团体标准", ("团体标准", "团体")),
                    Choice("enterprise", "企业标准", ("企业标准", "企业")),
                    Choice("none", "无", NONE_FORMS))),
    Figure("standard_role", "在标准制定中的作用", Kind.level, header="标准制定角色",
           synonyms=("标准制定作用", "标准角色"),
           choices=(Choice("led", "主导", ("主导", "主持", "牵头")),
                    Choice("participated", "参与", ("参与", "参加")),
                    Choice("none", "无", NONE_FORMS))),
    Figure("project_level", "承担科技计划项目级别", Kind.level, header="科技计划项目级别",
           synonyms=("科技计划项目", "承担科技计划项目"), choices=_levels()),
    _flag("research_misconduct", "科研严重失信", "科研严重失信", ("科研严重失信行为", "科研失信"), Supplier.register),
    _flag("abnormal_operation", "列入经营异常名录", "经营异常名录", ("列入经营异常名录", "经营异常"), Supplier.register),
    _flag("serious_violation", "列入严重违法失信企业名单", "严重违法失信名单",
          ("严重违法失信企业名单", "列入严重违法失信企业名单", "严重违法失信"), Supplier.register),
    _flag("major_incident", "重大安全、质量事故或严重环境违法", "重大安全质量事故或严重环境违法",
          ("重大安全事故", "重大质量事故", "严重环境违法", "重大事故"), Supplier.bureau),
    _flag("serious_fraud", "严重弄虚作假", "严重弄虚作假", ("弄虚作假",), Supplier.bureau),
    Figure("hte_score_ip_quality", "高企知识产权评分", Kind.score, Unit.points,
           "技术先进程度、对主要产品的核心支持作用、获得方式三项的专家评分，满分22分",
           header="高企知识产权质量评分", synonyms=("知识产权评分",), minimum=0, maximum=22,
           supplier=Supplier.expert, advice=Advice.expert),
    Figure("hte_score_conversion", "高企科技成果转化能力评分", Kind.score, Unit.points, "专家评分，满分30分",
           header="高企成果转化能力评分", synonyms=("成果转化能力评分", "科技成果转化能力评分"), minimum=0, maximum=30,
           supplier=Supplier.expert, advice=Advice.expert),
    Figure("hte_score_management", "高企研究开发组织管理水平评分", Kind.score, Unit.points, "专家评分，满分20分",
           header="高企研发组织管理评分", synonyms=("研发组织管理评分", "研究开发组织管理水平评分"), minimum=0, maximum=20,
           supplier=Supplier.expert, advice=Advice.expert),
    Figure("hte_score_total", "高企认定专家评审总分", Kind.score, Unit.points,
           "专家评审后给出的创新能力评价总分（满分100分），由审查单位录入；有总分时以总分为准",
           synonyms=("专家评审总分", "高企专家评审总分", "高企评审总分", "高企认定评审总分", "创新能力评价总分",
                     "创新能力评价得分"),
           minimum=0, maximum=100, supplier=Supplier.expert, advice=Advice.expert),
)  # fmt: skip

TECH_FIELDS: tuple[Choice, ...] = (  # the eight fields of 国家重点支持的高新技术领域
    Choice("electronic_information", "电子信息"),
    Choice("biomedicine", "生物与新医药"),
    Choice("aerospace", "航空航天"),
    Choice("new_materials", "新材料"),
    Choice("hightech_services", "高技术服务"),
    Choice("new_energy", "新能源与节能"),
    Choice("resources_environment", "资源与环境"),
    Choice("advanced_manufacturing", "先进制造与自动化"),
)

# A firm's identity, and the columns of a filing workbook that say whose figures a row holds.
FIRM_ATTRIBUTES: tuple[Figure, ...] = (
    Figure("uscc", "统一社会信用代码", Kind.code, required=True,
           help="18位，由登记管理部门代码、机构类别代码、行政区划码、主体标识码和校验码组成",
           synonyms=("信用代码", "社会信用代码", "统一信用代码", "企业统一社会信用代码", "企业信用代码", "统一代码")),
    Figure("name", "企业名称", Kind.text, synonyms=("单位名称", "企业全称", "公司名称", "申报单位", "申报企业名称")),
    Figure("bureau", "审查单位", Kind.code, supplier=Supplier.bureau,
           synonyms=("区科技局", "所属科技局", "审查部门", "推荐单位", "受理单位")),
    Figure("district", "所属区", Kind.code, supplier=Supplier.register, synonyms=("所在区", "所属区县", "行政区", "注册区")),
    Figure("zone", "功能区", Kind.code, synonyms=("所在功能区", "所属功能区")),
    Figure("registered_on", "注册日期", Kind.date, help="营业执照上的成立日期", supplier=Supplier.register,
           synonyms=("成立日期", "注册时间", "成立时间", "注册成立日期")),
    Figure("fiscal_year", "会计年度", Kind.year, minimum=1980, maximum=2200,
           synonyms=("年度", "数据年度", "财务年度", "统计年度")),
    Figure("legal_form", "企业类型", Kind.text),
    Figure("tech_field", "技术领域", Kind.level, help="主要产品（服务）所属的国家重点支持的高新技术领域",
           choices=TECH_FIELDS),
)  # fmt: skip

FIGURES_BY_NAME: dict[str, Figure] = {figure.name: figure for figure in FILING_FIGURES}
ATTRIBUTES_BY_NAME: dict[str, Figure] = {figure.name: figure for figure in FIRM_ATTRIBUTES}
FIGURE_NAMES: tuple[str, ...] = tuple(FIGURES_BY_NAME)


def figure(name: str) -> Figure:
    """The declaration of a filing figure or firm attribute by name."""
    return FIGURES_BY_NAME.get(name) or ATTRIBUTES_BY_NAME[name]


def label_of(name: str) -> str:
    """How a person reads a figure or attribute; the name itself if none is declared."""
    found = FIGURES_BY_NAME.get(name) or ATTRIBUTES_BY_NAME.get(name)
    return found.label if found else name
