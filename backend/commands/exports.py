"""`tidu export KIND --year Y … -o FILE`: one list to a file, recorded like a download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.commands.common import console, fail, in_transaction, operator
from backend.lists import service as export_service
from backend.lists.files import (
    SIDECAR_SUFFIX,
    Staged,
    export_to_file,
    finish_interrupted,
    run_of_file,
    stage,
)
from backend.lists.params import DEFAULT_REMINDER_DAYS, FORMATS, ListParams
from backend.lists.service import AlreadyFinal, Exported
from exports.changes import CHANGE_NAMES
from vocabulary.lists import FILTERS_BY_NAME, LISTS, LISTS_BY_KIND, Filter, ListKind, needing, titles

KINDS_HELP = "、".join(f"{spec.code}（{spec.title}）" for spec in LISTS)
FINAL_HELP = "、".join(spec.title for spec in LISTS if spec.can_be_final)


def described(name: Filter) -> str:
    """A filter's help: what it is, and which lists need it."""
    spec = FILTERS_BY_NAME[name]
    required = needing(name)
    return f"{spec.help or spec.label}（{titles(required)}必填）" if required else spec.help or spec.label


def export_file(
    kind: Annotated[str, typer.Argument(help=f"清单：{KINDS_HELP}")],
    output: Annotated[Path, typer.Option("--output", "-o", dir_okay=False, help="输出文件")],
    year: Annotated[int | None, typer.Option(min=1980, max=2100, help=described(Filter.year))] = None,
    bureau: Annotated[str | None, typer.Option(help=described(Filter.bureau))] = None,
    program: Annotated[str | None, typer.Option(help=described(Filter.program))] = None,
    batch: Annotated[int | None, typer.Option(min=1, help=described(Filter.batch))] = None,
    tier: Annotated[str | None, typer.Option(help=described(Filter.tier))] = None,
    days: Annotated[int, typer.Option(min=1, max=3660, help=described(Filter.days))] = DEFAULT_REMINDER_DAYS,
    fmt: Annotated[str | None, typer.Option("--format", help="xlsx 或 csv（默认按文件扩展名）")] = None,
    final: Annotated[
        bool, typer.Option("--final", help=f"正式{FINAL_HELP}：所列奖励转为“已列入拨付清单”")
    ] = False,
) -> None:
    """Export a list; csv also writes FILE.manifest.json. Exit 1 with the reason on any error.

    The file is renamed into place after the commit; run again after a crash, the command first puts
    in place what the killed export committed. A final 拨付清单 never replaces another final list's
    file: asked for again where its file is, with nothing approved left to list, it is done (exit 0).
    """
    if kind not in {spec.code for spec in LISTS}:
        raise fail(f"没有“{kind}”这种清单：可选 {KINDS_HELP}", code=2)
    spec = LISTS_BY_KIND[ListKind(kind)]
    chosen = fmt or ("csv" if output.suffix.lower() == ".csv" else "xlsx")
    if chosen not in FORMATS:
        raise fail("导出格式应为 xlsx 或 csv", code=2)
    if not output.parent.is_dir():
        raise fail(f"输出目录不存在：{output.parent}", code=2)
    params = ListParams(
        year=year, program=program, bureau=bureau, batch=batch, tier=tier, days=days, final=final
    )
    target = output.resolve()
    staged: list[Staged] = []

    async def work(session: AsyncSession) -> Exported | AlreadyFinal:
        files = await stage(target.parent)  # no other export stages or renames in this folder meanwhile
        staged.append(files)
        finished = await finish_interrupted(session, files, target)  # what a killed export left
        if final and (earlier := await run_of_file(session, target)) is not None and earlier.final:
            return await export_service.final_list_again(
                session, operator(), spec, params, earlier, finished=bool(finished)
            )
        exported, _ = await export_to_file(
            session, operator(), spec, params, chosen, target, source="cli", staged=files
        )
        return exported

    try:
        with console.status("正在导出…"):
            result = in_transaction(work)
    except BaseException:
        for files in staged:
            files.discard()
        raise
    written = staged[0].publish()
    if isinstance(result, AlreadyFinal):
        _already(result, target)
    else:
        _summary(result, written)


def _already(done: AlreadyFinal, target: Path) -> None:
    run = done.run
    how = "上次导出在提交后中断，现已补全其文件" if done.finished else "输出文件就是这份清单"
    console.print(
        f"正式「{run.manifest.get('title', '拨付清单')}」早已导出（导出记录 #{run.id}，{run.row_count:,} 行）：{how}"
    )
    for key, total in run.manifest.get("sums", {}).items():
        console.print(f"  金额合计（{key}）：{total:,} 元")
    console.print(f"  没有待列入的已批准奖励，未再导出；文件：{target}")


def _summary(exported: Exported, written: list[Path]) -> None:
    run, manifest, diff = exported.run, exported.manifest, exported.diff
    console.print(
        f"已导出{'正式' if run.final else ''}「{manifest.info.title}」：{manifest.row_count:,} 行（导出记录 #{run.id}）"
    )
    for key, total in manifest.sums.items():
        console.print(f"  金额合计（{key}）：{total:,} 元")
    if diff.previous is None:
        console.print("  首份同类清单，无可比较的上一份")
    else:
        counts = "，".join(f"{CHANGE_NAMES[c]} {n}" for c, n in diff.counts().items())
        console.print(f"  与上一份同类清单 {diff.previous} 相比：{counts}")
    console.print(f"  行数据 SHA-256：{manifest.rows_sha256}")
    for path in written:
        label = "清单说明" if path.name.endswith(SIDECAR_SUFFIX) else "文件"
        console.print(f"  {label}：{path}")
