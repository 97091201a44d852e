"""复评: each year, every firm admitted in an earlier year is checked against that year's decision.

``eligible`` keeps the membership (``admitted → admitted``, ``last_reviewed_year`` set);
``ineligible`` revokes it, naming the failed criteria; ``unknown`` or no decision changes
nothing and is listed as 资料不全，待补充 — never silently kept or revoked. A firm that passed
this year's 复评 already is not reviewed again, so a second run changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.core.security import Actor
from backend.models import Firm, TierStatus
from backend.tiers import transitions
from backend.tiers.repository import Decision, TierRepository
from backend.tiers.schemas import AnnualReviewItem, AnnualReviewRead
from backend.tiers.service import require_city
from vocabulary.states import TierState

INCOMPLETE = "资料不全，待补充"


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for key in ("all", "any"):
        for child in node.get(key) or []:
            yield from _walk(child)


def failed_criteria(decision: Decision, document: dict[str, Any] | None) -> str:
    """The failed conditions as 「label（id）」, leaves only (a failed group is explained by them)."""
    nodes = {n["id"]: n for n in _walk(document["criteria"])} if document and "criteria" in document else {}
    failed = [cid for cid, outcome in decision.criteria.items() if outcome == "fail"]
    leaves = [cid for cid in failed if not (nodes.get(cid, {}).get("all") or nodes.get(cid, {}).get("any"))]
    shown = leaves or failed
    return "；".join(f"{nodes[cid]['label']}（{cid}）" if cid in nodes else cid for cid in shown) or "未写明"


def _item(status: TierStatus, firm: Firm, note: str) -> AnnualReviewItem:
    return AnnualReviewItem(
        status_id=status.id or 0, uscc=firm.uscc, firm_name=firm.name, tier=status.tier,
        admitted_year=status.year, note=note,
    )  # fmt: skip


async def annual_review(session: AsyncSession, actor: Actor, year: int) -> AnnualReviewRead:
    """Run the 复评 of ``year`` over every membership admitted before it (city staff only)."""
    require_city(actor, "进行复评")
    repo = TierRepository(session)
    members = await repo.admitted_before(year)
    decisions = await repo.decisions({firm.id or 0 for _, firm in members}, year)
    documents = await repo.documents(
        {d.ruleset_hash for d in decisions.values() if d.outcome == "ineligible"}
    )
    result = AnnualReviewRead(year=year, kept=[], revoked=[], incomplete=[], already_reviewed=0)
    for status, firm in members:
        if status.last_reviewed_year is not None and status.last_reviewed_year >= year:
            result.already_reviewed += 1
            continue
        decision = decisions.get((firm.id or 0, status.tier))
        if decision is None or decision.outcome not in ("eligible", "ineligible"):
            result.incomplete.append(_item(status, firm, INCOMPLETE))
        elif decision.outcome == "eligible":
            note = f"{year}年复评通过"
            await transitions.move(
                session, actor, status, firm, TierState.admitted, note, last_reviewed_year=year
            )
            result.kept.append(_item(status, firm, note))
        else:
            note = f"{year}年复评未通过：" + failed_criteria(decision, documents.get(decision.ruleset_hash))
            await transitions.move(
                session, actor, status, firm, TierState.revoked, note, valid_to=clock.today()
            )
            result.revoked.append(_item(status, firm, note[:500]))
    return result
