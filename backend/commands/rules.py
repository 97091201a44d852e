"""`tidu rules …`, `tidu evaluate` and `tidu whatif`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.commands.common import console, fail, in_transaction, operator
from backend.evaluations import impact as impact_service
from backend.evaluations import service as evaluation_service
from backend.evaluations.schemas import (
    DecisionRead,
    RunSummaryRead,
    decision_read,
)
from backend.rulesets.schemas import DiffRead, DiffRequest
from rules.cases import load_cases, run_case
from rules.errors import RuleError
from rules.facts_file import __doc__ as FACTS_FILE_DOC
from rules.facts_file import parse_facts, to_raw
from rules.ruleset import load_rulesets
from rules.run import evaluate_one
from vocabulary.figures import label_of
from vocabulary.states import CRITERION_LABELS, OUTCOME_LABELS

rules_app = typer.Typer(no_args_is_help=True, help="规则集：检查、测试、事实清单、版本比较")


@rules_app.command("check")
def rules_check() -> None:
    """Load and check every rule set (unknown facts, types, cycles, overlapping versions)."""
    try:
        registry = load_rulesets()
    except RuleError as exc:
        raise fail(str(exc)) from exc
    table = Table(title="规则集")
    for column in ("项目", "版本", "类型", "生效", "暂定参数", "名称"):
        table.add_column(column)
    for program in registry.programs():
        for ruleset in registry.versions(program):
            document = ruleset.document
            provisional = sum(1 for p in document.params.values() if p.status == "provisional")
            span = f"{document.effective.from_} – {document.effective.to or '至今'}"
            enabled = "" if document.enabled else "（未启用）"
            table.add_row(
                program, ruleset.version, ruleset.kind, span, str(provisional), ruleset.title + enabled
            )
    console.print(table)
    console.print("全部规则集检查通过")


@rules_app.command("test")
def rules_test() -> None:
    """Run every rule set's YAML cases through both evaluators."""
    try:
        registry = load_rulesets()
    except RuleError as exc:
        raise fail(str(exc)) from exc
    cases = load_cases()
    failures = [(case, problems) for case in cases if (problems := run_case(registry, case))]
    for case, problems in failures:
        console.print(f"[red]失败[/red] {case.id}")
        for problem in problems:
            console.print("  " + problem)
    console.print(f"{len(cases) - len(failures)}/{len(cases)} 个用例通过")
    if failures:
        raise typer.Exit(1)


@rules_app.command("facts")
def rules_facts() -> None:
    """Every fact a rule may read, and how to write a facts file by hand."""
    registry = load_rulesets()
    console.print(registry.facts.describe(), markup=False, highlight=False)
    console.print("\n事实文件（tidu whatif --facts）的格式：", markup=False)
    console.print(FACTS_FILE_DOC or "", markup=False, highlight=False)


