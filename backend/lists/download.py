"""An export as an HTTP download, shared by the JSON API and the pages' export forms.

The list is written to a temporary file and recorded (export_run, and a final 拨付清单's awards
marked) in the request's transaction; the endpoint returns this response, the session dependency
commits, and only then are the file's bytes streamed. A failed export closes the file and raises.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from typing import BinaryIO

from fastapi.responses import StreamingResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.downloads import attachment
from backend.core.security import Actor
from backend.lists import service as export_service
from backend.lists.params import ListParams
from vocabulary.lists import ListSpec


async def export_response(
    session: AsyncSession,
    actor: Actor,
    kind: ListSpec | str,
    params: ListParams,
    fmt: str,
    *,
    source: str = "api",
) -> StreamingResponse:
    """Build the list now; the response streams the file, named as an attachment."""
    out: BinaryIO = await asyncio.to_thread(tempfile.TemporaryFile)
    try:
        run = await export_service.export_list(session, actor, kind, params, fmt, out, source=source)
    except BaseException:
        await asyncio.to_thread(out.close)
        raise
    headers = {
        "Content-Disposition": attachment(run.file_name),
        "X-Export-Run-Id": str(run.id),
        "X-Rows-SHA256": run.rows_sha256,
        "X-File-SHA256": run.file_sha256,
    }
    return StreamingResponse(chunks(out), media_type=export_service.MEDIA_TYPES[fmt], headers=headers)


async def chunks(out: BinaryIO) -> AsyncIterator[bytes]:
    """The file's bytes from the start, then the file closed (also when the client goes away)."""
    try:
        while chunk := await asyncio.to_thread(out.read, export_service.CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(out.close)
