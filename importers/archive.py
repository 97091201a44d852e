"""Zip containers (.xlsx, .xlsm, .ods) checked by what their members really expand to.

A zip declares each member's expanded size twice (local header, central directory), and readers
use those numbers only to allocate: the deflate stream itself decides how much comes out. So a
member may say 1 KB and expand to 1 GB. Every member is therefore inflated here in bounded
chunks, its bytes counted as they come, and refused the moment it passes its declared size (then
the declared sizes, already checked for total, count and ratio, bound everything the reader will
see). Nothing is ever expanded whole: callers get the chunks.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from importers.errors import ImportRejected
from importers.limits import Limits

RESAVE = "请用 Excel 打开后另存为新的 .xlsx 文件再上传"
OUTPUT_CHUNK = 1 << 20  # inflated bytes handed out at a time
INPUT_CHUNK = 1 << 16  # compressed bytes fed at a time
LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # signature … name length, extra length


@dataclass(frozen=True)
class Replacement:
    """A member's new content, already deflated (raw stream), for ``Archive.rewritten``."""

    raw: bytes
    crc: int
    size: int


class Archive:
    """A zip whose directory has been checked (count, declared total and ratio, duplicate names)."""

    def __init__(self, content: bytes, limits: Limits) -> None:
        self.content = content
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                self.members = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            raise ImportRejected(f"文件已损坏，无法作为工作簿打开：{RESAVE}") from None
        _check_directory(self.members, limits)
        self.by_name = {m.filename: m for m in self.members}

    def names(self) -> list[str]:
        return [m.filename for m in self.members]

    def chunks(self, member: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's bytes as they expand, checked against its declared size and checksum."""
        raw = memoryview(self.content)[self._data_start(member) :][: member.compress_size]
        if len(raw) != member.compress_size or member.flag_bits & 0x1:
            raise _damaged(member)
        if member.compress_type == zipfile.ZIP_STORED:
            pieces: Iterator[bytes] = (
                bytes(raw[i : i + OUTPUT_CHUNK]) for i in range(0, len(raw), OUTPUT_CHUNK)
            )
        elif member.compress_type == zipfile.ZIP_DEFLATED:
            pieces = _inflate(raw, member)
        else:  # Excel and LibreOffice only ever store or deflate
            raise ImportRejected(f"工作簿内部文件 {member.filename} 使用了不支持的压缩方式：{RESAVE}")
        produced, crc = 0, 0
        for piece in pieces:
            produced += len(piece)
            if produced > member.file_size:
                raise ImportRejected(
                    f"工作簿内部文件 {member.filename} 解压后超过文件中记录的大小（{_size(member.file_size)}），"
                    f"疑似压缩炸弹或文件已损坏：{RESAVE}"
                )
            crc = zlib.crc32(piece, crc)
            yield piece
        if produced != member.file_size or crc != member.CRC:
            raise _damaged(member)

    def read(self, name: str, cap: int) -> bytes | None:
        """A small member whole (None when missing); one larger than ``cap`` is refused."""
        member = self.by_name.get(name)
        if member is None:
            return None
        if member.file_size > cap:
            raise ImportRejected(
                f"工作簿内部文件 {name} 过大（{_size(member.file_size)}），疑似恶意文件：{RESAVE}"
            )
        return b"".join(self.chunks(member))

    def verify(self, member: zipfile.ZipInfo) -> None:
        for _ in self.chunks(member):
            pass

    def rewritten(self, replacements: dict[str, Replacement]) -> bytes:
        """The same zip with some members' content replaced; every other member is copied as
        stored (no inflating or deflating again)."""
        out = io.BytesIO()
        directory = []
        for member in self.members:
            new = replacements.get(member.filename)
            if new is None:
                raw = bytes(memoryview(self.content)[self._data_start(member) :][: member.compress_size])
                method, crc, size = member.compress_type, member.CRC, member.file_size
            else:
                raw, method, crc, size = new.raw, zipfile.ZIP_DEFLATED, new.crc, new.size
            directory.append(_write_member(out, member.filename.encode(), raw, method, crc, size))
        _write_directory(out, directory)
        return out.getvalue()

    def _data_start(self, member: zipfile.ZipInfo) -> int:
        header = self.content[member.header_offset : member.header_offset + LOCAL_HEADER.size]
        if len(header) != LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
            raise _damaged(member)
        fields = LOCAL_HEADER.unpack(header)
        return member.header_offset + LOCAL_HEADER.size + int(fields[-2]) + int(fields[-1])


def check_zip(content: bytes, limits: Limits) -> Archive:
    """The archive, every member inflated once to check it expands to exactly what it declares."""
    archive = Archive(content, limits)
    for member in archive.members:
        archive.verify(member)
    return archive


def _check_directory(members: Sequence[zipfile.ZipInfo], limits: Limits) -> None:
    """Members, total size and per-member ratio as declared (each then held to it while expanding)."""
    if len(members) > limits.max_members:
        raise ImportRejected(
            f"工作簿内部文件过多（{len(members)} 个，上限 {limits.max_members} 个），疑似恶意文件：{RESAVE}",
            limit=limits.max_members,
        )
    seen: set[str] = set()
    total = 0
    for member in members:
        if (
            member.filename in seen
        ):  # readers disagree on which one they use: the one checked might not be read
            raise ImportRejected(f"工作簿内部文件 {member.filename} 出现了两次，文件已损坏：{RESAVE}")
        seen.add(member.filename)
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1_000_000 and ratio > limits.max_ratio:
            raise ImportRejected(
                f"工作簿内部文件 {member.filename} 的压缩比 {ratio:.0f}:1 异常（疑似压缩炸弹）：{RESAVE}",
                limit=limits.max_ratio,
            )
    if total > limits.max_uncompressed:
        raise ImportRejected(
            f"工作簿解压后过大（{total / 1024 / 1024:.0f} MB，上限 {limits.max_uncompressed // 1024 // 1024} MB）",
            limit=limits.max_uncompressed,
        )


def _inflate(raw: memoryview, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """Inflated pieces of at most OUTPUT_CHUNK bytes; the stream must end exactly where its data does."""
    inflater = zlib.decompressobj(-15)
    try:
        for start in range(0, len(raw), INPUT_CHUNK):
            pending = bytes(raw[start : start + INPUT_CHUNK])
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, OUTPUT_CHUNK)
                pending = inflater.unconsumed_tail
                if piece:
                    yield piece
        while not inflater.eof and (piece := inflater.decompress(b"", OUTPUT_CHUNK)):
            yield piece
    except zlib.error:
        raise _damaged(member) from None
    if not inflater.eof:
        raise _damaged(member)


def _damaged(member: zipfile.ZipInfo) -> ImportRejected:
    return ImportRejected(f"工作簿内部文件 {member.filename} 已损坏（解压后的大小与记录不符）：{RESAVE}")


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} KB" if size >= 1024 else f"{size} 字节"
    return f"{size / 1024 / 1024:.0f} MB"


def _write_member(out: io.BytesIO, name: bytes, raw: bytes, method: int, crc: int, size: int) -> bytes:
    """One local header and its data; returns the member's central-directory entry."""
    offset = out.tell()
    fields = (20, 0x800, method, 0, 0x21, crc, len(raw), size, len(name))
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + name)
    out.write(raw)
    return (
        struct.pack("<IH", 0x02014B50, 20)
        + struct.pack("<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, offset)
        + name
    )


def _write_directory(out: io.BytesIO, entries: list[bytes]) -> None:
    start = out.tell()
    directory = b"".join(entries)
    out.write(directory)
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), start, 0)
    )
