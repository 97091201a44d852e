"""Exports written to disk (CLI, scheduled jobs): under a staging name first, renamed only after the
transaction that recorded them has committed — so a crash never leaves a file without its
export_run.

The reverse gap is closed by the next export to the same path: a process killed between its
commit and the rename leaves its file complete (flushed to disk before the commit) under the staging
name, and ``finish_interrupted`` renames every such file whose SHA-256 an export_run records, and
removes the staging files of exports that never committed. A lock on the folder, held from
staging to renaming, keeps two processes from taking each other's staging files for dead ones.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.security import Actor
from backend.lists import service as export_service
from backend.lists.params import ListParams
from backend.models import ExportRun
from exports.csv import manifest_json
from vocabulary.lists import ListSpec

SIDECAR_SUFFIX = ".manifest.json"
STAGING_SUFFIX = ".part"
_TOKEN = re.compile(r"[0-9a-f]{8,32}")


def _lock_folder(folder: Path) -> int:
    """An exclusive lock on ``folder`` (released when the descriptor is closed, or the process dies)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


@dataclass
class Staged:
    """Files written under staging names, and the names they get once the data is committed.

    Holds the folder's lock from ``stage`` until ``publish()`` or ``discard()``.
    """

    folder: Path
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    moves: list[tuple[Path, Path]] = field(default_factory=list)
    lock: int | None = None

    def staging_name(self, target: Path) -> Path:
        return target.with_name(f".{target.name}.{self.token}{STAGING_SUFFIX}")

    def publish(self) -> list[Path]:
        try:
            for temporary, final in self.moves:
                os.replace(temporary, final)
            if self.lock is not None and self.moves:
                os.fsync(self.lock)  # the renames themselves survive a power cut
        finally:
            self.release()
        return [final for _temporary, final in self.moves]

    def discard(self) -> None:
        try:
            for temporary, _final in self.moves:
                temporary.unlink(missing_ok=True)
        finally:
            self.release()

    def release(self) -> None:
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None


async def stage(folder: Path) -> Staged:
    """Start staging files into ``folder``: waits for any other export staging there to finish."""
    return Staged(folder, lock=await asyncio.to_thread(_lock_folder, folder))


def _write_synced(path: Path, content: bytes) -> None:
    with path.open("wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())


async def export_to_file(
    session: AsyncSession,
    actor: Actor,
    kind: ListSpec | str,
    params: ListParams,
    fmt: str,
    target: Path,
    *,
    source: str,
    staged: Staged | None = None,
) -> tuple[export_service.Exported, Staged]:
    """Export into ``target`` (plus ``target.manifest.json`` for csv), staged: call ``publish()``
    after the commit, ``discard()`` if it fails. A directory ``target`` gets the run's file name.
    ``staged``: a staging already begun (``stage``) on ``target``'s folder."""
    into_folder = await asyncio.to_thread(target.is_dir)
    if staged is None:
        staged = await stage(target if into_folder else target.parent)
    staged.moves.append((staged.staging_name(target / "export" if into_folder else target), target))
    try:
        out = await asyncio.to_thread(staged.moves[0][0].open, "w+b")
        try:
            exported = await export_service.export(session, actor, kind, params, fmt, out, source=source)
            await asyncio.to_thread(os.fsync, out.fileno())  # on disk before the run can commit
        finally:
            await asyncio.to_thread(out.close)
        if into_folder:
            target = target / exported.run.file_name
            staged.moves[0] = (staged.moves[0][0], target)
        if fmt == "csv":
            sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
            staged.moves.append((staged.staging_name(sidecar), sidecar))
            content = manifest_json(exported.manifest, exported.diff)
            await asyncio.to_thread(_write_synced, staged.moves[-1][0], content)
    except BaseException:
        await asyncio.to_thread(staged.discard)
        raise
    return exported, staged


# -- what a killed export left -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Left:
    token: str
    file: Path | None = None
    sidecar: Path | None = None


def _left_for(target: Path) -> list[_Left]:
    """The staging files of ``target`` (and of its csv sidecar) in its folder, by staging token."""
    prefix, sidecar_prefix = f".{target.name}.", f".{target.name}{SIDECAR_SUFFIX}."
    files: dict[str, Path] = {}
    sidecars: dict[str, Path] = {}
    for path in target.parent.iterdir():
        name = path.name
        if not name.endswith(STAGING_SUFFIX):
            continue
        for start, found in ((sidecar_prefix, sidecars), (prefix, files)):
            token = name[len(start) : -len(STAGING_SUFFIX)] if name.startswith(start) else ""
            if _TOKEN.fullmatch(token):
                found[token] = path
                break
    return [
        _Left(token, files.get(token), sidecars.get(token))
        for token in sorted(files.keys() | sidecars.keys())
    ]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(export_service.CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


async def finish_interrupted(session: AsyncSession, staged: Staged, target: Path) -> list[ExportRun]:
    """Put in place the files of committed exports to ``target`` that a killed process never renamed
    (their runs, oldest first: the newest ends up at ``target``; a folder ``target`` gets each
    run's file name), and remove the staging files of exports that never committed. Needs the
    folder's lock: ``staged`` (from ``stage``) on ``target``'s folder."""
    into_folder = await asyncio.to_thread(target.is_dir)
    assert staged.lock is not None
    assert staged.folder == (target if into_folder else target.parent)
    left = await asyncio.to_thread(_left_for, target / "export" if into_folder else target)
    finished: list[tuple[ExportRun, _Left]] = []
    for found in left:
        digest = None if found.file is None else await asyncio.to_thread(_sha256, found.file)
        run = None if digest is None else await export_service.run_with_file(session, digest)
        if run is None:  # its transaction never committed: nothing refers to these bytes
            for path in (found.file, found.sidecar):
                if path is not None:
                    await asyncio.to_thread(path.unlink, missing_ok=True)
        else:
            finished.append((run, found))
    finished.sort(key=lambda pair: pair[0].id or 0)
    for run, found in finished:
        assert found.file is not None
        final = target / run.file_name if into_folder else target
        await asyncio.to_thread(os.replace, found.file, final)
        if found.sidecar is not None:
            await asyncio.to_thread(os.replace, found.sidecar, final.with_name(final.name + SIDECAR_SUFFIX))
    if finished:
        await asyncio.to_thread(os.fsync, staged.lock)
    return [run for run, _found in finished]


async def run_of_file(session: AsyncSession, path: Path) -> ExportRun | None:
    """The export_run whose file ``path`` is, byte for byte (None: no file there, or not one of tidu's)."""
    if not await asyncio.to_thread(path.is_file):
        return None
    return await export_service.run_with_file(session, await asyncio.to_thread(_sha256, path))