@rules_app.command("diff")
def rules_diff(
    old: Annotated[str, typer.Argument(help="旧版本，如 seedling/2019")],
    new: Annotated[str, typer.Argument(help="新版本，如 seedling/2021")],
    year: Annotated[int, typer.Option(help="评价（申报）年度")],
    bureau: Annotated[str | None, typer.Option(help="只比较一个审查单位")] = None,
    limit: Annotated[int, typer.Option(help="列出的企业数")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """What adopting NEW instead of OLD would change: gains, losses with reasons, award money per bureau."""
    program, old_version = _split(old)
    new_program, new_version = _split(new)
    if new_program != program:
        raise fail("两个版本必须属于同一个项目")
    request = DiffRequest(program=program, old_version=old_version, new_version=new_version, year=year,
                          bureau=bureau, limit=limit)  # fmt: skip

    async def work(session: AsyncSession) -> DiffRead:
        return await impact_service.impact(session, operator(), request)

    with console.status("正在按两个版本评价登记库…"):
        result = in_transaction(work)
    if as_json:
        print(result.model_dump_json())  # noqa: T201
        return
    _print_diff(result)


def _split(key: str) -> tuple[str, str]:
    program, _, version = key.partition("/")
    if not program or not version:
        raise fail(f"“{key}”应写作 项目/版本，如 seedling/2021")
    return program, version


def _print_diff(result: DiffRead) -> None:
    counts = "，".join(f"{k} {v}" for k, v in sorted(result.counts.items())) or "无变化"
    console.print(
        f"{result.program} {result.old_version} → {result.new_version}（{result.year} 年度，{result.firms_evaluated} 家企业）：{counts}"
    )
    table = Table(title="变化的企业（节选）")
    for column in (label_of("uscc"), label_of("name"), label_of("bureau"), "变化", "原因"):
        table.add_column(column)
    for firm in result.firms:
        table.add_row(
            firm.uscc, firm.name, firm.bureau, f"{firm.old} → {firm.new}", "；".join(firm.reasons[:4])
        )
    console.print(table)
    awards = Table(title=f"奖励金额变化（合计 {result.award_delta_yuan:+,} 元）")
    for column in (label_of("bureau"), "奖励项目", "原版本（元）", "新版本（元）", "变化（元）"):
        awards.add_column(column)
    for row in result.awards:
        if row.delta_yuan:
            awards.add_row(
                row.bureau, row.program, f"{row.old_yuan:,}", f"{row.new_yuan:,}", f"{row.delta_yuan:+,}"
            )
    console.print(awards)


def evaluate(
    year: Annotated[int, typer.Option(help="评价（申报）年度")],
    program: Annotated[list[str] | None, typer.Option(help="只评价这些项目（可重复）")] = None,
    bureau: Annotated[str | None, typer.Option(help="只评价一个审查单位的企业")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
) -> None:
    """Evaluate a year for the registry and store the decisions (unchanged ones are not written again)."""
    progress = Progress(TextColumn("评价中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, disable=as_json)  # fmt: skip
    task = progress.add_task("evaluate", total=None)

    async def work(session: AsyncSession) -> RunSummaryRead:
        return await evaluation_service.evaluate_year(
            session, operator(), year=year, programs=program or None, bureau=bureau,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )  # fmt: skip

    with progress:
        summary = in_transaction(work)
    if as_json:
        payload = {"evaluated": summary.evaluated, "unchanged": summary.unchanged, "firms": summary.firms,
                   "run_id": summary.run_id, "programs": summary.programs}  # fmt: skip
        print(json.dumps(payload, ensure_ascii=False))  # noqa: T201
        return
    table = Table(
        title=f"{year} 年度评价：{summary.firms:,} 家企业，新写入 {summary.evaluated:,} 条结论，{summary.unchanged:,} 条未变"
    )
    for column in ("项目", *OUTCOME_LABELS.values()):
        table.add_column(column, justify="right" if column != "项目" else "left")
    for name, counts in sorted(summary.programs.items()):
        table.add_row(name, f"{counts['eligible']:,}", f"{counts['ineligible']:,}", f"{counts['unknown']:,}")
    console.print(table)
    if summary.not_in_force:
        console.print(f"该日期没有生效版本、未评价：{'、'.join(summary.not_in_force)}")


def whatif(
    program: Annotated[str, typer.Option(help="评价项目，如 seedling")],
    year: Annotated[int, typer.Option(help="申报年度")],
    facts: Annotated[
        Path, typer.Option(help="事实文件（JSON 或 YAML，格式见 tidu rules facts）", exists=True)
    ],
    on: Annotated[str | None, typer.Option(help="评价日期 YYYY-MM-DD（默认：该年度今天或年末）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """Decide one program for a firm described in a facts file. No database needed."""
    try:
        document = parse_facts(yaml.safe_load(facts.read_text(encoding="utf-8")))
        day = date.fromisoformat(on) if on else evaluation_service.default_evaluation_date(year)
        decisions = evaluate_one(
            load_rulesets(), to_raw(document), year=year, evaluation_date=day, programs=[program]
        )
    except (RuleError, ValueError, yaml.YAMLError) as exc:
        raise fail(str(exc)) from exc
    read = decision_read(decisions[program])
    if as_json:
        print(read.model_dump_json())  # noqa: T201
        return
    _print_decision(read)


def _print_decision(read: DecisionRead) -> None:
    console.print(
        f"[bold]{read.title}[/bold]（{read.program}/{read.version}，基准日 {read.as_of}）：{OUTCOME_LABELS[read.outcome]}"
    )
    if read.amount_yuan is not None:
        console.print(f"金额：{read.amount_yuan:,} 元")
    tree = Tree(_line(read.criteria.model_dump()))
    _branch(tree, read.criteria.model_dump()["children"])
    console.print(tree)
    if read.provisional:
        console.print(
            "暂定参数：" + "；".join(f"{p.name}={p.value}（{p.reference}）" for p in read.provisional)
        )
    if read.missing:
        console.print("缺少资料：" + "、".join(read.missing))
    if read.advice is not None:
        console.print("建议：" + ("；".join(s.text for s in read.advice.steps) or "无"))


def _line(node: dict[str, Any]) -> str:
    facts = "，".join(f"{k}={v}" for k, v in node["facts"].items())
    gap = "；".join(c["text"] for c in node["comparisons"])
    return (
        f"[{CRITERION_LABELS[node['outcome']]}] {node['label']}"
        + (f"（{facts}）" if facts else "")
        + (f" → {gap}" if gap else "")
    )


def _branch(tree: Tree, children: list[dict[str, Any]]) -> None:
    for child in children:
        _branch(tree.add(_line(child)), child["children"])
