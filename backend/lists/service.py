"""Export a list: build it from the database, diff it against the previous export of the same
list, write the file in a worker thread and record it as an export_run (plus an audit row).

Everything happens in the caller's one transaction. A final 拨付清单 moves its awards to
``exported`` in that same transaction, so a failed export leaves every award as it was. A
拨付清单's rows are streamed from a server-side cursor into the writer (``stream.py``) and
checked against the snapshot read just before: only the snapshot is held, never the rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.awards import service as award_service
from backend.core import clock
from backend.core.security import Actor
from backend.lists.builders import build_list
from backend.lists.built import Streamed
from backend.lists.errors import (
    ExportFailed,
    ExportForbidden,
    ExportInvalid,
    ExportNotFound,
    FinalListExists,
)
from backend.lists.explain import explained
from backend.lists.kinds_money import LISTED_AWARD_STATES
from backend.lists.params import FORMATS, ListParams, scoped, spec_of
from backend.lists.repository import AwardFilter, ExportRepository
from backend.lists.stream import Pull, checked
from backend.models import ExportRun
from backend.reference import service as reference_service
from backend.rulesets.service import program_title
from exports.changes import Diff, SnapshotRow, diff_rows
from exports.columns import amount_keys
from exports.csv import write_csv
from exports.document import ListDocument
from exports.errors import ExportError
from exports.manifest import Manifest, ManifestInfo
from exports.xlsx import write_xlsx
from vocabulary.ladder import TIER_LABELS
from vocabulary.lists import LISTS, Filter, ListSpec, lists_for, titles
from vocabulary.states import ROLE_LABELS, Role

CHUNK = 1024 * 1024
DIFF_ENTRIES_KEPT = 5_000  # per export_run row; the counts are always exact
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}  # fmt: skip
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


@dataclass(frozen=True)
class Exported:
    """One export: its record, what the rows measured and what changed since the previous one."""

    run: ExportRun
    manifest: Manifest
    diff: Diff


async def export_list(
    session: AsyncSession,
    actor: Actor,
    kind: ListSpec | str,
    params: ListParams,
    fmt: str,
    out: BinaryIO,
    *,
    source: str = "api",
) -> ExportRun:
    """Write the list to ``out`` (readable and seekable: a temp file) and record it."""
    return (await export(session, actor, kind, params, fmt, out, source=source)).run


async def export(
    session: AsyncSession,
    actor: Actor,
    kind: ListSpec | str,
    params: ListParams,
    fmt: str,
    out: BinaryIO,
    *,
    source: str = "api",
) -> Exported:
    spec = spec_of(kind)
    if fmt not in FORMATS:
        raise ExportInvalid("format", fmt, "导出格式应为 xlsx 或 csv")
    params = scoped(actor, spec, params)
    filters = await _filter_labels(session, spec, params)
    repo = ExportRepository(session)
    run_kind, scope_key = spec.run_kind, params.scope_key(spec)
    await repo.lock_scope(run_kind, scope_key)
    built = await build_list(session, spec, params)
    previous = await repo.latest_run(run_kind, scope_key)
    diff = await explained(session, spec, built, _diff(previous, built.snapshot))
    now = clock.utc_now()
    info = ManifestInfo(
        kind=run_kind, title=built.title, generated_by=actor.label, generated_at=now, data_cutoff=now,
        ruleset_versions=built.ruleset_versions, filters=filters | built.filter_labels,
        final=params.final, previous=diff.previous,
    )  # fmt: skip
    groups: dict[str, dict[str, int]] = {}

    def document(rows: Iterable[Mapping[str, Any]]) -> ListDocument:
        tallied = _tallied(spec, rows, groups)
        return ListDocument(info, spec.columns, tallied, spec.group, spec.group_label, diff, built.notes)

    if built.stream is None:
        manifest, file_sha256 = await asyncio.to_thread(_write, document(built.rows), fmt, out)
    else:
        manifest, file_sha256 = await _write_streamed(built.stream, document, fmt, out)
    run = await repo.add_run(
        ExportRun(
            kind=run_kind, scope_key=scope_key, file_format=fmt, file_name=file_name(built.title, params, fmt, now),
            final=params.final, row_count=manifest.row_count, rows_sha256=manifest.rows_sha256,
            file_sha256=file_sha256, totals={"sums": dict(manifest.sums), "groups": groups},
            manifest=manifest.as_dict(), diff_summary=_kept(diff),
            snapshot=[[row.key, row.amount, row.label] for row in built.snapshot],
            previous_id=previous.id if previous is not None else None, source=source,
            created_by_id=actor.user_id, actor_label=actor.label[:80],
        )
    )  # fmt: skip
    assert run.id is not None
    if params.final and built.award_ids:  # a final list of nothing marks nothing
        await award_service.mark_exported(session, actor, built.award_ids, run.id)
    await audit.record(session, actor, "export", "export_run", run.id, after=_audited(run))
    return Exported(run, manifest, diff)


@dataclass(frozen=True)
class AlreadyFinal:
    """A final 拨付清单 asked for again where its file already is, with no approved award left to list."""

    run: ExportRun
    finished: bool  # its file was put in place only now: the export before had been killed after its commit


async def run_with_file(session: AsyncSession, file_sha256: str) -> ExportRun | None:
    return await ExportRepository(session).run_with_file(file_sha256)


async def final_list_again(
    session: AsyncSession,
    actor: Actor,
    kind: ListSpec | str,
    params: ListParams,
    earlier: ExportRun,
    *,
    finished: bool,
) -> AlreadyFinal:
    """A final 拨付清单 is asked for where the file of the final list ``earlier`` is. A final list is
    never written over another: the same list with nothing approved left to list is the job already
    done (a re-run after a crash); anything else is refused (409), the file left as it is."""
    spec = spec_of(kind)
    params = scoped(actor, spec, params)  # only a 拨付清单 may be final
    assert params.year is not None
    listed = AwardFilter(params.year, params.program, params.bureau, LISTED_AWARD_STATES)
    waiting = await ExportRepository(session).count_awards(listed)
    if earlier.scope_key == params.scope_key(spec) and waiting == 0:
        return AlreadyFinal(earlier, finished)
    raise FinalListExists(
        f"输出文件已是正式拨付清单 #{earlier.id}（{earlier.row_count} 行），正式清单不会被覆盖："
        f"请用 -o 另指定输出文件（待列入的已批准奖励 {waiting} 笔）",
        export_run_id=earlier.id,
    )


def _kept(diff: Diff) -> dict[str, Any]:
    """The diff as stored: exact counts, and the first entries (the file's 变动情况 sheet has them all)."""
    stored = diff.as_dict()
    if len(diff.entries) > DIFF_ENTRIES_KEPT:
        stored["entries"] = stored["entries"][:DIFF_ENTRIES_KEPT]
        stored["entries_truncated"] = True
    return stored


def _diff(previous: ExportRun | None, current: Sequence[SnapshotRow]) -> Diff:
    if previous is None:
        return diff_rows([], current, previous_label=None)
    before = [SnapshotRow(str(key), str(label), None if amount is None else int(amount))
              for key, amount, label in previous.snapshot]  # fmt: skip
    label = f"#{previous.id} {previous.created_at.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M}"
    return diff_rows(before, current, previous_label=label)


def _tallied(
    spec: ListSpec, rows: Iterable[Mapping[str, Any]], groups: dict[str, dict[str, int]]
) -> Iterator[Mapping[str, Any]]:
    """The rows, adding each group's amounts into ``groups`` as they pass (the file's 小计)."""
    keys = amount_keys(spec.columns)
    for row in rows:
        if spec.group is not None and keys:
            sums = groups.setdefault(str(row.get(spec.group)), dict.fromkeys(keys, 0))
            for key in keys:
                sums[key] += int(row.get(key) or 0)
        yield row


async def _write_streamed(
    stream: Streamed, document: Callable[[Iterable[Mapping[str, Any]]], ListDocument], fmt: str, out: BinaryIO
) -> tuple[Manifest, str]:
    """Write while the rows arrive from a server-side cursor (memory flat in the row count)."""
    pull = Pull(await stream.open(), asyncio.get_running_loop())
    try:
        doc = document(stream.lines(checked(pull.records(), stream)))
        return await asyncio.to_thread(_write, doc, fmt, out)
    finally:
        await pull.stop()


def _write(doc: ListDocument, fmt: str, out: BinaryIO) -> tuple[Manifest, str]:
    """In a worker thread: write the file, then read it back for its sha256."""
    try:
        manifest = write_xlsx(doc, out) if fmt == "xlsx" else write_csv(doc, out)
    except ExportError as exc:
        raise ExportFailed(str(exc)) from exc
    out.flush()
    out.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: out.read(CHUNK), b""):
        digest.update(chunk)
    out.seek(0)
    return manifest, digest.hexdigest()


