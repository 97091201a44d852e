"""Load a realistic synthetic registry into an empty database (``tidu demo``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.awards import service as award_service
from backend.core import clock
from backend.core.errors import Conflict
from backend.core.security import Actor
from backend.demo.generator import DemoFirm, DemoGenerator, DemoHistory
from backend.demo.repository import DemoRepository
from backend.evaluations import service as evaluation_service
from backend.models import Source
from backend.system import service as system
from backend.tiers import service as tier_service
from backend.users import service as user_service
from backend.users.schemas import NewUser
from vocabulary.states import Role

DEMO_USERS = (
    # username, password, role, display name, binding
    ("admin", "tidu-admin", Role.admin, "系统管理员", None),
    ("city", "tidu-city", Role.city, "市科技局 企业服务处", None),
    ("finance", "tidu-finance", Role.finance, "市科技局 财务处", None),
    ("jinghai", "tidu-bureau", Role.bureau, "静海区科技局", "jinghai"),
    ("enterprise", "tidu-enterprise", Role.enterprise, "企业用户（静海区示例企业）", "firm"),
)
# 静海区 work plan of 2021-09-08 (policy.md §12.2): metric, kind, unit, target, responsible
JINGHAI_2022 = (
    ("rd_intensity", "stock", "ratio", Decimal("0.032"), "区科技局、区发改委、区工信局"),
    ("invention_patents", "stock", "count", Decimal(350), "区知识产权局"),
    ("hte_total", "stock", "count", Decimal(261), "区科技局"),
    ("seedling_new", "flow", "count", Decimal(51), "区科技局"),
    ("gazelle_new", "flow", "count", Decimal(27), "区科技局"),
    ("leader_cumulative", "cumulative", "count", Decimal(12), "区科技局"),
    ("contract_turnover_yuan", "flow", "yuan", Decimal(2_600_000_000), "区科技局"),
)


class RegistryNotEmpty(Conflict):
    code = "demo.not_empty"


@dataclass(frozen=True)
class DemoYear:
    """The application year the demo opens: what a newcomer finds to review, list and pay."""

    year: int
    decisions: int  # evaluations stored
    batch_label: str
    candidates: int  # nominated into the year's first batch
    awards: int  # computed, waiting for district review


@dataclass(frozen=True)
class DemoResult:
    counts: dict[str, int]
    users: list[tuple[str, str, str]]  # username, password, role label
    year: DemoYear


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


async def load_demo(session: AsyncSession, actor: Actor, *, firms: int, seed: int) -> DemoResult:
    """Generate ``firms`` firms with 3 fiscal years, certificates, tiers, targets and demo users."""
    if not await system.is_empty(session):
        raise RegistryNotEmpty("登记库中已有企业；示例数据只生成在空库中")
    today = clock.today()
    last_year = today.year - 1  # the latest complete fiscal year
    generator = DemoGenerator(seed, last_year - 2, last_year)
    generated = generator.firms(firms)
    history = DemoHistory(generator.rng, generator.years, today)
    for firm in generated:
        history.populate(firm)
    repo = DemoRepository(session)
    ids = await _store_firms(repo, generated)
    await _store_filings(repo, generated, ids, generator)
    await _store_certificates(repo, generated, ids)
    await _store_tiers(repo, generated, ids)
    await repo.targets(_targets(generated, last_year))
    users = await _create_users(session, actor, generated, ids)
    counts = await system.counts(session)
    await audit.record(session, actor, "demo.load", "registry", "demo", after={"seed": seed, **counts})
    return DemoResult(counts=counts, users=users, year=await _open_year(session, actor, today.year))


async def _open_year(session: AsyncSession, actor: Actor, year: int) -> DemoYear:
    """Decide ``year`` on the demo filings, open its first admission batch with the eligible firms
    as candidates and compute its awards, so each role's lists and reviews have something in them."""
    decided = await evaluation_service.evaluate_year(session, actor, year=year)
    batch = await tier_service.create_batch(session, actor, year)
    nominated = await tier_service.nominate(session, actor, batch.id)
    awards = await award_service.compute_awards(session, actor, year)
    return DemoYear(year, decided.evaluated, batch.label, sum(nominated.created.values()), awards.created)


async def _store_firms(repo: DemoRepository, firms: list[DemoFirm]) -> list[int]:
    now = clock.utc_now()
    identity = [
        {
            "name": f.name,
            "legal_form": f.legal_form,
            "bureau_code": f.bureau_code,
            "district_code": f.district_code,
            "functional_zone": f.functional_zone,
            "registered_on": f.registered_on,
            "tech_field": f.tech_field,
        }
        for f in firms
    ]
    ids = await repo.firms(
        [
            {
                **row,
                "uscc": f.uscc,
                "uscc_status": "valid",
                "revision_no": 1,
                "created_at": now,
                "updated_at": now,
            }
            for row, f in zip(identity, firms, strict=True)
        ]
    )
    await repo.firm_revisions(
        [
            {**row, "firm_id": firm_id, "revision_no": 1, "source": Source.demo.value, "created_at": now}
            for row, firm_id in zip(identity, ids, strict=True)
        ]
    )
    return ids


