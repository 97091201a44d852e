"""The import pages: upload a workbook for a dry run, read its preview and issues, commit it.

The same services as /api/imports; the session cookie instead of a bearer token. An upload is
always a preview first: nothing is written until the user presses 确认导入 on the preview.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from openpyxl.utils import column_index_from_string  # type: ignore[import-untyped, unused-ignore]
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.bounds import Id
from backend.core.db import SessionDep
from backend.core.deps import SettingsDep
from backend.core.downloads import XLSX, attachment
from backend.core.errors import Conflict, Unprocessable
from backend.core.params import PageQuery
from backend.imports import service as import_service
from backend.imports.runs import Outcome, nothing_imported
from backend.imports.schemas import ImportIssueRead, ImportRunRead
from backend.imports.uploads import UploadTooLarge, read_upload
from backend.models import ImportRun
from backend.reference import service as reference_service
from backend.web.flash import redirect_with_flash
from backend.web.paging import Pager
from backend.web.render import render
from backend.web.session import FormViewerDep, Viewer, ViewerDep
from vocabulary.imports import IMPORTS, ImportKind
from vocabulary.states import Role

pages = APIRouter(include_in_schema=False)

RUNS_PER_PAGE = 20
ISSUES_PER_PAGE = 100
# The run's counts in the order a reader wants them; only those the run has are shown.
COUNT_LABELS: tuple[tuple[str, str], ...] = (
    ("rows_read", "读取行数"),
    ("new_firms", "新增企业"),
    ("renamed_firms", "企业更名"),
    ("new_filings", "新增申报"),
    ("new_revisions", "新增申报修订"),
    ("unchanged", "无变化的行"),
    ("records", "有效记录"),
    ("error_rows", "有错误的行（不导入）"),
    ("errors", "错误"),
    ("warnings", "警告"),
    ("rows_skipped", "跳过的行（合计、备注等）"),
)
ALARMING = frozenset({"errors", "error_rows"})  # shown in red when not zero
STATUS_BADGES = {"dry_run": "provisional", "committed": "pass", "duplicate": "unknown"}
SEVERITIES = {"error": ("错误", "error", 0), "warning": ("警告", "warning", 1)}
COMMITTED = "导入完成：无错误的行已写入登记库。"


# -- upload ---------------------------------------------------------------------------------------------


@pages.get("/imports")
async def imports_page(
    request: Request, session: SessionDep, viewer: ViewerDep, page: PageQuery = 1
) -> Response:
    """The upload form and the viewer's recent runs (a bureau's own, every bureau's for the city)."""
    return await _imports(request, session, viewer, page)


@pages.post("/imports")
async def upload_page(
    request: Request,
    session: SessionDep,
    viewer: FormViewerDep,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[ImportKind, Form()] = ImportKind.filings,
    bureau: Annotated[str | None, Form(max_length=16)] = None,
    fiscal_year: Annotated[int | None, Form(ge=1980, le=2100)] = None,
    sheet: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """A dry run of the uploaded workbook, then its preview (a refused file: the form again, with why)."""
    limits = settings.import_limits()
    entered = {"kind": kind, "bureau": bureau or "", "fiscal_year": fiscal_year or "", "sheet": sheet or ""}
    try:
        if file is None or not (content := await read_upload(file, limits.max_bytes)):
            raise Unprocessable("file", None, "请选择要上传的工作簿文件（文件不能为空）")
        outcome = await import_service.import_workbook(
            session, viewer.actor, kind=kind, content=content, file_name=file.filename or "upload",
            bureau=bureau or None, fiscal_year=fiscal_year, sheet=sheet or None, commit=False, limits=limits,
        )  # fmt: skip
    except (Unprocessable, UploadTooLarge) as refused:
        # Refused before anything was stored: the form again, with the reason above it.
        return await _imports(
            request,
            session,
            viewer,
            1,
            alert=refused.detail,
            status_code=refused.status_code,
            entered=entered,
        )
    return RedirectResponse(f"/imports/{outcome.run.id}", status_code=303)


@pages.get("/imports/template.xlsx")
async def template_download(session: SessionDep, viewer: ViewerDep) -> Response:
    """The blank filing workbook the bureaus hand out."""
    content = await import_service.filing_template(session)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": attachment("科技型企业梯度培育申报表.xlsx")},
    )


