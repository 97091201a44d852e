"""List exports: download a list (recorded as an export_run), the history, one run's manifest and diff."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.responses import StreamingResponse
from starlette.convertors import Convertor, register_url_convertor

from backend.auth.deps import ActorDep
from backend.core.bounds import Id
from backend.core.db import SessionDep
from backend.core.downloads import attachment
from backend.core.openapi import error_responses
from backend.core.pagination import Page, PageParams
from backend.core.params import PageQuery, SizeQuery
from backend.lists import service as export_service
from backend.lists.download import export_response
from backend.lists.params import DEFAULT_REMINDER_DAYS, ListParams
from backend.lists.schemas import ExportRequest, ExportRunDetail, ExportRunRead
from vocabulary.lists import FILTERS_BY_NAME, LISTS, Filter, ListKind, needing, titles


class ListKindConvertor(Convertor[str]):
    """Only a list's name matches ``{kind}``, so /api/exports/1 is the GET of export 1's path
    (POST there is 405), and /api/exports/disbursement the POST of a list (GET there is 405)."""

    regex = "|".join(re.escape(spec.code) for spec in LISTS)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("list_kind", ListKindConvertor())


def described(name: Filter) -> str:
    """A filter's help as the API shows it: what it is, and which lists cannot do without it."""
    spec = FILTERS_BY_NAME[name]
    text = spec.help or spec.label
    required = needing(name)
    return f"{text}（{titles(required)}必填）" if required else text


YEAR, DAYS = FILTERS_BY_NAME[Filter.year], FILTERS_BY_NAME[Filter.days]
KINDS_TEXT = "、".join(f"{spec.code}（{spec.title}）" for spec in LISTS)
FINAL_TEXT = "、".join(spec.title for spec in LISTS if spec.can_be_final)
router = APIRouter(prefix="/api/exports", tags=["exports"])
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in export_service.MEDIA_TYPES.values()},
          "description": "清单文件（xlsx 含「清单说明」「变动情况」工作表；csv 为 UTF-8 BOM）"},
    **error_responses(401, 403, 404, 409, 422),
}  # fmt: skip


@router.post("/{kind:list_kind}", response_class=StreamingResponse, responses=FILE_RESPONSES)
async def export_list(
    session: SessionDep,
    actor: ActorDep,
    kind: Annotated[ListKind, Path(description=f"清单：{KINDS_TEXT}")],
    year: Annotated[
        int | None, Query(ge=YEAR.minimum, le=YEAR.maximum, description=described(Filter.year))
    ] = None,
    program: Annotated[str | None, Query(max_length=40, description=described(Filter.program))] = None,
    bureau: Annotated[str | None, Query(max_length=16, description=described(Filter.bureau))] = None,
    batch: Annotated[Id | None, Query(description=described(Filter.batch))] = None,
    tier: Annotated[str | None, Query(max_length=20, description=described(Filter.tier))] = None,
    days: Annotated[
        int | None,
        Query(
            ge=DAYS.minimum,
            le=DAYS.maximum,
            description=f"{described(Filter.days)}（默认 {DEFAULT_REMINDER_DAYS}）",
        ),
    ] = None,
    final: Annotated[
        bool | None, Query(description=f"正式{FINAL_TEXT}：所列奖励转为“已列入拨付清单”")
    ] = None,
    fmt: Annotated[Literal["xlsx", "csv"], Query(alias="format", description="文件格式")] = "xlsx",
    body: Annotated[
        ExportRequest | None, Body(description="也可在请求体中给出筛选条件（查询参数优先）")
    ] = None,
) -> StreamingResponse:
    """Build the list now and download it; the run is committed before the first byte is sent."""
    query = {"year": year, "program": program, "bureau": bureau, "batch": batch, "tier": tier, "days": days,
             "final": final}  # fmt: skip
    return await export_response(session, actor, kind, merged_params(query, body), fmt, source="api")


def merged_params(query: dict[str, Any], body: ExportRequest | None) -> ListParams:
    """Query parameters over the JSON body's, defaults for the rest."""
    values = (body.model_dump(exclude_none=True) if body is not None else {}) | {
        key: value for key, value in query.items() if value is not None
    }
    values.setdefault("days", DEFAULT_REMINDER_DAYS)
    return ListParams(**values)


@router.get("", response_model=Page[ExportRunRead], responses=error_responses(401, 403, 422))
async def list_runs(
    session: SessionDep,
    actor: ActorDep,
    kind: Annotated[
        str | None, Query(max_length=24, description="导出记录的清单类型，如 disbursement、public_notice")
    ] = None,
    page: PageQuery = 1,
    size: SizeQuery = 50,
) -> Page[ExportRunRead]:
    """Exports newest first, with their manifest and diff counts; each role sees its own scope."""
    params = PageParams(page=page, size=size)
    runs, total = await export_service.list_runs(
        session, actor, kind=kind, offset=params.offset, limit=params.size
    )
    return Page(items=[ExportRunRead.of(r) for r in runs], total=total, page=page, size=size)


@router.get("/{run_id:int}", response_model=ExportRunDetail, responses=error_responses(401, 403, 404))
async def read_run(run_id: Id, session: SessionDep, actor: ActorDep) -> ExportRunDetail:
    """One export: its manifest and every change against the previous export of the same list."""
    return ExportRunDetail.detail(await export_service.get_run(session, actor, run_id))


@router.get(
    "/{run_id:int}/manifest.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "清单说明与变动（JSON）"},
               **error_responses(401, 403, 404)},
)  # fmt: skip
async def manifest(run_id: Id, session: SessionDep, actor: ActorDep) -> Response:
    """The manifest and diff of one export as a JSON file (the CSV sidecar's shape)."""
    run = await export_service.get_run(session, actor, run_id)
    name = f"{run.file_name}.manifest.json"
    return Response(
        export_service.manifest_document(run), media_type="application/json",
        headers={"Content-Disposition": attachment(name)},
    )  # fmt: skip