def file_name(title: str, params: ListParams, fmt: str, at: Any) -> str:
    parts = [
        title,
        params.bureau or "",
        "正式" if params.final else "",
        f"{at.astimezone(clock.SHANGHAI):%Y%m%d-%H%M%S}",
    ]
    return _UNSAFE.sub("_", "-".join(p for p in parts if p))[:240] + f".{fmt}"


async def _filter_labels(session: AsyncSession, spec: ListSpec, params: ListParams) -> dict[str, str]:
    """The filters the list reads, in Chinese, for the manifest; an unknown bureau is refused here (422)."""
    labels: dict[str, str] = {}
    for name, text in params.filters(spec).items():
        labels[spec.filter_label(Filter(name))] = await _filter_text(session, Filter(name), text)
    return labels


async def _filter_text(session: AsyncSession, name: Filter, value: str) -> str:
    if name is Filter.program:
        return f"{program_title(value)}（{value}）"
    if name is Filter.bureau:
        return (await reference_service.require_bureau(session, value, field="bureau")).name
    if name is Filter.tier:
        return TIER_LABELS.get(value, value)
    return value


def _audited(run: ExportRun) -> dict[str, Any]:
    return {
        "kind": run.kind, "scope_key": run.scope_key, "file_name": run.file_name, "final": run.final,
        "row_count": run.row_count, "rows_sha256": run.rows_sha256, "file_sha256": run.file_sha256,
        "source": run.source, "diff": run.diff_summary.get("counts"),
    }  # fmt: skip


