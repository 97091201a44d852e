"""Pages of the rulesets domain (server-rendered, same services as the API).

``/rules`` lists every program and version, ``/rules/{program}/{version}`` shows one version's
thresholds with their sources and the form that compares it with another (``/rules/diff``, an
evaluation: ``backend.evaluations.pages``).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.core import clock
from backend.core.db import SessionDep
from backend.reference import service as reference
from backend.rulesets import service as ruleset_service
from backend.rulesets.schemas import RuleSetSummary
from backend.web.render import render
from backend.web.session import ViewerDep
from vocabulary.ladder import PROGRAM_KIND_LABELS, Tier

pages = APIRouter(include_in_schema=False)


def _listing_order(summary: RuleSetSummary) -> tuple[int, int, str, date]:
    """Tiers up the ladder first, then certificates, pools, indices and awards; versions oldest first."""
    kinds = list(PROGRAM_KIND_LABELS)
    ladder = [t.value for t in Tier]
    kind = kinds.index(summary.kind) if summary.kind in kinds else len(kinds)
    rung = ladder.index(summary.program) if summary.program in ladder else len(ladder)
    return kind, rung, summary.program, summary.effective_from


@pages.get("/rules")
async def rules_page(request: Request, viewer: ViewerDep) -> Response:
    """Every program with its versions, effective dates and which one is in force today."""
    programs: dict[str, list[RuleSetSummary]] = {}
    for summary in sorted(ruleset_service.list_rulesets(), key=_listing_order):
        programs.setdefault(summary.program, []).append(summary)
    context = {
        "programs": programs,
        "kind_labels": PROGRAM_KIND_LABELS,
        "rejected": ruleset_service.rejected(),
        "today": clock.today(),
    }
    return render(request, "rulesets/index.html", context)


@pages.get("/rules/{program}/{version}")
async def ruleset_page(
    request: Request, session: SessionDep, viewer: ViewerDep, program: str, version: str
) -> Response:
    """One version: params (value, unit, source, 暂定 or confirmed), criteria, and the comparison form."""
    detail = ruleset_service.ruleset_detail(program, version)
    versions = [s for s in ruleset_service.list_rulesets() if s.program == program]
    names = [s.version for s in versions]
    at = names.index(version)
    # The form proposes this version against the one before it (the oldest: against the next).
    old, new = (names[at - 1], version) if at > 0 else (version, names[min(1, len(names) - 1)])
    context = {
        "rule": detail,
        "versions": versions,
        "compare_old": old,
        "compare_new": new,
        "today": clock.today(),
        "bureaus": await reference.bureaus(session),
        "kind_labels": PROGRAM_KIND_LABELS,
    }
    return render(request, "rulesets/detail.html", context)
