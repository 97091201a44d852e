"""`tidu awards …`: compute the year's awards from the evaluations."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.awards import service as award_service
from backend.awards.schemas import ComputeResult
from backend.commands.common import console, in_transaction, operator

awards_app = typer.Typer(no_args_is_help=True, help="奖励：按评价结果计算、审核、拨付")


@awards_app.command("compute")
def compute(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="奖励（评价）年度")],
    program: Annotated[str | None, typer.Option(help="奖励项目代码；省略则计算全部奖励项目")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """Compute the year's awards from the latest eligible evaluations (a second run changes nothing)."""

    async def work(session: AsyncSession) -> ComputeResult:
        return await award_service.compute_awards(session, operator(), year, program)

    result = in_transaction(work)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    table = Table(title=f"{year} 年度奖励计算")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    rows = [("新增", result.created), ("未变化", result.unchanged), ("重新计算更正", result.corrected),
            ("排除", result.excluded), ("每户限一次已获得", result.once_per_firm_skipped),
            ("金额变化待人工更正", len(result.conflicts))]  # fmt: skip
    for name, count in rows:
        table.add_row(name, f"{count:,}")
    console.print(table)
    for c in result.conflicts:
        console.print(
            f"[yellow]待更正[/yellow] 奖励 #{c.award_id} {c.uscc} {c.firm_name} {c.program}：当前「{c.state}」"
            f" {c.amount_yuan:,} 元，重新计算为 {c.computed_amount_yuan:,} 元"
        )