async def _store_filings(
    repo: DemoRepository, firms: list[DemoFirm], ids: list[int], gen: DemoGenerator
) -> None:
    keys, revisions = [], []
    for firm, firm_id in zip(firms, ids, strict=True):
        for year, figures in sorted(firm.filings.items()):
            corrected = year == gen.years[-1] and figures["revenue_yuan"] and gen.rng.random() < 0.05
            filed_at = _at(date(year + 1, 4, 20))
            keys.append(
                {
                    "firm_id": firm_id,
                    "fiscal_year": year,
                    "current_revision_no": 2 if corrected else 1,
                    "created_at": filed_at,
                    "updated_at": filed_at,
                }
            )
            revisions.append(
                [{**figures, "revision_no": 1, "source": Source.demo.value, "created_at": filed_at}]
            )
            if corrected:  # a bureau's check found the filed revenue wrong: history to look at
                fixed = {
                    **figures,
                    "revenue_yuan": round(figures["revenue_yuan"] * gen.rng.uniform(0.85, 0.98)),
                }
                revisions[-1].append(
                    {
                        **fixed,
                        "revision_no": 2,
                        "source": Source.demo.value,
                        "note": "区科技局核对审计报告后更正营业收入",
                        "created_at": _at(date(year + 1, 6, 3)),
                    }
                )
    filing_ids = await repo.filings(keys)
    await repo.filing_revisions(
        [
            {**rev, "filing_id": filing_id}
            for filing_id, revs in zip(filing_ids, revisions, strict=True)
            for rev in revs
        ]
    )


async def _store_certificates(repo: DemoRepository, firms: list[DemoFirm], ids: list[int]) -> None:
    now = clock.utc_now()
    await repo.certificates(
        [
            {**c, "firm_id": firm_id, "status": "active", "source": Source.demo.value, "created_at": now}
            for firm, firm_id in zip(firms, ids, strict=True)
            for c in firm.certificates
        ]
    )


async def _store_tiers(repo: DemoRepository, firms: list[DemoFirm], ids: list[int]) -> None:
    statuses, transitions = [], []
    for firm, firm_id in zip(firms, ids, strict=True):
        for tier in firm.tiers:
            last = _at(tier["transitions"][-1][2])
            statuses.append(
                {
                    **{k: v for k, v in tier.items() if k != "transitions"},
                    "firm_id": firm_id,
                    "created_at": _at(tier["transitions"][0][2]),
                    "updated_at": last,
                }
            )
            transitions.append(tier["transitions"])
    status_ids = await repo.tier_statuses(statuses)
    await repo.tier_transitions(
        [
            {
                "tier_status_id": status_id,
                "from_state": before,
                "to_state": after,
                "at": _at(day),
                "reason": reason,
                "actor_label": "demo",
            }
            for status_id, steps in zip(status_ids, transitions, strict=True)
            for before, after, day, reason in steps
        ]
    )


def _targets(firms: list[DemoFirm], last_year: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "bureau_code": "jinghai",
            "year": 2022,
            "metric": m,
            "kind": k,
            "unit": u,
            "target": t,
            "responsible": r,
        }
        for m, k, u, t, r in JINGHAI_2022
    ]
    per_bureau: dict[str, int] = {}
    for firm in firms:
        per_bureau[firm.bureau_code] = per_bureau.get(firm.bureau_code, 0) + 1
    for bureau, count in sorted(per_bureau.items()):
        for year in (last_year, last_year + 1):
            growth = 1 + 0.08 * (year - last_year)
            for metric, kind, share in (
                ("hte_total", "stock", 0.32),
                ("seedling_new", "flow", 0.07),
                ("gazelle_new", "flow", 0.012),
            ):
                rows.append(
                    {
                        "bureau_code": bureau,
                        "year": year,
                        "metric": metric,
                        "kind": kind,
                        "unit": "count",
                        "target": Decimal(max(1, round(count * share * growth))),
                        "responsible": "区科技局",
                    }
                )
    return rows


async def _create_users(
    session: AsyncSession, actor: Actor, firms: list[DemoFirm], ids: list[int]
) -> list[tuple[str, str, str]]:
    showcase = _showcase_firm(firms)
    created = []
    for username, password, role, display_name, binding in DEMO_USERS:
        await user_service.create_user(
            session,
            actor,
            NewUser(
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                bureau_code=binding if role is Role.bureau else None,
                firm_uscc=showcase.uscc if binding == "firm" else None,
            ),
        )
        created.append(
            (
                username,
                password,
                display_name if role is not Role.enterprise else f"{display_name}：{showcase.name}",
            )
        )
    return created


def _showcase_firm(firms: list[DemoFirm]) -> DemoFirm:
    """A 静海区 firm with an admitted tier and certificates, so the enterprise login has a story."""
    in_jinghai = [f for f in firms if f.bureau_code == "jinghai"]
    ranked = sorted(
        in_jinghai,
        key=lambda f: (any(t["state"] == "admitted" for t in f.tiers), len(f.certificates), len(f.filings)),
        reverse=True,
    )
    return ranked[0] if ranked else firms[0]
