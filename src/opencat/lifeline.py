"""Workers never outlive their master: a granian worker stops when its master process dies.

Without this, ``kill -9`` of ``opencat serve`` leaves its workers serving on the port, unseen
and unmanaged. Two guards, both started in the worker before it serves:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel signals the worker when the thread
  that forked it dies. granian 2.8 forks every worker, respawned ones included, from the
  master's main thread (``startup`` and ``_serve_loop`` in granian/server/common.py), which lives
  as long as the master;
- everywhere, a daemon thread that notices ``os.getppid()`` change (the worker was re-parented).

SIGTERM is granian's graceful stop: the worker closes its listener at once (the port is free
for a new master) and finishes the requests in flight. After ``GRACE_SECONDS`` the thread ends
the process anyway, so that a stalled client cannot keep an orphan alive. A kernel alarm backs
that deadline up: SIGALRM, which nothing here handles, ends the process by its default action
even if a stuck shutdown holds the GIL and the thread can never run again.
"""

import ctypes
import importlib
import os
import signal
import sys
import threading
import time
from typing import Any

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.25
GRACE_SECONDS = 5.0


def load_app(master_pid: int, target: str) -> Any:
    """granian's target loader, run in each worker: tie it to its master, then call the
    ``module:factory`` target to build the app."""
    tie_to(master_pid)
    module, _, factory = target.partition(":")
    return getattr(importlib.import_module(module), factory)()


def tie_to(master_pid: int) -> None:
    """Make this process (a worker forked by ``master_pid``) stop when the master dies."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != master_pid:  # the master died before the guards were in place
        os._exit(1)
    threading.Thread(target=_watch, args=(master_pid,), name="lifeline", daemon=True).start()


def _watch(master_pid: int) -> None:
    while os.getppid() == master_pid:
        time.sleep(POLL_SECONDS)
    signal.alarm(int(GRACE_SECONDS) + 1)
    os.kill(os.getpid(), signal.SIGTERM)  # already sent on Linux; a second one is harmless
    time.sleep(GRACE_SECONDS)
    os._exit(1)
