"""Pages of the tiers domain: admission batches for city staff, candidate review for district bureaus.

Same services as the JSON API (``service``, ``publication``). Every form posts, then redirects to
a GET page (Post/Redirect/Get) that shows what happened as a flash message. A step the workflow
refuses (a missing reason, a step out of order, an objection still pending) is shown on the page
it came from, with the services' own Chinese explanation, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.core.bounds import Id
from backend.core.db import SessionDep
from backend.core.errors import AppError, Conflict, Forbidden, Unprocessable
from backend.core.pagination import MAX_PAGE_SIZE, Page, PageNumber, PageParams
from backend.core.security import Actor
from backend.reference import service as reference
from backend.tiers import publication
from backend.tiers import service as tier_service
from backend.tiers.errors import state_label
from backend.tiers.repository import MemberFilter
from backend.tiers.schemas import (
    AdmitRequest,
    BatchDetailRead,
    CityReviewRequest,
    NoticeRequest,
    ObjectionCreate,
    ObjectionResolve,
    ReviewRequest,
)
from backend.web.flash import redirect_with_flash
from backend.web.paging import Pager, query_string
from backend.web.render import render
from backend.web.session import FormViewerDep, Viewer, ViewerDep
from vocabulary.ladder import TIER_LABELS, Tier
from vocabulary.states import TIER_STATE_LABELS, BatchState, Role, TierState

pages = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
BATCHES_PER_PAGE = 20
MAX_REVIEW = 5000  # ReviewRequest's own limit: larger selections are split by filter first
REVIEWERS = (Role.bureau, Role.city, Role.admin)
# The states a batch's members pass through, in workflow order (counts and filters show these).
STATE_ORDER = (
    TierState.candidate,
    TierState.district_approved,
    TierState.city_approved,
    TierState.public_notice,
    TierState.admitted,
    TierState.rejected,
    TierState.revoked,
    TierState.expired,
)


def _blank_is_none(value: object) -> object:
    """A filter form's "全部" option submits an empty value: treat it as no filter."""
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)
Reason = Annotated[str, Field(max_length=400)]
BureauCode = Annotated[str, Field(max_length=16)]
Year = Annotated[int, Field(ge=2000, le=2100)]


# -- query strings and forms ---------------------------------------------------------------


class ListQuery(BaseModel):
    """A list page's query string; ``link`` makes its pager and return links."""

    page: PageNumber = 1

    def link(self, **changes: object) -> str:
        """This view's query string with ``changes`` (empty filters and page 1 are left out)."""
        return query_string({**self.model_dump(), **changes})

    def pager(self, path: str, found: Page[Any]) -> Pager:
        """The pager of ``found``, a page of this view's list at ``path``."""
        return Pager.build(found.page, found.total, found.size, lambda n: path + self.link(page=n))


class BatchListQuery(ListQuery):
    year: Annotated[Year | None, Blank] = None


class MemberQuery(ListQuery):
    state: Annotated[TierState | None, Blank] = None
    tier: Annotated[Tier | None, Blank] = None
    bureau: Annotated[BureauCode | None, Blank] = None


class CandidateQuery(ListQuery):
    batch: Annotated[Id | None, Blank] = None
    state: Annotated[TierState | None, Blank] = None


class NewBatchForm(BaseModel):
    year: Year


class BackToMembers(BaseModel):
    """The member list the form was posted from, to return to it (hidden fields ``f_*``)."""

    f_state: Annotated[TierState | None, Blank] = None
    f_tier: Annotated[Tier | None, Blank] = None
    f_bureau: Annotated[BureauCode | None, Blank] = None
    f_page: PageNumber = 1

    def query(self) -> MemberQuery:
        return MemberQuery(state=self.f_state, tier=self.f_tier, bureau=self.f_bureau, page=self.f_page)


