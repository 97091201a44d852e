"""`tidu import FILE` and `tidu template filing`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.commands.common import console, fail, in_transaction, operator
from backend.core.config import get_settings
from backend.imports import service as import_service
from backend.imports.runs import Outcome, nothing_imported
from backend.imports.schemas import ImportIssueRead, ImportRunRead
from backend.models import ImportIssue
from vocabulary.imports import IMPORT_KIND_LABELS, IMPORTS, ImportKind

KINDS_HELP = "、".join(f"{spec.kind.value}（{spec.label}）" for spec in IMPORTS)
template_app = typer.Typer(no_args_is_help=True, help="空白模板")
ISSUES_PRINTED = 50


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="要导入的工作簿")],
    bureau: Annotated[str | None, typer.Option(help="审查单位代码，如 jinghai（申报数据必填）")] = None,
    kind: Annotated[str, typer.Option(help=f"数据类别：{KINDS_HELP}")] = ImportKind.filings.value,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查、预览，不写入")] = False,
    fiscal_year: Annotated[
        int | None, typer.Option(min=1980, max=2100, help="表中未写年度时的会计年度")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="要导入的工作表名（工作簿中有多张申报表时）")] = None,
    annotated: Annotated[Path | None, typer.Option(help="把标注了问题的工作簿写到此路径")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
) -> None:
    """Import a workbook (exit 1 when the file is refused or no row of it can be imported)."""
    if kind not in IMPORT_KIND_LABELS:
        raise fail(f"未知的数据类别“{kind}”：可选 {KINDS_HELP}", code=2)
    content = file.read_bytes()
    limits = get_settings().import_limits()
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                        console=console, disable=as_json)  # fmt: skip
    task = progress.add_task("准备", total=None)

    async def work(session: AsyncSession) -> tuple[Outcome, list[ImportIssue], bytes | None]:
        outcome = await import_service.import_workbook(
            session, operator(), kind=ImportKind(kind), content=content, file_name=file.name, bureau=bureau,
            fiscal_year=fiscal_year, sheet=sheet, commit=not dry_run, source="cli", limits=limits,
            on_stage=lambda stage: progress.update(task, description=stage),
        )  # fmt: skip
        assert outcome.run.id is not None
        issues, _ = await import_service.run_issues(session, operator(), outcome.run.id)
        marked = None
        if annotated is not None and issues:
            _, marked = await import_service.annotated_workbook(session, operator(), outcome.run.id, limits)
        return outcome, list(issues), marked

    with progress:
        outcome, issues, marked = in_transaction(work)
    if marked is not None and annotated is not None:
        annotated.write_bytes(marked)
    _report(outcome, issues, as_json, annotated if marked else None)
    if nothing_imported(outcome):
        raise typer.Exit(1)


def _report(outcome: Outcome, issues: list[ImportIssue], as_json: bool, annotated: Path | None) -> None:
    run = ImportRunRead.of(outcome.run)
    if as_json:
        payload = {"run": run.model_dump(mode="json"),
                   "issues": [ImportIssueRead.model_validate(i).model_dump() for i in issues]}  # fmt: skip
        print(json.dumps(payload, ensure_ascii=False))  # noqa: T201
        return
    console.print(f"导入批次 #{run.id}（{run.status_label}）：{run.summary}")
    if issues:
        table = Table(
            title=f"问题（共 {len(issues)} 个{'，仅列前 50 个' if len(issues) > ISSUES_PRINTED else ''}）"
        )
        for column in ("级别", "工作表", "行", "列", "原值", "说明"):
            table.add_column(column)
        for issue in issues[:ISSUES_PRINTED]:
            level = "[red]错误[/red]" if issue.severity == "error" else "[yellow]警告[/yellow]"
            table.add_row(level, issue.sheet or "", str(issue.row or ""), issue.column or "", issue.value or "",
                          issue.message)  # fmt: skip
        console.print(table)
    if annotated is not None:
        console.print(f"已写出标注了问题的工作簿：{annotated}")
    elif any(i.severity == "error" for i in issues):
        console.print("提示：加 --annotated 文件名.xlsx 可得到标出问题单元格的工作簿")


@template_app.command("filing")
def filing_template(
    output: Annotated[Path, typer.Option("-o", "--output", dir_okay=False, help="写出的 .xlsx 文件")],
    fiscal_year: Annotated[int | None, typer.Option(min=1980, max=2100, help="写入标题的会计年度")] = None,
) -> None:
    """Write the blank filing workbook bureaus hand out to firms."""

    async def work(session: AsyncSession) -> bytes:
        return await import_service.filing_template(session, fiscal_year)

    output.write_bytes(in_transaction(work))
    console.print(f"已写出空白申报模板：{output}")
