"""Uploads read with a ceiling: a file over the limit is refused before it is held in memory."""

from __future__ import annotations

from fastapi import UploadFile

from backend.core.errors import AppError

CHUNK = 1024 * 1024


class UploadTooLarge(AppError):
    status_code = 413
    code = "upload.too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"文件过大（上限 {limit // 1024 // 1024} MB）：请拆分后分别导入", limit=limit)


async def read_upload(file: UploadFile, limit: int) -> bytes:
    """The whole upload, or UploadTooLarge as soon as it passes ``limit`` bytes."""
    if file.size is not None and file.size > limit:
        raise UploadTooLarge(limit)
    chunks: list[bytes] = []
    total = 0
    while chunk := await file.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise UploadTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