ReviewAction = Literal["district_approve", "district_reject", "city_approve", "city_reject"]
Decision = Literal["approve", "reject"]
# action -> (review, decision, what the flash message calls it)
REVIEW_ACTIONS: dict[str, tuple[Literal["district", "city"], Decision, str]] = {
    "district_approve": ("district", "approve", TIER_STATE_LABELS[TierState.district_approved]),
    "district_reject": ("district", "reject", "区审查退回"),
    "city_approve": ("city", "approve", TIER_STATE_LABELS[TierState.city_approved]),
    "city_reject": ("city", "reject", "市级审核退回"),
}


class BatchReviewForm(BackToMembers):
    action: ReviewAction
    scope: Literal["selected", "filtered"] = "selected"
    status_ids: list[Id] = Field(default_factory=list, max_length=MAX_PAGE_SIZE)
    reason: Reason = ""
    site_check: Reason = ""


class NoticeForm(BaseModel):
    notice_from: date | None = None
    notice_to: date | None = None


class AdmitForm(BaseModel):
    announced_on: date | None = None


class ObjectionForm(BackToMembers):
    status_id: Id
    submitted_by: Annotated[str, Field(max_length=120)] = ""
    content: Annotated[str, Field(max_length=2000)] = ""
    received_on: date | None = None


class ResolveForm(BackToMembers):
    outcome: Literal["upheld", "dismissed"]
    resolution: Reason = ""


class CandidateReviewForm(BaseModel):
    status_id: Id
    decision: Decision
    reason: Reason = ""
    batch: Annotated[Id | None, Blank] = None
    state: Annotated[TierState | None, Blank] = None
    page: PageNumber = 1

    def back(self) -> CandidateQuery:
        return CandidateQuery(batch=self.batch, state=self.state, page=self.page)


class CandidatesReviewForm(BaseModel):
    """区审查 of several candidates at once: those ticked, or every one still waiting in the batch."""

    batch: Id
    decision: Decision
    scope: Literal["selected", "all"] = "selected"
    status_ids: list[Id] = Field(default_factory=list, max_length=MAX_PAGE_SIZE)
    reason: Reason = ""
    state: Annotated[TierState | None, Blank] = None
    page: PageNumber = 1

    def back(self) -> CandidateQuery:
        return CandidateQuery(batch=self.batch, state=self.state, page=self.page)


async def _refused(session: AsyncSession, refused: AppError) -> None:
    """A refused step wrote nothing; make sure of it before the page is drawn again."""
    if not isinstance(refused, Conflict | Unprocessable):
        raise refused
    await session.rollback()


def _state_totals(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for per_state in counts.values():
        for state, n in per_state.items():
            totals[state] = totals.get(state, 0) + n
    return totals


def _tier_names(counts: dict[str, int]) -> str:
    return "、".join(f"{TIER_LABELS[Tier(tier)]} {n} 家" for tier, n in counts.items() if n)


# -- 入库批次 (city) ---------------------------------------------------------------------------


@pages.get("/batches")
async def batches_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    query: Annotated[BatchListQuery, Query()],
) -> Response:
    """Every batch, newest first, with its members per state, and the form to open a new one."""
    tier_service.require_city(viewer.actor, "管理入库批次")
    listed = await tier_service.list_batch_details(
        session, viewer.actor, query.year, PageParams(page=query.page, size=BATCHES_PER_PAGE)
    )
    rows = []
    for detail in listed.items:
        totals = _state_totals(detail.counts)
        rows.append({"batch": detail, "totals": totals, "members": sum(totals.values())})
    context = {
        "rows": rows,
        "listed": listed,
        "year": query.year,
        "query": query,
        "pager": query.pager("/batches", listed),
        "new_year": clock.today().year,
        "states": STATE_ORDER[:6],
    }
    return render(request, "tiers/batches.html", context)


@pages.post("/batches")
async def create_batch_submit(
    request: Request, session: SessionDep, viewer: FormViewerDep, form: Annotated[NewBatchForm, Form()]
) -> Response:
    batch = await tier_service.create_batch(session, viewer.actor, form.year)
    return redirect_with_flash(
        request,
        f"/batches/{batch.id}",
        f"已开启{batch.label}。下一步：点击“列入候选企业”，将{batch.year}年度评价结果为“符合”的企业列为本批次候选。",
    )


