"""Exports written to disk (CLI, scheduled jobs): under a temporary name first, renamed only after
the transaction that recorded them has committed — a crash leaves a stray ``.part`` file at most,
never a file without its export_run or an export_run whose awards were marked but not saved."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.security import Actor
from backend.exports import service as export_service
from backend.exports.params import ListKind, ListParams
from exports.csv import manifest_json

SIDECAR_SUFFIX = ".manifest.json"


@dataclass
class Staged:
    """Files written under temporary names, and the names they get once the data is committed."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)

    def publish(self) -> list[Path]:
        for temporary, final in self.moves:
            os.replace(temporary, final)
        return [final for _temporary, final in self.moves]

    def discard(self) -> None:
        for temporary, _final in self.moves:
            temporary.unlink(missing_ok=True)


def part_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")


async def export_to_file(
    session: AsyncSession,
    actor: Actor,
    kind: ListKind | str,
    params: ListParams,
    fmt: str,
    target: Path,
    *,
    source: str,
) -> tuple[export_service.Exported, Staged]:
    """Export into ``target`` (plus ``target.manifest.json`` for csv), staged: call ``publish()``
    after the commit, ``discard()`` if it fails. A directory ``target`` gets the run's file name."""
    into_folder = await asyncio.to_thread(target.is_dir)
    staged = Staged([(part_name(target / "export" if into_folder else target), target)])
    try:
        out = await asyncio.to_thread(staged.moves[0][0].open, "w+b")
        try:
            exported = await export_service.export(session, actor, kind, params, fmt, out, source=source)
        finally:
            await asyncio.to_thread(out.close)
        if into_folder:
            target = target / exported.run.file_name
            staged.moves[0] = (staged.moves[0][0], target)
        if fmt == "csv":
            sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
            staged.moves.append((part_name(sidecar), sidecar))
            content = manifest_json(exported.manifest, exported.diff)
            await asyncio.to_thread(staged.moves[-1][0].write_bytes, content)
    except BaseException:
        await asyncio.to_thread(staged.discard)
        raise
    return exported, staged
