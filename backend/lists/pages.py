"""Export pages: download a list from a form, the export history, one export's manifest and diff,
and the lists page (名单下载) with a form per list the viewer's role may export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from backend.core import clock
from backend.core.bounds import Id
from backend.core.db import SessionDep
from backend.core.downloads import attachment
from backend.core.errors import Unprocessable
from backend.core.pagination import PageParams
from backend.core.params import PageQuery
from backend.lists import service as export_service
from backend.lists.download import export_response
from backend.lists.errors import ExportForbidden
from backend.lists.params import (
    DEFAULT_REMINDER_DAYS,
    FINANCE_KINDS,
    KIND_TITLES,
    RUN_KINDS,
    ListKind,
    ListParams,
    parse_kind,
)
from backend.lists.schemas import ExportRunDetail, ExportRunRead
from backend.models import TIER_LABELS, Role
from backend.reference import service as reference_service
from backend.rulesets import service as ruleset_service
from backend.tiers import service as tier_service
from backend.web.paging import Pager
from backend.web.render import render
from backend.web.session import FormViewerDep, ViewerDep
from exports.changes import CHANGE_NAMES

pages = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
RUN_KIND_TITLES = {RUN_KINDS[kind]: KIND_TITLES[kind] for kind in ListKind}
# The lists page, most asked for first; what each list is for, in one line.
LIST_ORDER = (
    ListKind.certification,
    ListKind.public_notice,
    ListKind.reminders,
    ListKind.eligibility,
    ListKind.targets,
    ListKind.disbursement,
)
LIST_HINTS = {
    ListKind.certification: "某一入库批次已入库的企业，可按梯度筛选。",
    ListKind.public_notice: "某一入库批次进入公示的企业及其当前状态。",
    ListKind.reminders: "高企证书即将到期、上年度数据未填报、科小未重新登记的企业。",
    ListKind.eligibility: "全部企业在某年度各项认定的评价结果及未通过的条件。",
    ListKind.targets: "各梯度培育目标与登记库实际值、完成率。",
    ListKind.disbursement: "已批准的奖励（预览，不改变奖励状态）。",
}


# -- downloads -------------------------------------------------------------------------------


@pages.post("/exports/{kind}")
async def export_download(
    request: Request, kind: str, session: SessionDep, viewer: FormViewerDep
) -> Response:
    """A list form's submit: the file itself, exactly as the API sends it, recorded as an export."""
    list_kind = parse_kind(kind)
    form = await request.form()
    params, fmt = _list_params(form)
    return await export_response(session, viewer.actor, list_kind, params, fmt, source="api")


def _list_params(form: FormData) -> tuple[ListParams, str]:
    params = ListParams(
        year=_int(form, "year", "年度", 1980, 2100),
        program=_text(form, "program", 40),
        bureau=_text(form, "bureau", 16),
        batch=_int(form, "batch", "批次", 1, 2**31 - 1),
        tier=_text(form, "tier", 20),
        days=_int(form, "days", "提醒天数", 1, 3660) or DEFAULT_REMINDER_DAYS,
        final=form.get("final") in ("1", "on", "true"),
    )
    return params, _text(form, "format", 8) or "xlsx"


def _text(form: FormData, name: str, limit: int) -> str | None:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    if len(value.strip()) > limit:
        raise Unprocessable(name, value, f"不能超过 {limit} 个字符")
    return value.strip()


def _int(form: FormData, name: str, label: str, low: int, high: int) -> int | None:
    raw = _text(form, name, 12)
    if raw is None:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Unprocessable(name, raw, f"{label}应为 {low} 到 {high} 之间的整数")
    return int(raw)


# -- history ---------------------------------------------------------------------------------


@pages.get("/exports")
async def export_history(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    kind: Annotated[str | None, Query(max_length=24)] = None,
    page: PageQuery = 1,
) -> Response:
    """Every export the viewer may see, newest first: what, for whom, by whom, how many rows."""
    kind = kind or None
    paging = PageParams(page=page, size=PAGE_SIZE)
    runs, total = await export_service.list_runs(
        session, viewer.actor, kind=kind, offset=paging.offset, limit=paging.size
    )
    kinds = FINANCE_KINDS if viewer.actor.role is Role.finance else tuple(ListKind)  # as list_runs allows
    context = {
        "runs": [ExportRunRead.of(r) for r in runs],
        "total": total,
        "kind": kind,
        "kinds": [(RUN_KINDS[k], KIND_TITLES[k]) for k in kinds],
        "kind_titles": RUN_KIND_TITLES,
        "pager": Pager.at("/exports", {"kind": kind}, page=page, total=total, size=PAGE_SIZE),
    }
    return render(request, "lists/history.html", context)


@pages.get("/exports/{run_id:int}")
async def export_run_page(request: Request, run_id: Id, session: SessionDep, viewer: ViewerDep) -> Response:
    """One export: how the list was made (manifest), its subtotals and what changed since the previous one."""
    run = ExportRunDetail.detail(await export_service.get_run(session, viewer.actor, run_id))
    manifest = run.manifest
    context = {
        "run": run,
        "kind_title": RUN_KIND_TITLES.get(run.kind, run.kind),
        "generated_at": _moment(manifest.get("generated_at")),
        "data_cutoff": _moment(manifest.get("data_cutoff")),
        "sums": manifest.get("sums") or run.totals.get("sums") or {},
        "groups": run.totals.get("groups") or {},
        "change_names": CHANGE_NAMES,
        "diff_truncated": len(run.diff) < sum(run.diff_counts.values()),
    }
    return render(request, "lists/run.html", context)


@pages.get("/exports/{run_id:int}/manifest.json")
async def export_manifest(run_id: Id, session: SessionDep, viewer: ViewerDep) -> Response:
    """The manifest and diff as the API's JSON file (the list file itself is not kept on the server)."""
    run = await export_service.get_run(session, viewer.actor, run_id)
    return Response(
        export_service.manifest_document(run),
        media_type="application/json",
        headers={"Content-Disposition": attachment(f"{run.file_name}.manifest.json")},
    )


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# -- 名单下载 --------------------------------------------------------------------------------


@pages.get("/lists")
async def lists_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """A small form per list the viewer may export; a bureau's lists are always its own bureau's."""
    actor = viewer.actor
    allowed = set(export_service.exportable_kinds(actor))
    if not allowed:
        raise ExportForbidden("当前角色不能导出清单")
    own_bureau = None
    if actor.role is Role.bureau and actor.bureau_code is not None:
        own_bureau = await reference_service.require_bureau(session, actor.bureau_code)
    batches = await tier_service.list_batches(session, actor, None, PageParams(page=1, size=50))
    registry = ruleset_service.registry()
    context = {
        "kinds": [(kind, KIND_TITLES[kind], LIST_HINTS[kind]) for kind in LIST_ORDER if kind in allowed],
        "own_bureau": own_bureau,
        "bureaus": [] if own_bureau is not None else list(await reference_service.bureaus(session)),
        "batches": batches.items,
        "tiers": list(TIER_LABELS.items()),
        "programs": [(p, ruleset_service.program_title(p)) for p in registry.programs()],
        "award_programs": [(p, ruleset_service.program_title(p)) for p in registry.programs("award")],
        "year": clock.today().year,
        "default_days": DEFAULT_REMINDER_DAYS,
        "finance": actor.role is Role.finance,
    }
    return render(request, "lists/lists.html", context)