@pages.get("/batches/{batch_id:int}")
async def batch_page(
    request: Request,
    batch_id: Id,
    session: SessionDep,
    viewer: ViewerDep,
    query: Annotated[MemberQuery, Query()],
) -> Response:
    """One batch: where it stands, the next steps it allows, and its members."""
    context = await _batch_context(session, viewer, batch_id, query)
    return render(request, "tiers/batch.html", context)


async def _count(
    session: AsyncSession, actor: Actor, batch_id: int, query: MemberQuery, state: TierState
) -> int:
    where = MemberFilter(tier=query.tier, bureau_code=query.bureau, state=state)
    return (await tier_service.member_page(session, actor, batch_id, where, PageParams(size=1))).total


async def _batch_context(
    session: AsyncSession, viewer: Viewer, batch_id: int, query: MemberQuery
) -> dict[str, Any]:
    actor = viewer.actor
    tier_service.require_city(actor, "管理入库批次")
    batch = await tier_service.batch_detail(session, actor, batch_id)
    totals = _state_totals(batch.counts)
    where = MemberFilter(tier=query.tier, bureau_code=query.bureau, state=query.state)
    members = await tier_service.member_page(
        session, actor, batch_id, where, PageParams(page=query.page, size=PAGE_SIZE)
    )
    is_open = batch.state == BatchState.open
    today = clock.today()
    review = {"candidates": 0, "district_approved": 0}
    if is_open:
        review = {
            "candidates": await _count(session, actor, batch_id, query, TierState.candidate),
            "district_approved": await _count(session, actor, batch_id, query, TierState.district_approved),
        }
    admit_from = batch.notice_to + timedelta(days=1) if batch.notice_to else None
    return {
        "batch": batch,
        "totals": totals,
        "tier_rows": _tier_rows(batch),
        "members": members,
        "pager": query.pager(f"/batches/{batch_id}", members),
        "query": query,
        "bureaus": await reference.bureaus(session),
        "states": STATE_ORDER,
        "is_open": is_open,
        "in_notice": batch.state == BatchState.public_notice,
        "review": review,
        "waiting": totals.get(TierState.candidate, 0) + totals.get(TierState.district_approved, 0),
        "notice_from": today,
        "notice_to": today + timedelta(days=publication.NOTICE_DAYS - 1),
        "today": today,
        "admit_from": admit_from,
        "can_admit": admit_from is not None and today >= admit_from,
        "alert": None,
    }


def _tier_rows(batch: BatchDetailRead) -> list[tuple[str, dict[str, int]]]:
    return [(TIER_LABELS[tier], batch.counts[tier.value]) for tier in Tier if tier.value in batch.counts]


async def _batch_step(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    batch_id: int,
    back: MemberQuery,
    step: Callable[[], Awaitable[str]],
) -> Response:
    """Run one step of the batch; refused, show the batch again with the reason, else redirect."""
    tier_service.require_city(viewer.actor, "办理入库批次")
    try:
        message = await step()
    except AppError as refused:
        await _refused(session, refused)
        context = await _batch_context(session, viewer, batch_id, back)
        context["alert"] = f"未办理：{refused.detail}"
        return render(request, "tiers/batch.html", context, status_code=refused.status_code)
    return redirect_with_flash(request, f"/batches/{batch_id}{back.link()}", message)


@pages.post("/batches/{batch_id:int}/nominate")
async def nominate_submit(
    request: Request, batch_id: Id, session: SessionDep, viewer: FormViewerDep
) -> Response:
    async def step() -> str:
        done = await tier_service.nominate(session, viewer.actor, batch_id)
        created, attached = sum(done.created.values()), sum(done.attached.values())
        if not created and not attached:
            return f"没有新的候选企业：{done.year}年度评价结果为“符合”的企业都已列入批次。"
        parts = []
        if created:
            parts.append(f"新列入候选 {created} 家（{_tier_names(done.created)}）")
        if attached:
            parts.append(f"并入此前批次公示时尚未审完的企业 {attached} 家")
        return "；".join(parts) + "。候选企业由各区科技局进行区审查。"

    return await _batch_step(request, session, viewer, batch_id, MemberQuery(), step)


