"""Award pages: a year's awards by program and state with their totals, and the forms that move
them on (区级审核, 审核通过, 退回, 标记已拨付) through the same services as the JSON API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData

from backend.awards import budgets as budget_service
from backend.awards import reads as award_reads
from backend.awards import service as award_service
from backend.awards import transitions
from backend.awards.repository import AwardFilter
from backend.awards.schemas import SummaryRead
from backend.awards.service import Moved
from backend.core import clock
from backend.core.bounds import BIGINT_MAX
from backend.core.db import SessionDep
from backend.core.errors import NotFound, Unprocessable
from backend.core.params import PageQuery
from backend.core.security import Actor
from backend.reference import service as reference_service
from backend.rulesets.service import program_title
from backend.web.flash import redirect_with_flash
from backend.web.paging import Pager, query_string
from backend.web.render import render
from backend.web.session import FormViewerDep, ViewerDep
from vocabulary.states import AWARD_STATE_LABELS, AwardState, Role

pages = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
SHOWN_STATES = budget_service.SHOWN_STATES  # every state but superseded


@dataclass(frozen=True)
class Action:
    """One form button of the list: which service move it makes, and what the flash says."""

    slug: str  # POST /awards/{slug}
    label: str
    done: str  # "已{done} N 项奖励"
    move: transitions.Step

    def allowed(self, role: Role) -> bool:
        return role in self.move.roles

    def applies_to(self, state: AwardState | None) -> bool:
        return state is None or state in self.move.sources


ACTIONS = {
    action.slug: action
    for action in (
        Action("district-review", "区级审核", "完成区级审核", transitions.REVIEW),
        Action("approve", "审核通过", "审核通过", transitions.APPROVE),
        Action("reject", "退回", "退回", transitions.REJECT),
        Action("mark-paid", "标记已拨付", "登记拨付", transitions.PAY),
    )
}


@dataclass(frozen=True)
class Filters:
    """What the list shows; the same fields travel in the action forms to come back here."""

    year: int
    program: str | None = None
    state: AwardState | None = None
    bureau: str | None = None
    page: int = 1

    def href(self, **changes: Any) -> str:
        values = {"year": self.year, "program": self.program, "state": self.state, "bureau": self.bureau,
                  "page": self.page} | changes  # fmt: skip
        return "/awards" + query_string(values)


YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
TextQuery = Annotated[str | None, Query(max_length=40)]


@pages.get("/awards")
async def awards_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    year: YearQuery = None,
    program: TextQuery = None,
    state: Annotated[str | None, Query(max_length=24)] = None,
    bureau: Annotated[str | None, Query(max_length=16)] = None,
    page: PageQuery = 1,
) -> Response:
    """The year's awards: totals per state and program, the filtered list, actions and the export."""
    actor = viewer.actor
    year = year or clock.today().year
    summary = await budget_service.summary(session, actor, year)  # refuses roles that may not see money
    filters = Filters(
        year=year,
        program=award_service.check_program(program) if program else None,
        state=_state(state),
        bureau=await _bureau_code(session, bureau),
        page=page,
    )
    where = AwardFilter(
        year=filters.year, program=filters.program, state=filters.state, bureau=filters.bureau
    )
    lines, total = await award_reads.list_award_lines(
        session, actor, where, offset=(filters.page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    bureaus = {b.code: b.name for b in await reference_service.bureaus(session)}
    context = {
        "filters": filters,
        "programs": [(p.program, p.title) for p in summary.programs],
        "bureaus": bureaus,
        "state_labels": AWARD_STATE_LABELS,
        "tabs": _tabs(summary, filters),
        "summary": summary,
        # Programs with no award this year and no budget would only be rows of zeros.
        "summary_rows": [
            p
            for p in summary.programs
            if p.budget_yuan is not None or any(t.count for t in p.by_state.values())
        ],
        "over_budget": [p for p in summary.programs if p.remaining_yuan is not None and p.remaining_yuan < 0],
        "lines": lines,
        "total": total,
        "pager": Pager.build(filters.page, total, PAGE_SIZE, lambda n: filters.href(page=n)),
        "actions": [a for a in ACTIONS.values() if a.allowed(actor.role) and a.applies_to(filters.state)],
        "can_export": actor.role in transitions.EXPORT.roles,  # a final list marks awards exported
        "today": clock.today(),
        "program_title": program_title,
    }
    return render(request, "awards/index.html", context)


async def _bureau_code(session: AsyncSession, code: str | None) -> str | None:
    if not code:
        return None
    return (await reference_service.require_bureau(session, code, field="bureau")).code


def _state(value: str | None) -> AwardState | None:
    if not value:
        return None
    try:
        state = AwardState(value)
    except ValueError:
        state = None
    if state is None or state is AwardState.superseded:
        raise Unprocessable("state", value, "请选择列表中的奖励状态")
    return state


def _tabs(summary: SummaryRead, filters: Filters) -> list[dict[str, Any]]:
    """全部 and one tab per state, with the count and amount of the year (and program, if chosen)."""
    shown = [p for p in summary.programs if filters.program in (None, p.program)]
    tabs = []
    for state in (None, *SHOWN_STATES):
        keys = [s.value for s in SHOWN_STATES] if state is None else [state.value]
        count = sum(p.by_state[k].count for p in shown for k in keys)
        amount = sum(p.by_state[k].amount_yuan for p in shown for k in keys)
        tabs.append({
            "label": "全部" if state is None else AWARD_STATE_LABELS[state], "count": count, "amount": amount,
            "href": filters.href(state=state, page=1), "active": state == filters.state,
        })  # fmt: skip
    return tabs


@pages.post("/awards/{slug}")
async def award_action(request: Request, slug: str, session: SessionDep, viewer: FormViewerDep) -> Response:
    """One button of the list's form, on the ticked awards or on every award the page showed."""
    action = ACTIONS.get(slug)
    if action is None:
        raise NotFound(f"没有“{slug}”这项操作")
    form = await request.form()
    ids = _selected(form)
    moved = await _perform(action, session, viewer.actor, ids, form)
    back = _filters_from(form)
    message = (
        f"已{action.done} {len(moved.awards)} 项奖励（现为「{AWARD_STATE_LABELS[action.move.target]}」）。"
    )
    return redirect_with_flash(request, back.href(page=1), message)


async def _perform(
    action: Action, session: AsyncSession, actor: Actor, ids: Sequence[int], form: FormData
) -> Moved:
    if action.slug == "district-review":
        return await award_service.district_review(session, actor, ids, _text(form, "note"))
    if action.slug == "approve":
        return await award_service.approve(session, actor, ids, _text(form, "note"))
    if action.slug == "reject":
        return await award_service.reject(session, actor, ids, _text(form, "reject_reason"))
    paid_on = _date(form, "paid_on")
    return await award_service.mark_paid(session, actor, ids, paid_on, _text(form, "payment_ref"))


def _selected(form: FormData) -> list[int]:
    """The ticked awards, or every award the page listed when "本页全部" was chosen."""
    field = "shown_id" if form.get("scope") == "shown" else "award_id"
    ids = []
    for raw in form.getlist(field):
        try:
            ids.append(int(str(raw)))
        except ValueError:
            raise Unprocessable("award_id", raw, "奖励编号应为整数") from None
        if not 1 <= ids[-1] <= BIGINT_MAX:
            raise Unprocessable("award_id", raw, f"奖励编号应为 1 至 {BIGINT_MAX} 之间的整数")
    if not ids:
        raise Unprocessable("award_id", [], "请至少勾选一项奖励，或选择“本页全部”")
    return ids


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _date(form: FormData, name: str) -> date | None:
    raw = (_text(form, name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Unprocessable(name, raw, "日期格式应为 YYYY-MM-DD") from None


def _filters_from(form: FormData) -> Filters:
    """The list's filters as the form carried them back; anything malformed is simply dropped."""
    year = _text(form, "year") or ""
    state = _text(form, "state") or ""
    program = _text(form, "program") or ""
    bureau = _text(form, "bureau") or ""
    return Filters(
        year=int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else clock.today().year,
        program=program if program in award_service.award_programs() else None,
        state=AwardState(state) if state in AwardState.__members__ else None,
        bureau=bureau if bureau.isalnum() and len(bureau) <= 16 else None,
    )
