"""The ladder's rungs, the certificates beside it and the programs that decide them, with their names.

Tiers in order (雏鹰 → 瞪羚 → 科技领军培育 → 科技领军) with the prefix of their admission numbers;
certificate kinds with the name of the document; every program a rule set decides with the
name a person reads. A rule set names its program by code; its title comes from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    seedling = "seedling"
    gazelle = "gazelle"
    leader_candidate = "leader_candidate"
    leader = "leader"


@dataclass(frozen=True)
class TierSpec:
    tier: Tier
    label: str
    prefix: str  # admission numbers: TJ-CY-2025-01-0001 (tier, year, batch, sequence)


TIERS: tuple[TierSpec, ...] = (  # the ladder, lowest rung first
    TierSpec(Tier.seedling, "雏鹰企业", "CY"),
    TierSpec(Tier.gazelle, "瞪羚企业", "DL"),
    TierSpec(Tier.leader_candidate, "科技领军培育企业", "LJPY"),
    TierSpec(Tier.leader, "科技领军企业", "LJ"),
)
TIER_LABELS: dict[str, str] = {spec.tier: spec.label for spec in TIERS}
TIER_PREFIXES: dict[str, str] = {spec.tier: spec.prefix for spec in TIERS}
TIER_ORDER: dict[Tier, int] = {spec.tier: rank for rank, spec in enumerate(TIERS)}


class CertificateKind(StrEnum):
    hte = "hte"
    hte_municipal = "hte_municipal"
    tech_sme = "tech_sme"  # 入库登记编号, renewed every year
    software_enterprise = "software_enterprise"
    software_product = "software_product"


@dataclass(frozen=True)
class CertificateSpec:
    kind: CertificateKind
    label: str  # the status it proves
    document: str  # the document itself


CERTIFICATES: tuple[CertificateSpec, ...] = (
    CertificateSpec(CertificateKind.hte, "国家高新技术企业", "国家高新技术企业证书"),
    CertificateSpec(CertificateKind.hte_municipal, "天津市高新技术企业", "天津市高新技术企业证书"),
    CertificateSpec(CertificateKind.tech_sme, "科技型中小企业", "科技型中小企业入库登记"),
    CertificateSpec(CertificateKind.software_enterprise, "软件企业", "软件企业证书"),
    CertificateSpec(CertificateKind.software_product, "软件产品", "软件产品证书"),
)
CERTIFICATE_LABELS: dict[str, str] = {spec.kind: spec.label for spec in CERTIFICATES}
CERTIFICATE_DOCUMENTS: dict[str, str] = {spec.kind: spec.document for spec in CERTIFICATES}


class ProgramKind(StrEnum):
    tier = "tier"
    certificate = "certificate"
    pool = "pool"
    score_index = "index"  # a score, not a yes or no
    award = "award"


PROGRAM_KIND_LABELS: dict[str, str] = {
    ProgramKind.tier: "梯度",
    ProgramKind.certificate: "资质认定",
    ProgramKind.pool: "培育库",
    ProgramKind.score_index: "指数",
    ProgramKind.award: "奖励",
}


@dataclass(frozen=True)
class Program:
    code: str
    kind: ProgramKind
    title: str


PROGRAMS: tuple[Program, ...] = (
    Program("seedling", ProgramKind.tier, "天津市雏鹰企业"),
    Program("gazelle", ProgramKind.tier, "天津市瞪羚企业"),
    Program("leader_candidate", ProgramKind.tier, "天津市科技领军培育企业"),
    Program("leader", ProgramKind.tier, "天津市科技领军企业"),
    Program("hte", ProgramKind.certificate, "国家高新技术企业"),
    Program("tech_sme", ProgramKind.certificate, "科技型中小企业"),
    Program("hte_pool", ProgramKind.pool, "高新技术企业培育库"),
    Program("innovation_index", ProgramKind.score_index, "科技企业创新指数"),
    Program("gazelle_first", ProgramKind.award, "瞪羚企业首次入库奖励"),
    Program("seedling_loan", ProgramKind.award, "雏鹰企业贷款奖励"),
    Program("rd_post_subsidy", ProgramKind.award, "企业研发投入后补助"),
    Program("hte_city_first", ProgramKind.award, "天津市高新技术企业首次认定奖励（市级）"),
    Program("hte_city_re", ProgramKind.award, "天津市高新技术企业重新认定奖励（市级）"),
    Program("teda_hte_first", ProgramKind.award, "经开区高新技术企业首次认定奖励（旧办法）"),
    Program("hightech_double_five", ProgramKind.award, "滨海高新区“双五”企业奖励（科企六条）"),
    Program("hightech_gazelle_match", ProgramKind.award, "滨海高新区瞪羚企业配套奖励（科企六条）"),
    Program("hightech_leader_candidate", ProgramKind.award, "滨海高新区科技领军培育企业奖励（科企六条）"),
    Program("hightech_leader", ProgramKind.award, "滨海高新区科技领军企业奖励（科企六条）"),
)
PROGRAMS_BY_CODE: dict[str, Program] = {program.code: program for program in PROGRAMS}


def program_title(code: str) -> str:
    """A program's name as a person reads it (the code itself for a program nobody declared)."""
    program = PROGRAMS_BY_CODE.get(code)
    return program.title if program else code
