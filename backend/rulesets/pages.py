"""Pages of the rulesets domain (server-rendered, same services as the API).

``/rules`` lists every program and version, ``/rules/{program}/{version}`` shows one version's
thresholds with their sources, and ``/rules/diff`` shows what adopting another version would do
to this year's decisions before the city adopts it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from backend.core import clock
from backend.core.db import SessionDep
from backend.core.errors import Unprocessable
from backend.evaluations import impact as impact_service
from backend.models import Tier
from backend.reference import service as reference
from backend.rulesets import service as ruleset_service
from backend.rulesets.schemas import DiffRequest, RuleSetSummary
from backend.web.render import render
from backend.web.session import ViewerDep
from vocabulary.ladder import PROGRAM_KIND_LABELS
from vocabulary.states import OUTCOME_LABELS

pages = APIRouter(include_in_schema=False)

DIFF_LIMIT = 50  # firms listed on the page; the counts cover every firm


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


@pages.get("/rules/diff")
async def diff_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    program: Annotated[str, Query(max_length=40)],
    old_version: Annotated[str, Query(max_length=20)],
    new_version: Annotated[str, Query(max_length=20)],
    year: Annotated[int, Query(ge=2000, le=2200)],
    bureau: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Decisions of ``year`` under the two versions: who gains, who loses and why, money moved."""
    if old_version == new_version:
        raise Unprocessable("new_version", new_version, "请选择两个不同的版本进行比较")
    request_ = DiffRequest(program=program, old_version=old_version, new_version=new_version, year=year,
                           bureau=bureau or None, limit=DIFF_LIMIT)  # fmt: skip
    result = await impact_service.impact(session, viewer.actor, request_)
    bureaus = {b.code: b.name for b in await reference.bureaus(session)}
    context = {
        "diff": result,
        "title": ruleset_service.program_title(program),
        "bureau_names": bureaus,
        "bureau": bureaus.get(bureau) if bureau else None,
        "labels": ruleset_service.criterion_labels(program, old_version, new_version),
        "param_changes": ruleset_service.param_changes(program, old_version, new_version),
        "outcome_labels": OUTCOME_LABELS,
        "program_titles": {a.program: ruleset_service.program_title(a.program) for a in result.awards},
    }
    return render(request, "rulesets/diff.html", context)


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
