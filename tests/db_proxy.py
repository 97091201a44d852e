"""A TCP proxy between tidu and the tests' PostgreSQL that a test can cut and restore.

The shared PostgreSQL server must never be stopped, so "the database goes away" is played here:

* ``cut("down")``: every open connection is closed and new ones are refused, as when the
  server process dies or is stopped;
* ``cut("blackhole")``: connections stay open but nothing is forwarded any more, and new ones
  are accepted but never answered, as on a network partition or a frozen server;
* ``cut_at(b"COMMIT", mode)``: the same, the moment a client sends those bytes (which are not
  forwarded), to cut a request off at an exact point of its conversation;
* ``restore()``: stale connections are dropped and new ones reach the server again.

The proxy runs its own event loop in a thread, so it works under any client (an in-process
uvicorn, a ``tidu serve`` subprocess, the test's own loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, Literal, TypeVar

from sqlalchemy.engine import make_url

T = TypeVar("T")
Mode = Literal["up", "down", "blackhole"]


class FaultyProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        """Upstream is a TCP address, or (a directory, port) for a Unix socket (the embedded server)."""
        self.upstream = (upstream_host, upstream_port)
        self.mode: Mode = "up"
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="db-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._trigger: tuple[bytes, Literal["down", "blackhole"]] | None = None

    # -- control, from any thread ---------------------------------------------------------

    def start(self) -> int:
        self._thread.start()
        self._call(self._listen())
        return self.port

    def cut(self, mode: Literal["down", "blackhole"] = "down") -> None:
        self._call(self._cut(mode))

    def cut_at(self, marker: bytes, mode: Literal["down", "blackhole"] = "blackhole") -> None:
        """Cut as ``mode`` when a client next sends ``marker`` (a statement's text, say)."""

        async def arm() -> None:
            self._trigger = (marker, mode)

        self._call(arm())

    def restore(self) -> None:
        self._call(self._restore())

    def close(self) -> None:
        self._call(self._cut("down"))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def url_for(self, url: str) -> str:
        """``url`` with its host and port (or socket directory) replaced by the proxy's."""
        parsed = make_url(url).difference_update_query(["host"])
        return parsed.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    # -- the proxy loop -------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self, mode: Literal["down", "blackhole"]) -> None:
        self.mode = mode
        if mode == "down":
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                self._server = None
            self._drop_all()

    async def _restore(self) -> None:
        self._trigger = None
        self._drop_all()  # whatever was cut off mid-conversation is dead either way
        self.mode = "up"
        if self._server is None:
            await self._listen()

    def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.mode != "up":
            await self._swallow(reader)  # a blackhole: accepted, never answered
            return
        host, port = self.upstream
        try:
            if host.startswith("/"):
                up_reader, up_writer = await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
            else:
                up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        await asyncio.gather(self._pump(reader, up_writer, to_server=True), self._pump(up_reader, writer))

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, to_server: bool = False
    ) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            while data := await reader.read(65536):
                if to_server and self._trigger is not None and self._trigger[0] in data:
                    mode = self._trigger[1]
                    self._trigger = None
                    await self._cut(mode)
                if self.mode != "up":
                    continue  # blackholed: the bytes vanish
                writer.write(data)
                await writer.drain()
        self._writers.discard(writer)
        writer.transport.abort()

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError):
            while await reader.read(65536):
                pass


@contextlib.contextmanager
def proxied(url: str) -> Iterator[tuple[FaultyProxy, str]]:
    """A proxy in front of the server of ``url``, and ``url`` pointed at it."""
    parsed = make_url(url)
    socket_dir = parsed.query.get("host")
    host = socket_dir if isinstance(socket_dir, str) else parsed.host
    if not host:
        raise RuntimeError(f"no PostgreSQL host in {url}")
    proxy = FaultyProxy(host, parsed.port or 5432)
    proxy.start()
    try:
        yield proxy, proxy.url_for(url)
    finally:
        proxy.close()
