"""`tidu tiers …`: the admission workflow's batch steps and the annual 复评, run as the operator."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from backend.commands.common import console, fail, in_transaction, operator
from backend.tiers import annual_review, publication
from backend.tiers import service as tier_service
from backend.tiers.schemas import AdmitRequest, NoticeRequest, StatusRead
from vocabulary.figures import label_of
from vocabulary.ladder import TIER_LABELS, Tier

tiers_app = typer.Typer(no_args_is_help=True, help="梯度入库：批次、候选、公示、公告入库、复评")
JsonOption = Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{option} 应为 YYYY-MM-DD 格式的日期：{value}") from exc


def _print_statuses(title: str, statuses: list[StatusRead]) -> None:
    table = Table(title=title)
    for column in (
        "记录",
        label_of("uscc"),
        label_of("name"),
        label_of("bureau"),
        "梯度",
        "状态",
        "入库登记编号",
    ):
        table.add_column(column)
    for s in statuses:
        table.add_row(
            str(s.id),
            s.uscc,
            s.firm_name,
            s.bureau_code,
            TIER_LABELS[Tier(s.tier)],
            s.state_label,
            s.admission_no or "",
        )
    console.print(table)


@tiers_app.command("batch-create")
def batch_create(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="评价（申报）年度")],
    as_json: JsonOption = False,
) -> None:
    """Open the next admission batch of a year."""
    batch = in_transaction(lambda session: tier_service.create_batch(session, operator(), year))
    if as_json:
        print(batch.model_dump_json())  # noqa: T201
        return
    console.print(f"已创建入库批次 #{batch.id}：{batch.label}")


@tiers_app.command("nominate")
def nominate(batch_id: Annotated[int, typer.Argument(help="批次 id")], as_json: JsonOption = False) -> None:
    """List firms with an eligible evaluation of the batch's year as candidates (twice adds nothing)."""
    result = in_transaction(lambda session: tier_service.nominate(session, operator(), batch_id))
    if as_json:
        print(result.model_dump_json())  # noqa: T201
        return
    created = "，".join(f"{TIER_LABELS[Tier(t)]} {n} 家" for t, n in result.created.items())
    console.print(
        f"批次 #{batch_id} 新列入候选：{created}；从以前批次转入 {sum(result.attached.values())} 家"
    )


@tiers_app.command("notice")
def notice(
    batch_id: Annotated[int, typer.Argument(help="批次 id")],
    notice_from: Annotated[str | None, typer.Option("--from", help="公示开始日期（默认今天）")] = None,
    notice_to: Annotated[str | None, typer.Option("--to", help="公示结束日期（默认开始后第7天）")] = None,
    as_json: JsonOption = False,
) -> None:
    """Start the batch's 公示: city-approved members go into notice, the rest wait for the next batch."""
    body = NoticeRequest(notice_from=_day(notice_from, "--from"), notice_to=_day(notice_to, "--to"))
    result = in_transaction(lambda session: publication.start_notice(session, operator(), batch_id, body))
    if as_json:
        print(result.model_dump_json())  # noqa: T201
        return
    _print_statuses(
        f"{result.batch.label} 公示名单（{result.batch.notice_from} 至 {result.batch.notice_to}）",
        result.in_notice,
    )
    console.print(f"未完成审核、转入下一批次：{len(result.moved_out)} 家")


@tiers_app.command("admit")
def admit(
    batch_id: Annotated[int, typer.Argument(help="批次 id")],
    announced_on: Annotated[str | None, typer.Option(help="公告入库日期（默认今天，须晚于公示期）")] = None,
    as_json: JsonOption = False,
) -> None:
    """公告入库: give admission numbers to the members still in 公示 (after the window, no pending objection)."""
    body = AdmitRequest(announced_on=_day(announced_on, "--announced-on"))
    result = in_transaction(lambda session: publication.admit_batch(session, operator(), batch_id, body))
    if as_json:
        print(result.model_dump_json())  # noqa: T201
        return
    _print_statuses(f"{result.batch.label} 入库名单（{result.batch.announced_on} 公告）", result.admitted)


@tiers_app.command("review")
def review(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="复评年度")],
    as_json: JsonOption = False,
) -> None:
    """复评 of a year over every firm admitted earlier: kept, revoked, or listed as 资料不全."""
    result = in_transaction(lambda session: annual_review.annual_review(session, operator(), year))
    if as_json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))  # noqa: T201
        return
    console.print(
        f"{year}年复评：通过 {len(result.kept)} 家，撤销 {len(result.revoked)} 家，"
        f"资料不全待补充 {len(result.incomplete)} 家，本年已复评 {result.already_reviewed} 家"
    )
    for item in result.revoked + result.incomplete:
        console.print(f"  {item.uscc} {item.firm_name}：{item.note}")
