"""Serve an app with a real uvicorn in a background thread: its lifespan, its pools, real sockets."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

START_TIMEOUT = 60.0  # seconds; the machine may be busy with other test workers


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Yield the base URL of ``app`` served on a free port; stop it (lifespan shutdown) after."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    # Not the main thread: uvicorn installs no signal handlers there.
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