@pages.post("/batches/{batch_id:int}/review")
async def batch_review_submit(
    request: Request,
    batch_id: Id,
    session: SessionDep,
    viewer: FormViewerDep,
    form: Annotated[BatchReviewForm, Form()],
) -> Response:
    """区审查 (on a bureau's behalf) or 市级审核 of the ticked members, or of all in the filtered list."""
    stage, decision, what = REVIEW_ACTIONS[form.action]
    from_state = TierState.candidate if stage == "district" else TierState.district_approved

    async def step() -> str:
        ids = await _review_ids(session, viewer.actor, batch_id, form, from_state)
        reason = form.reason.strip() or None
        if stage == "district":
            body = ReviewRequest(status_ids=ids, decision=decision, reason=reason)
            done = await tier_service.district_review(session, viewer.actor, body)
        else:
            site_check = form.site_check.strip() or None
            city_body = CityReviewRequest(
                status_ids=ids, decision=decision, reason=reason, site_check=site_check
            )
            done = await tier_service.city_review(session, viewer.actor, city_body)
        named = "、".join(s.firm_name for s in done[:3]) + ("等" if len(done) > 3 else "")
        return f"{what}：{len(done)} 家企业（{named}）。"

    return await _batch_step(request, session, viewer, batch_id, form.query(), step)


async def _review_ids(
    session: AsyncSession, actor: Actor, batch_id: int, form: BatchReviewForm, from_state: TierState
) -> list[int]:
    if form.scope == "selected":
        if not form.status_ids:
            raise Unprocessable("status_ids", None, "请先在名单中勾选企业，或选择“当前筛选条件下的全部企业”")
        return form.status_ids
    where = MemberFilter(tier=form.f_tier, bureau_code=form.f_bureau, state=from_state)
    return await _every_member(session, actor, batch_id, where, "当前筛选条件下")


async def _every_member(
    session: AsyncSession, actor: Actor, batch_id: int, where: MemberFilter, scope: str
) -> list[int]:
    """Every member of the batch ``where`` selects that ``actor`` may see (a bureau: its own firms)."""
    assert where.state is not None
    label = state_label(where.state)
    ids: list[int] = []
    page = 1
    while True:
        found = await tier_service.member_page(
            session, actor, batch_id, where, PageParams(page=page, size=MAX_PAGE_SIZE)
        )
        ids.extend(m.status_id for m in found.items)
        if len(ids) >= found.total or not found.items:
            break
        page += 1
    if not ids:
        raise Unprocessable("scope", None, f"{scope}没有状态为“{label}”的企业")
    if len(ids) > MAX_REVIEW:
        raise Unprocessable(
            "scope", len(ids), f"一次最多审核 {MAX_REVIEW} 家企业，请按审查单位或梯度筛选后分批办理"
        )
    return ids


@pages.post("/batches/{batch_id:int}/notice")
async def notice_submit(
    request: Request,
    batch_id: Id,
    session: SessionDep,
    viewer: FormViewerDep,
    form: Annotated[NoticeForm, Form()],
) -> Response:
    async def step() -> str:
        body = NoticeRequest(notice_from=form.notice_from, notice_to=form.notice_to)
        done = await publication.start_notice(session, viewer.actor, batch_id, body)
        message = (
            f"{done.batch.label}已开始公示（{done.batch.notice_from} 至 {done.batch.notice_to}）："
            f"{len(done.in_notice)} 家市级审核通过的企业进入公示。"
        )
        if done.moved_out:
            message += f"{len(done.moved_out)} 家尚未完成审核的企业移出本批次，待下一批次列入候选时并入。"
        return message

    return await _batch_step(request, session, viewer, batch_id, MemberQuery(), step)


