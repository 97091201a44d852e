"""Workbook imports: upload (preview or commit), the runs, their issues and the annotated workbook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from backend.auth.deps import ActorDep
from backend.core.bounds import Id
from backend.core.db import SessionDep
from backend.core.deps import SettingsDep
from backend.core.downloads import XLSX, attachment
from backend.core.openapi import error_responses
from backend.core.pagination import MAX_PAGE_SIZE, Page, PageParams
from backend.core.params import PageQuery, SizeQuery
from backend.imports import service as import_service
from backend.imports.runs import Outcome
from backend.imports.schemas import ImportIssueRead, ImportOutcomeRead, ImportRunRead
from backend.imports.uploads import read_upload
from vocabulary.imports import IMPORTS, ImportKind

router = APIRouter(prefix="/api/imports", tags=["imports"])
KINDS_TEXT = "、".join(f"{spec.kind.value}（{spec.label}）" for spec in IMPORTS)
ISSUES_SHOWN = 1_000


@router.post(
    "", status_code=201, response_model=ImportOutcomeRead, responses=error_responses(401, 403, 409, 413, 422)
)
async def upload(
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="工作簿：.xlsx、.xlsm、.xls、.ods 或 .csv")],
    kind: Annotated[ImportKind, Form(description=f"数据类别：{KINDS_TEXT}")] = ImportKind.filings,
    bureau: Annotated[str | None, Form(description="审查单位代码（区科技局用户可省略）")] = None,
    fiscal_year: Annotated[int | None, Form(ge=1980, le=2100, description="表中未写年度时的会计年度")] = None,
    sheet: Annotated[str | None, Form(description="工作簿中有多张申报表时，要导入的工作表名")] = None,
    dry_run: Annotated[bool, Form(description="true：只预览，不写入")] = True,
) -> ImportOutcomeRead:
    """Read a workbook; preview what it would change (``dry_run``) or import its valid rows at once."""
    limits = settings.import_limits()
    content = await read_upload(file, limits.max_bytes)
    outcome = await import_service.import_workbook(
        session, actor, kind=kind, content=content, file_name=file.filename or "upload",
        bureau=bureau or None, fiscal_year=fiscal_year, sheet=sheet or None, commit=not dry_run, limits=limits,
    )  # fmt: skip
    return await _outcome(session, actor, outcome)


@router.get("", response_model=Page[ImportRunRead], responses=error_responses(401, 403))
async def list_runs(
    session: SessionDep,
    actor: ActorDep,
    page: PageQuery = 1,
    size: SizeQuery = 50,
) -> Page[ImportRunRead]:
    """Import runs, newest first: a bureau sees its own, city staff all."""
    params = PageParams(page=page, size=size)
    runs, total = await import_service.list_runs(session, actor, offset=params.offset, limit=params.size)
    return Page(items=[ImportRunRead.of(r) for r in runs], total=total, page=page, size=size)


@router.get(
    "/template.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "空白申报模板"}, **error_responses(401)},
)
async def template(
    session: SessionDep,
    actor: ActorDep,
    fiscal_year: Annotated[int | None, Query(ge=1980, le=2100, description="写入标题的会计年度")] = None,
) -> Response:
    """The blank filing workbook: header notes, units, dropdowns, number formats and instructions."""
    content = await import_service.filing_template(session, fiscal_year)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": attachment("科技型企业梯度培育申报表.xlsx")},
    )


@router.get("/{run_id:int}", response_model=ImportOutcomeRead, responses=error_responses(401, 404))
async def read_run(run_id: Id, session: SessionDep, actor: ActorDep) -> ImportOutcomeRead:
    """One run with its counts and its first issues."""
    run = await import_service.get_run(session, actor, run_id)
    return await _outcome(session, actor, Outcome(run, -1))


@router.get("/{run_id:int}/issues", response_model=Page[ImportIssueRead], responses=error_responses(401, 404))
async def run_issues(
    run_id: Id,
    session: SessionDep,
    actor: ActorDep,
    page: PageQuery = 1,
    size: SizeQuery = MAX_PAGE_SIZE,
) -> Page[ImportIssueRead]:
    """Every issue of a run, in sheet, row and column order."""
    params = PageParams(page=page, size=size)
    issues, total = await import_service.run_issues(
        session, actor, run_id, offset=params.offset, limit=params.size
    )
    return Page(items=[ImportIssueRead.model_validate(i) for i in issues], total=total, page=page, size=size)


@router.get(
    "/{run_id:int}/annotated.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "标注了问题单元格并附「错误清单」的工作簿"},
               **error_responses(401, 404)},
)  # fmt: skip
async def annotated(run_id: Id, session: SessionDep, actor: ActorDep, settings: SettingsDep) -> Response:
    """The user's own workbook back: bad cells filled and commented, plus a 「错误清单」 sheet."""
    name, content = await import_service.annotated_workbook(session, actor, run_id, settings.import_limits())
    return Response(content, media_type=XLSX, headers={"Content-Disposition": attachment(name)})


@router.post(
    "/{run_id:int}/commit",
    response_model=ImportOutcomeRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def commit(
    run_id: Id, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> ImportOutcomeRead:
    """Import a previewed run: its file is checked again against today's registry, then written."""
    outcome = await import_service.commit_run(session, actor, run_id, settings.import_limits())
    return await _outcome(session, actor, outcome)


async def _outcome(session: SessionDep, actor: ActorDep, outcome: Outcome) -> ImportOutcomeRead:
    assert outcome.run.id is not None
    issues, total = await import_service.run_issues(
        session, actor, outcome.run.id, offset=0, limit=ISSUES_SHOWN
    )
    return ImportOutcomeRead(
        run=ImportRunRead.of(outcome.run),
        issues=[ImportIssueRead.model_validate(i) for i in issues],
        issues_total=total,
    )
