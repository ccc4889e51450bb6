"""Workers never outlive their master: a granian worker stops when its master process dies.

Without this, ``kill -9`` of ``opencat serve`` leaves its workers serving on the port, unseen
and unmanaged. Two guards, both set in the worker the moment it is forked (``tie_forked_workers``,
an at-fork handler of the master), before the worker runs any of granian's or opencat's start-up,
so that a master killed while a worker starts still takes that worker with it:

- on Linux, ``prctl(PR_SET_PDEATHSIG)``: the kernel signals the worker when it is re-parented;
- everywhere, a daemon thread that notices ``os.getppid()`` change.

Either begins the stop, once: one SIGTERM to the process itself. The kernel's signal is not
SIGTERM, because it comes once per re-parenting: when a master of several threads dies, its
children pass from thread to thread as they end, a signal each time, and granian's handler
cannot take a third SIGTERM (its ``WorkerSignal.set`` blocks, holding the GIL, on a channel of
one place that its shutdown empties only once: a CI run saw the worker hang there). A signal
that comes while the parent is still the master (the thread that forked the worker ended, the
master lives) is not a death, and is ignored.

SIGTERM is granian's graceful stop once the worker serves: it closes its listener at once (the
port is free for a new master) and finishes the requests in flight. Until granian sets its own
handler, a forked worker would only note a SIGTERM in the master's handler it inherited, and go
on starting: SIGTERM is given its default action (end at once) in the fork, as the worker has
nothing in flight yet. After ``GRACE_SECONDS`` the thread ends the process anyway, so that a
stalled client cannot keep an orphan alive. A kernel alarm backs that deadline up: SIGALRM,
which nothing here handles, ends the process by its default action even if a stuck shutdown
holds the GIL and the thread can never run again.
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
PARENT_DIED = signal.SIGUSR2  # what the kernel sends on re-parenting; nothing else here uses it
POLL_SECONDS = 0.25
GRACE_SECONDS = 5.0


def load_app(target: str) -> Any:
    """granian's target loader, run in each worker: call the ``module:factory`` target to build
    the app."""
    module, _, factory = target.partition(":")
    return getattr(importlib.import_module(module), factory)()


def tie_forked_workers() -> None:
    """In the master, before granian forks: every process forked from now on is tied to it in
    the fork itself (granian's workers, respawned ones included)."""
    master_pid = os.getpid()
    os.register_at_fork(after_in_child=lambda: _tie_fork(master_pid))


def _tie_fork(master_pid: int) -> None:
    if os.getpid() == master_pid:  # pragma: no cover - an at-fork handler runs in the child only
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the fork is the child's main thread
    tie_to(master_pid)


def tie_to(master_pid: int) -> None:
    """Make this process (one started by ``master_pid``) stop when the master dies. Called from
    its main thread (it sets a signal handler)."""
    stop = _Stop(master_pid)
    signal.signal(PARENT_DIED, stop.on_parent_signal)  # before the kernel may send it
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, PARENT_DIED, 0, 0, 0)
    if os.getppid() != master_pid:  # the master died before the guards were in place
        os._exit(1)
    threading.Thread(target=stop.watch, name="lifeline", daemon=True).start()


class _Stop:
    """The stop of an orphan, begun once whoever notices first."""

    def __init__(self, master_pid: int) -> None:
        self._master_pid = master_pid
        self._begun = threading.Lock()

    def on_parent_signal(self, _signum: int, _frame: object) -> None:
        if os.getppid() != self._master_pid:
            self.begin()

    def begin(self) -> None:
        # Never waits: the signal handler runs in the main thread, perhaps while the lifeline
        # thread holds the lock.
        if self._begun.acquire(blocking=False):
            signal.alarm(int(GRACE_SECONDS) + 1)
            os.kill(os.getpid(), signal.SIGTERM)

    def watch(self) -> None:
        while os.getppid() == self._master_pid:
            time.sleep(POLL_SECONDS)
        self.begin()
        time.sleep(GRACE_SECONDS)
        os._exit(1)
