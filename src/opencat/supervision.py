"""A helper process of ``opencat serve``'s master (the index keeper, the harvest scheduler), started
again when it ends on its own (killed, out of memory): without this, the dead helper stayed a
zombie of the master and its work silently stopped (every listing after a write waiting a second
for a keeper; scheduled harvests no longer run). A thread of the master waits on the helper, and
starts another a second after it ends, unless the server is stopping."""

import logging
import subprocess
import threading
from collections.abc import Callable

logger = logging.getLogger("opencat.serve")

# How long the master waits before starting a helper that ended again (no tight loop on a crash).
RESTART_SECONDS = 1.0

Process = subprocess.Popen[bytes]


class Supervised:
    def __init__(self, name: str, start: Callable[[], Process], stop: Callable[[Process], None]) -> None:
        self.name = name
        self._start = start
        self._stop = stop
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.process = start()
        self._watcher = threading.Thread(target=self._watch, name=f"{name}-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while True:
            with self._lock:
                process = self.process
            code = process.wait()  # reaps it
            if self._stopping.wait(RESTART_SECONDS):
                return
            logger.warning("the %s (pid %s) ended with %s: starting another", self.name, process.pid, code)
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = self._start()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            process = self.process
        self._stop(process)
        self._watcher.join(timeout=RESTART_SECONDS + 1)