@pages.post("/batches/{batch_id:int}/admit")
async def admit_submit(
    request: Request,
    batch_id: Id,
    session: SessionDep,
    viewer: FormViewerDep,
    form: Annotated[AdmitForm, Form()],
) -> Response:
    async def step() -> str:
        done = await publication.admit_batch(
            session, viewer.actor, batch_id, AdmitRequest(announced_on=form.announced_on)
        )
        return (
            f"{done.batch.label}已于 {done.batch.announced_on} 公告入库："
            f"{len(done.admitted)} 家企业取得入库登记编号。"
        )

    return await _batch_step(request, session, viewer, batch_id, MemberQuery(), step)


@pages.post("/batches/{batch_id:int}/objections")
async def objection_submit(
    request: Request,
    batch_id: Id,
    session: SessionDep,
    viewer: FormViewerDep,
    form: Annotated[ObjectionForm, Form()],
) -> Response:
    """Record a written objection against a member in 公示."""

    async def step() -> str:
        if not form.submitted_by.strip() or not form.content.strip():
            raise Unprocessable("content", None, "登记异议须填写异议人和异议内容")
        body = ObjectionCreate(
            received_on=form.received_on, submitted_by=form.submitted_by, content=form.content
        )
        objection = await publication.record_objection(session, viewer.actor, form.status_id, body)
        return f"已登记异议 #{objection.id}（{objection.submitted_by}）。异议处理完毕后才能公告入库。"

    return await _batch_step(request, session, viewer, batch_id, form.query(), step)


@pages.post("/batches/{batch_id:int}/objections/{objection_id:int}/resolve")
async def resolve_submit(
    request: Request,
    batch_id: Id,
    objection_id: Id,
    session: SessionDep,
    viewer: FormViewerDep,
    form: Annotated[ResolveForm, Form()],
) -> Response:
    async def step() -> str:
        if not form.resolution.strip():
            raise Unprocessable("resolution", None, "处理异议须填写处理意见")
        body = ObjectionResolve(outcome=form.outcome, resolution=form.resolution)
        await publication.resolve_objection(session, viewer.actor, objection_id, body)
        if form.outcome == "upheld":
            return f"异议 #{objection_id} 成立：该企业不予入库（状态改为“未通过”）。"
        return f"异议 #{objection_id} 不成立：该企业继续公示。"

    return await _batch_step(request, session, viewer, batch_id, form.query(), step)


# -- 候选企业审核 (bureau) ----------------------------------------------------------------------


@pages.get("/candidates")
async def candidates_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    query: Annotated[CandidateQuery, Query()],
) -> Response:
    """The viewer's candidates in the open batches (a bureau: its own firms only), to approve or return."""
    context = await _candidates_context(session, viewer, query)
    return render(request, "tiers/candidates.html", context)


async def _open_batches(session: AsyncSession, actor: Actor) -> list[BatchDetailRead]:
    listed = await tier_service.list_batch_details(session, actor, None, PageParams(size=MAX_PAGE_SIZE))
    return [b for b in listed.items if b.state == BatchState.open]


async def _candidates_context(session: AsyncSession, viewer: Viewer, query: CandidateQuery) -> dict[str, Any]:
    actor = viewer.actor
    if actor.role not in REVIEWERS:
        raise Forbidden("只有区科技局和市科技局可以审查候选企业")
    bureau = await reference.require_bureau(session, actor.bureau_code) if actor.bureau_code else None
    open_batches = [(b, _state_totals(b.counts)) for b in await _open_batches(session, actor)]
    chosen = next((b for b, _ in open_batches if b.id == query.batch), None)
    if chosen is None:  # the first open batch with something to review, else the newest one
        waiting = [b for b, totals in open_batches if totals.get(TierState.candidate)]
        chosen = next(iter(waiting or [b for b, _ in open_batches]), None)
    members = None
    totals: dict[str, int] = {}
    shown = CandidateQuery(batch=chosen.id if chosen else None, state=query.state, page=query.page)
    if chosen is not None:
        totals = _state_totals(chosen.counts)
        where = MemberFilter(state=query.state)
        members = await tier_service.member_page(
            session, actor, chosen.id, where, PageParams(page=query.page, size=PAGE_SIZE)
        )
    return {
        "bureau": bureau,
        "open_batches": open_batches,
        "batch": chosen,
        "totals": totals,
        "members": members,
        "pager": shown.pager("/candidates", members) if members else None,
        "query": shown,
        "states": STATE_ORDER[:6],
        "show_bureau": actor.role is not Role.bureau,
        "alert": None,
        "row_errors": {},
        "entered": {},
    }


