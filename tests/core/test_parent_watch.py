"""A child started with die_with_parent ends when its parent is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.test_cli import alive

# The parent starts the child, prints its pid, then waits to be killed. The child shares the
# parent's stdout and says when its watch is in place.
PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(__import__("os").getpid())])
print(child.pid, flush=True)
child.wait()
"""
WITH_PDEATHSIG = """
import sys, time
from backend.core.parent_watch import die_with_parent
die_with_parent(int(sys.argv[1]))
print("watching", flush=True)
time.sleep(600)
"""
# Only the portable fallback: the getppid() poll (as on a system without prctl).
POLL_ONLY = """
import signal, sys, threading, time
from backend.core.parent_watch import _watch
threading.Thread(target=_watch, args=(int(sys.argv[1]), signal.SIGTERM), daemon=True).start()
print("watching", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("child", [WITH_PDEATHSIG, POLL_ONLY], ids=["pdeathsig", "poll"])
def test_child_exits_when_its_parent_is_killed(child: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, child], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    try:
        assert parent.stdout.readline().strip() == "watching"
        assert alive(child_pid)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 20
        while alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child_pid), "the child outlived its parent"
    finally:
        if alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)
