"""SQLite's writers take turns through a lock on a file beside the database, woken the moment the
turn is free.

Why: SQLite lets one writer in at a time, and the others wait in its busy handler, which sleeps
(1, 2, 5, 10 ... 100 ms) and tries again. Under a steady stream of writes a waiting writer keeps
missing the moment the lock is free, while the writers that arrive later take it: at ~400 writes
a second from two workers, one write in a hundred waited 0.75 s (docs/performance.md, "SQLite's
writers take turns"). Here the threads of a process queue on a lock of their own, and the one at
the head of each process's queue waits on ``flock`` for the file, which the kernel wakes at once.

SQLite's own locking still decides what is safe: a writer that does not take turns (the
``sqlite3`` shell, a migration, a backup) is waited for by the busy handler as before. Turns only
order opencat's writers among themselves, so that they rarely reach the busy handler at all.
"""

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opencat.db.quick_reads import sqlite_file

__all__ = ["TurnNotFree", "WriteTurns", "write_turns_of"]

# The lock file, named like SQLite's own companions (``-wal``, ``-shm``).
SUFFIX = "-turns"
# How long closing waits for a write under way to end.
CLOSE_WAIT_SECONDS = 1.0


class TurnNotFree(Exception):
    """Another writer kept the turn past the timeout."""


class TurnFileRefused(Exception):
    """The turns' lock file cannot be opened (a read-only folder, an immutable file, one of
    another owner): nothing can be written until it can."""


class _FileWaiter:
    """A thread that waits on ``flock`` for the process's turn holder: a blocking ``flock`` cannot
    time out, a wait on an event can. When the holder gives up, the waiter keeps the descriptor,
    lets the lock go as soon as it gets it, closes the descriptor and ends."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self._asked = threading.Event()
        self._got = threading.Event()
        self._state = threading.Lock()
        self._abandoned = False
        self._stopped = False
        threading.Thread(target=self._run, name="opencat-write-turns", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._asked.wait()
            self._asked.clear()
            if self._stopped:
                return
            fcntl.flock(self.descriptor, fcntl.LOCK_EX)
            with self._state:
                if self._abandoned:
                    fcntl.flock(self.descriptor, fcntl.LOCK_UN)
                    os.close(self.descriptor)
                    return
                self._got.set()

    def wait(self, timeout: float) -> bool:
        """Whether the file's lock is this process's within ``timeout`` seconds. False: this
        waiter is given up, and its descriptor is no longer the caller's."""
        self._got.clear()
        self._asked.set()
        if self._got.wait(timeout):
            return True
        with self._state:
            if self._got.is_set():  # got it between the timeout and here
                return True
            self._abandoned = True
        return False

    def stop(self) -> None:
        """End the thread while it waits for no one (the descriptor stays its owner's)."""
        self._stopped = True
        self._asked.set()


class WriteTurns:
    """The turns of one database file's writers, for one process (it starts again after a fork:
    a lock or a descriptor inherited from the parent is the parent's)."""

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self._pid = -1
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._in_process = threading.Lock()
        self._holder: int | None = None  # the thread that holds the turn
        self._descriptor: int | None = None
        self._waiter: _FileWaiter | None = None

    def _own(self) -> None:
        """After a fork, start afresh: the descriptor is a copy of the parent's (closing it here
        leaves the parent's lock be), and its lock and waiter are the parent's."""
        if self._pid != os.getpid():
            if self._descriptor is not None:
                os.close(self._descriptor)
            self._reset()

    def _file(self) -> int:
        if self._descriptor is None:
            self._descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._descriptor

    def _take_file(self, timeout: float) -> bool:
        descriptor = self._file()
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        if self._waiter is None:
            self._waiter = _FileWaiter(descriptor)
        if self._waiter.wait(timeout):
            return True
        # The waiter took the descriptor with it: the next turn opens a new one.
        self._descriptor = None
        self._waiter = None
        return False

    @contextmanager
    def turn(self, timeout: float) -> Iterator[None]:
        """This thread's turn to write, waited for up to ``timeout`` seconds (``TurnNotFree``)."""
        self._own()
        me = threading.get_ident()
        if self._holder == me:  # a write inside this thread's own write: SQLite decides, as before
            yield
            return
        deadline = time.monotonic() + timeout
        if not self._in_process.acquire(timeout=timeout):
            raise TurnNotFree()
        try:
            try:
                taken = self._take_file(max(0.0, deadline - time.monotonic()))
            except OSError as error:
                raise TurnFileRefused(f"{self.lock_path}: {error.strerror or error}") from error
            if not taken:
                raise TurnNotFree()
            self._holder = me
            try:
                yield
            finally:
                self._holder = None
                descriptor = self._descriptor
                if descriptor is not None:
                    fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            self._in_process.release()

    def close(self) -> None:
        """Let go of the lock file's descriptor and the waiter's thread (the database is being
        disposed of); the next turn opens them again."""
        self._own()
        if not self._in_process.acquire(timeout=CLOSE_WAIT_SECONDS):
            return  # a write still under way (a server stopping): the process's exit closes them
        try:
            if self._waiter is not None:
                self._waiter.stop()
                self._waiter = None
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None
        finally:
            self._in_process.release()


def write_turns_of(url: str) -> WriteTurns | None:
    """Turns for a SQLite database file; None for PostgreSQL (row locks order its writers) or an
    in-memory database (one connection's)."""
    path = sqlite_file(url)
    return None if path is None else WriteTurns(Path(f"{path}{SUFFIX}"))