@pages.post("/candidates/review")
async def candidate_review_submit(
    request: Request,
    session: SessionDep,
    viewer: FormViewerDep,
    form: Annotated[CandidateReviewForm, Form()],
) -> Response:
    """区审查 of one candidate: 通过, or 退回 with a reason."""
    back = form.back()
    body = ReviewRequest(
        status_ids=[form.status_id], decision=form.decision, reason=form.reason.strip() or None
    )
    try:
        (done,) = await tier_service.district_review(session, viewer.actor, body)
    except AppError as refused:
        entered = {form.status_id: form.reason}
        if _field_of(refused) == "reason":
            alert = "未退回：退回候选企业须填写理由，请在该企业一行的“理由”栏中说明后再点“退回”。"
            return await _candidates_refused(request, session, viewer, back, refused, alert=alert, entered=entered,
                                             row_errors={form.status_id: "请填写退回理由"})  # fmt: skip
        return await _candidates_refused(request, session, viewer, back, refused, alert=f"未办理：{refused.detail}",
                                         entered=entered)  # fmt: skip
    if form.decision == "approve":
        message = f"已通过区审查：{done.firm_name}（{TIER_LABELS[Tier(done.tier)]}），等待市级审核。"
    else:
        message = f"已退回：{done.firm_name}（{TIER_LABELS[Tier(done.tier)]}），理由：{body.reason}。"
    return redirect_with_flash(request, f"/candidates{back.link()}", message)


@pages.post("/candidates/review-many")
async def candidates_review_submit(
    request: Request,
    session: SessionDep,
    viewer: FormViewerDep,
    form: Annotated[CandidatesReviewForm, Form()],
) -> Response:
    """区审查 of the ticked candidates, or of all still waiting: one decision, all or nothing."""
    back = form.back()
    try:
        if form.scope == "all":
            where = MemberFilter(state=TierState.candidate)
            ids = await _every_member(session, viewer.actor, form.batch, where, "本批次中")
        elif form.status_ids:
            ids = form.status_ids
        else:
            raise Unprocessable("status_ids", None, "请先在名单中勾选企业，或选择“本批次全部待审查企业”")
        body = ReviewRequest(status_ids=ids, decision=form.decision, reason=form.reason.strip() or None)
        done = await tier_service.district_review(session, viewer.actor, body)
    except AppError as refused:
        alert = f"未办理，名单中的企业均未变更：{refused.detail}"
        return await _candidates_refused(request, session, viewer, back, refused, alert=alert)
    named = "、".join(s.firm_name for s in done[:3]) + ("等" if len(done) > 3 else "")
    what = "已通过区审查" if form.decision == "approve" else f"已退回（理由：{body.reason}）"
    return redirect_with_flash(
        request, f"/candidates{back.link()}", f"{what}：{len(done)} 家企业（{named}）。"
    )


async def _candidates_refused(
    request: Request, session: AsyncSession, viewer: Viewer, back: CandidateQuery, refused: AppError,
    **shown: Any,
) -> Response:  # fmt: skip
    """The candidate page again, with what the services refused and why (nothing was changed)."""
    await _refused(session, refused)
    context = await _candidates_context(session, viewer, back) | shown
    return render(request, "tiers/candidates.html", context, status_code=refused.status_code)


def _field_of(refused: AppError) -> str | None:
    errors = refused.context.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        field = errors[0].get("field")
        return field if isinstance(field, str) else None
    return None
