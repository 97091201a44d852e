"""A child process that ends when the process that started it dies, however it died.

`tidu serve` stops its scheduler on Ctrl-C and SIGTERM, but SIGKILL (or the OOM killer) runs no
code in the parent: the child has to notice by itself, or it keeps leading the scheduler as an
orphan, and each restart adds one. Two mechanisms:

* Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel signals the child the moment the
  parent thread that started it exits;
* everywhere (and as a safety net): a daemon thread that polls ``os.getppid()``; an orphan is
  re-parented (to init or a subreaper), so a changed parent id means the parent is gone.

Either way the child gets SIGTERM, which it already handles as a clean stop.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_SECONDS = 1.0


def die_with_parent(parent_pid: int, sig: signal.Signals = signal.SIGTERM) -> None:
    """Arrange for ``sig`` to be sent to this process when ``parent_pid`` (its parent) dies."""
    _set_pdeathsig(sig)
    # The parent may have died before the line above ran: then no signal would ever come.
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
        return
    watcher = threading.Thread(target=_watch, args=(parent_pid, sig), name="tidu-parent-watch", daemon=True)
    watcher.start()


def _set_pdeathsig(sig: signal.Signals) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)
    return False


def _watch(parent_pid: int, sig: signal.Signals) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), sig)