async def _imports(
    request: Request,
    session: AsyncSession,
    viewer: Viewer,
    page: int,
    *,
    alert: str | None = None,
    status_code: int = 200,
    entered: dict[str, Any] | None = None,
) -> Response:
    actor = viewer.actor
    runs, total = await import_service.list_runs(
        session, actor, offset=(page - 1) * RUNS_PER_PAGE, limit=RUNS_PER_PAGE
    )
    bureaus = await reference_service.bureaus(session)
    names = {b.code: b.name for b in bureaus}
    picks_bureau = actor.role is not Role.bureau
    context = {
        "runs": [ImportRunRead.of(r) for r in runs],
        "total": total,
        "pager": Pager.at("/imports", {}, page=page, total=total, size=RUNS_PER_PAGE),
        "bureau_names": names,
        "own_bureau": None if picks_bureau else names.get(actor.bureau_code or "", actor.bureau_code),
        "bureaus": sorted(bureaus, key=lambda b: (b.kind != "district", b.district_code, b.code))
        if picks_bureau
        else [],
        # Each role is offered what its specs let it import (a bureau: filings, the registers are the city's).
        "kinds": [(spec.kind, spec.label) for spec in IMPORTS if actor.role in spec.roles],
        "entered": entered or {"kind": ImportKind.filings, "bureau": "", "fiscal_year": "", "sheet": ""},
        "alert": alert,
        "status_badges": STATUS_BADGES,
    }
    return render(request, "imports/index.html", context, status_code=status_code)


# -- one run: preview, issues, annotated workbook, commit -------------------------------------------------


@pages.get("/imports/{run_id:int}")
async def run_page(
    request: Request,
    run_id: Id,
    session: SessionDep,
    viewer: ViewerDep,
    page: PageQuery = 1,
) -> Response:
    """The preview (or the result) of one run: counts, status, the issues, download and commit."""
    return await _run(request, session, viewer, run_id, page)


@pages.post("/imports/{run_id:int}/commit")
async def commit_page(
    request: Request, run_id: Id, session: SessionDep, viewer: FormViewerDep, settings: SettingsDep
) -> Response:
    """Import a previewed run; then back to its page, now 已导入."""
    try:
        await import_service.commit_run(session, viewer.actor, run_id, settings.import_limits())
    except Conflict as conflict:
        # Already committed, or the same file committed by another run: nothing was written.
        return await _run(request, session, viewer, run_id, 1, alert=conflict.detail, status_code=409)
    return redirect_with_flash(request, f"/imports/{run_id}", COMMITTED)


@pages.get("/imports/{run_id:int}/annotated.xlsx")
async def annotated_download(
    run_id: Id, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> Response:
    """The user's own workbook back: bad cells filled and commented, plus a 「错误清单」 sheet."""
    name, content = await import_service.annotated_workbook(
        session, viewer.actor, run_id, settings.import_limits()
    )
    return Response(content, media_type=XLSX, headers={"Content-Disposition": attachment(name)})


async def _run(
    request: Request,
    session: AsyncSession,
    viewer: Viewer,
    run_id: int,
    page: int,
    *,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    run = await import_service.get_run(session, viewer.actor, run_id)
    issues, total = await import_service.run_issues(
        session, viewer.actor, run_id, offset=(page - 1) * ISSUES_PER_PAGE, limit=ISSUES_PER_PAGE
    )
    bureaus = {b.code: b.name for b in await reference_service.bureaus(session)}
    shown = ImportRunRead.of(run)
    context = {
        "run": shown,
        "bureau_name": bureaus.get(run.bureau_code or "", run.bureau_code),
        "status_badge": STATUS_BADGES.get(run.status, "unknown"),
        "counts": [
            (label, run.counts[key], key in ALARMING and bool(run.counts[key]))
            for key, label in COUNT_LABELS
            if key in run.counts
        ],
        "can_commit": _can_commit(run),
        "issues": [_issue_row(ImportIssueRead.model_validate(i)) for i in issues],
        "issues_total": total,
        "issues_first": (page - 1) * ISSUES_PER_PAGE + 1,
        "pager": Pager.at(f"/imports/{run_id}", {}, page=page, total=total, size=ISSUES_PER_PAGE),
        "alert": alert,
    }
    return render(request, "imports/run.html", context, status_code=status_code)


def _can_commit(run: ImportRun) -> bool:
    """A preview with at least one row that would be written."""
    return run.status == "dry_run" and not nothing_imported(Outcome(run, 0))


def _issue_row(issue: ImportIssueRead) -> dict[str, Any]:
    label, badge, rank = SEVERITIES.get(issue.severity, (issue.severity, "unknown", 2))
    return {
        "issue": issue,
        "severity_label": label,
        "severity_badge": badge,
        "severity_rank": rank,
        "column_rank": _column_number(issue.column),
    }


def _column_number(letters: str | None) -> int:
    """A column's position (A 1, Z 26, AA 27) so the table sorts AA after Z; 0 for none."""
    try:
        return column_index_from_string(letters.strip().upper()) if letters else 0
    except ValueError:
        return 0
