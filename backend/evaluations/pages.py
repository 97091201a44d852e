"""The enterprise status page (ladder, every criterion with its figures, advice, what-if, history), and
what adopting another rule version would do to a year's decisions (``/rules/diff``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth import service as auth_service
from backend.certificates import service as certificate_service
from backend.core import clock
from backend.core.db import SessionDep
from backend.core.errors import Forbidden, Unprocessable
from backend.evaluations import impact
from backend.evaluations import status as status_service
from backend.evaluations.schemas import CriterionSummary, FirmStatusSummary, WhatIfRequest
from backend.evaluations.status import LADDER
from backend.filings import service as filing_service
from backend.filings.schemas import FilingFiguresIn, FilingRead
from backend.reference import service as reference_service
from backend.rulesets import service as ruleset_service
from backend.rulesets.schemas import DiffRequest
from backend.tiers import service as tier_service
from backend.web.render import render
from backend.web.session import FormViewerDep, Viewer, ViewerDep
from vocabulary.figures import FIGURES_BY_NAME, Figure, Kind
from vocabulary.states import OUTCOME_LABELS, Role
from vocabulary.units import YUAN_PER_WAN

pages = APIRouter(include_in_schema=False)

# The figures a firm most often asks "what if" about, entered in the units it files them in.
WHAT_IF_FIGURES: tuple[Figure, ...] = tuple(
    FIGURES_BY_NAME[name]
    for name in ("revenue_yuan", "rd_expense_yuan", "hitech_revenue_yuan", "employees", "tech_staff", "ip_class1",
                 "ip_class2")
)  # fmt: skip
YearQuery = Annotated[int | None, Query(ge=2000, le=2200)]
DIFF_LIMIT = 50  # firms listed on the impact page; the counts cover every firm


@pages.get("/firm")
async def own_firm(session: SessionDep, viewer: ViewerDep) -> Response:
    """An enterprise's home: its own status page."""
    if viewer.actor.role is not Role.enterprise or viewer.actor.firm_id is None:
        raise Forbidden("只有企业账号绑定了本企业；其他角色请在“企业查询”中查找企业")
    uscc = await auth_service.bound_firm_uscc(session, viewer.actor)
    return RedirectResponse(f"/firms/{uscc}", status_code=303)


@pages.get("/firms/{uscc}")
async def firm_status_page(
    request: Request, uscc: str, session: SessionDep, viewer: ViewerDep, year: YearQuery = None
) -> Response:
    status = await status_service.firm_status(session, viewer.actor, uscc, year)
    return render(request, "evaluations/status.html", await _status_context(session, viewer, status))


@pages.post("/firms/{uscc}/what-if")
async def what_if_page(request: Request, uscc: str, session: SessionDep, viewer: FormViewerDep) -> Response:
    """Decisions on the firm's figures with the submitted ones changed; nothing is stored."""
    form = await request.form()
    year = _int_field(form.get("year"), "year") or clock.today().year
    status = await status_service.firm_status(session, viewer.actor, uscc, year)
    context = await _status_context(session, viewer, status)
    fiscal_year = context["what_if_year"]
    changed, entered = _changed_figures({k: v for k, v in form.items() if isinstance(v, str)})
    outcome = await status_service.what_if(
        session,
        viewer.actor,
        WhatIfRequest(uscc=status.uscc, year=year, filings={fiscal_year: changed} if fiscal_year else {}),
    )
    context.update(what_if_result=outcome, what_if_entered=entered)
    return render(request, "evaluations/status.html", context)


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
    result = await impact.impact(session, viewer.actor, request_)
    bureaus = {b.code: b.name for b in await reference_service.bureaus(session)}
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
    return render(request, "evaluations/impact.html", context)


async def _status_context(session: AsyncSession, viewer: Viewer, status: FirmStatusSummary) -> dict[str, Any]:
    certificates = await certificate_service.firm_certificates(session, viewer.actor, status.uscc)
    history = await tier_service.tier_history(session, viewer.actor, status.uscc)
    filings: list[FilingRead] = []
    if viewer.actor.reads_filings:
        filings = await filing_service.current_filings(session, viewer.actor, status.uscc)
    latest = max(filings, key=lambda f: f.fiscal_year, default=None)
    return {
        "status": status,
        "ladder": _ladder(status),
        "decisions": sorted(status.decisions, key=lambda d: (d.kind != "tier", d.program)),
        "criteria_rows": {d.program: list(_flatten(d.criteria)) for d in status.decisions},
        "certificates": certificates,
        "history": history,
        "what_if_year": latest.fiscal_year if latest is not None else None,
        "what_if_fields": [(f.name, f.label, f.entry_unit, _shown(latest, f)) for f in WHAT_IF_FIGURES],
        "what_if_result": None,
        "what_if_entered": {},
    }


def _ladder(status: FirmStatusSummary) -> list[dict[str, Any]]:
    return [
        {"tier": tier, "held": tier in status.held_tiers, "next": tier == status.next_rung} for tier in LADDER
    ]


def _flatten(node: CriterionSummary, depth: int = 0) -> Iterator[tuple[int, CriterionSummary]]:
    """The criterion tree as table rows, children indented under their group."""
    yield depth, node
    for child in node.children:
        yield from _flatten(child, depth + 1)


def _shown(filing: FilingRead | None, figure: Figure) -> str:
    value = getattr(filing, figure.name, None) if filing is not None else None
    if value is None:
        return ""
    if figure.kind is Kind.money:
        return f"{Decimal(value) / YUAN_PER_WAN:f}".rstrip("0").rstrip(".")
    return str(value)


def _int_field(raw: object, field: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise Unprocessable(field, raw, "请填写整数") from None


def _changed_figures(form: dict[str, str]) -> tuple[FilingFiguresIn, dict[str, str]]:
    """The what-if form's figures (万元 → 元); blank fields keep the filed value."""
    values: dict[str, int] = {}
    entered: dict[str, str] = {}
    for figure in WHAT_IF_FIGURES:
        name = figure.name
        raw = form.get(name, "").strip().replace(",", "")
        if not raw:
            continue
        entered[name] = raw
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise Unprocessable(name, raw, f"{figure.label}应为数字（{figure.entry_unit}）") from None
        if number < 0:
            raise Unprocessable(name, raw, f"{figure.label}不能为负数")
        values[name] = int(number * YUAN_PER_WAN) if figure.kind is Kind.money else int(number)
    return FilingFiguresIn.model_validate(values), entered