def exportable_kinds(actor: Actor) -> tuple[ListSpec, ...]:
    """The lists ``actor`` may export (each within its own scope), in page order."""
    return lists_for(actor.role)


# -- history ---------------------------------------------------------------------------------


def visible_lists(actor: Actor) -> tuple[ListSpec, ...]:
    """The lists whose exports ``actor`` may look back on: those it may export."""
    allowed = lists_for(actor.role)
    if not allowed:
        raise ExportForbidden(f"{ROLE_LABELS[actor.role]}用户不能查看导出记录")
    return allowed


def _visible_kinds(actor: Actor) -> list[str] | None:
    """The run kinds ``actor`` may see, or None for every one."""
    allowed = visible_lists(actor)
    return None if len(allowed) == len(LISTS) else [spec.run_kind for spec in allowed]


def _may_see(actor: Actor, run: ExportRun) -> bool:
    kinds = _visible_kinds(actor)
    if kinds is not None and run.kind not in kinds:
        return False
    if actor.role is Role.bureau:
        return f";bureau={actor.bureau_code};" in run.scope_key + ";"
    return True


async def list_runs(
    session: AsyncSession, actor: Actor, *, kind: str | None, offset: int, limit: int
) -> tuple[Sequence[ExportRun], int]:
    """Exports newest first: a bureau sees its own lists, finance 拨付清单, city and admin all."""
    kinds = _visible_kinds(actor)
    if kind is not None:
        if kinds is not None and kind not in kinds:
            titled = titles(visible_lists(actor))
            raise ExportForbidden(f"{ROLE_LABELS[actor.role]}用户只能查看{titled}的导出记录")
        kinds = [kind]
    bureau = actor.bureau_code if actor.role is Role.bureau else None
    return await ExportRepository(session).runs(kinds=kinds, scope_prefix=bureau, offset=offset, limit=limit)


async def get_run(session: AsyncSession, actor: Actor, run_id: int) -> ExportRun:
    run = await ExportRepository(session).run(run_id)
    if run is None or not _may_see(actor, run):
        raise ExportNotFound(f"导出记录 {run_id} 不存在", export_run_id=run_id)
    return run


def manifest_document(run: ExportRun) -> bytes:
    """The stored manifest and diff, shaped like a CSV's sidecar, plus the file's own fingerprint."""
    document = {
        "manifest": run.manifest, "diff": run.diff_summary, "export_run_id": run.id, "file_name": run.file_name,
        "file_format": run.file_format, "file_sha256": run.file_sha256, "source": run.source,
    }  # fmt: skip
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
