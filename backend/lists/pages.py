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
from backend.lists.params import DEFAULT_REMINDER_DAYS, ListParams, parse_kind
from backend.lists.schemas import ExportRunDetail, ExportRunRead
from backend.reference import service as reference_service
from backend.rulesets import service as ruleset_service
from backend.tiers import service as tier_service
from backend.web.paging import Pager
from backend.web.render import render
from backend.web.session import FormViewerDep, ViewerDep
from exports.changes import CHANGE_NAMES
from vocabulary.ladder import TIER_LABELS
from vocabulary.lists import FILTERS_BY_NAME, LIST_TITLES, Filter, ListSpec
from vocabulary.states import Role

pages = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
# A list form's fields in this order (the bureau and the format come last, on every form).
FORM_FIELDS = (Filter.batch, Filter.tier, Filter.year, Filter.program, Filter.days)


# -- downloads -------------------------------------------------------------------------------


@pages.post("/exports/{kind}")
async def export_download(
    request: Request, kind: str, session: SessionDep, viewer: FormViewerDep
) -> Response:
    """A list form's submit: the file itself, exactly as the API sends it, recorded as an export."""
    spec = parse_kind(kind)
    form = await request.form()
    params, fmt = _list_params(form)
    return await export_response(session, viewer.actor, spec, params, fmt, source="api")


def _list_params(form: FormData) -> tuple[ListParams, str]:
    params = ListParams(
        year=_number(form, Filter.year),
        program=_text(form, "program", 40),
        bureau=_text(form, "bureau", 16),
        batch=_number(form, Filter.batch),
        tier=_text(form, "tier", 20),
        days=_number(form, Filter.days) or DEFAULT_REMINDER_DAYS,
        final=form.get("final") in ("1", "on", "true"),
    )
    return params, _text(form, "format", 8) or "xlsx"


def _number(form: FormData, name: Filter) -> int | None:
    spec = FILTERS_BY_NAME[name]
    assert spec.minimum is not None
    assert spec.maximum is not None
    return _int(form, name.value, spec.label, spec.minimum, spec.maximum)


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
    context = {
        "runs": [ExportRunRead.of(r) for r in runs],
        "total": total,
        "kind": kind,
        "kinds": [(spec.run_kind, spec.title) for spec in export_service.visible_lists(viewer.actor)],
        "kind_titles": LIST_TITLES,
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
        "kind_title": LIST_TITLES.get(run.kind, run.kind),
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
    allowed = export_service.exportable_kinds(actor)
    if not allowed:
        raise ExportForbidden("当前角色不能导出清单")
    own_bureau = None
    if actor.role is Role.bureau and actor.bureau_code is not None:
        own_bureau = await reference_service.require_bureau(session, actor.bureau_code)
    batches = await tier_service.list_batches(session, actor, None, PageParams(page=1, size=50))
    context = {
        "lists": [_form(spec) for spec in allowed],
        "own_bureau": own_bureau,
        "bureaus": [] if own_bureau is not None else list(await reference_service.bureaus(session)),
        "batches": batches.items,
        "tiers": list(TIER_LABELS.items()),
        "year": clock.today().year,
        "default_days": DEFAULT_REMINDER_DAYS,
        "bounds": {f.filter.value: (f.minimum, f.maximum) for f in FILTERS_BY_NAME.values()},
        "finance": actor.role is Role.finance,
    }
    return render(request, "lists/lists.html", context)


def _form(spec: ListSpec) -> dict[str, Any]:
    """One list's form: its fields as its spec reads them, named as the list names them."""
    registry = ruleset_service.registry()
    kind = spec.programs.value if spec.programs is not None else None
    return {
        "code": spec.code,
        "title": spec.title,
        "hint": spec.hint,
        "fields": [(name.value, spec.filter_label(name)) for name in FORM_FIELDS if name in spec.accepts],
        "needs_batch": Filter.batch in spec.needs,
        "programs": [(p, ruleset_service.program_title(p)) for p in registry.programs(kind)],
        "bureau_label": spec.filter_label(Filter.bureau),
    }
