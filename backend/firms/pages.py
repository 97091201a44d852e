"""The firm search page: one box for a name or a credit code, within the viewer's scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from backend.core.db import SessionDep
from backend.core.errors import Unprocessable
from backend.core.pagination import PageParams
from backend.core.params import PageQuery
from backend.firms import service as firm_service
from backend.firms.repository import FirmFilter
from backend.reference import service as reference_service
from backend.web.paging import Pager
from backend.web.render import render
from backend.web.session import ViewerDep
from vocabulary.ladder import TIER_LABELS, Tier

pages = APIRouter(include_in_schema=False)

FIRMS_PER_PAGE = 50


@pages.get("/firms")
async def firm_search_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    q: Annotated[str, Query(max_length=100)] = "",
    bureau: Annotated[str, Query(max_length=16)] = "",
    tier: Annotated[str, Query(max_length=20)] = "",
    page: PageQuery = 1,
) -> Response:
    """Firms whose name or 统一社会信用代码 contains ``q``; a bureau sees its own firms only."""
    held = _tier(tier)
    # Bureau users are scoped by the service; the bureau filter is for those who see every bureau.
    picks_bureau = viewer.actor.sees_every_firm
    where = FirmFilter(
        text=q,
        bureau_code=(bureau or None) if picks_bureau else None,
        tier=held,
    )
    found = await firm_service.search(
        session, viewer.actor, where, PageParams(page=page, size=FIRMS_PER_PAGE)
    )
    bureaus = await reference_service.bureaus(session)
    query = {
        k: v for k, v in {"q": q.strip(), "bureau": bureau if picks_bureau else "", "tier": tier}.items() if v
    }
    context: dict[str, Any] = {
        "found": found,
        "q": q.strip(),
        "bureau": bureau,
        "tier": tier,
        "tiers": list(TIER_LABELS.items()),
        "bureaus": sorted(bureaus, key=lambda b: (b.kind != "district", b.district_code, b.code))
        if picks_bureau
        else [],
        "bureau_names": {b.code: b.name for b in bureaus},
        "filtered": bool(query),
        "pager": Pager.at("/firms", query, page=page, total=found.total, size=FIRMS_PER_PAGE),
    }
    return render(request, "firms/search.html", context)


def _tier(raw: str) -> Tier | None:
    if not raw:
        return None
    try:
        return Tier(raw)
    except ValueError:
        raise Unprocessable("tier", raw, "梯度应为 " + "、".join(TIER_LABELS.values()) + " 之一") from None
