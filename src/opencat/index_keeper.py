"""The index keeper: one process beside ``opencat serve``'s workers that keeps this machine's
search index up with the database.

Without it, each listing after a write catches the index up itself, holding the machine-wide
writer lock; under mixed traffic the workers' threads queue for that lock, and its holder, which
needs the GIL between every step, competes for it with its own process's other threads (a
profile in docs/performance.md: half of a worker's threads waiting). The keeper has a GIL of its
own, keeps Tantivy's writer open while changes come (merges run in the writer's threads instead
of being waited for after each commit), and polls: every 10 ms while changes come, every 100 ms
when quiet. It applies what a waiting listing asks for at once (``SearchIndex.ask_for_changes``),
and lets the changes nobody waits for gather for up to ``GATHER_SECONDS`` into one commit.
Workers started with ``VARIABLE`` set wait for it to reach the head they read (asking it), and
catch up themselves only if it does not within ``indexing.WAIT_FOR_HOLDER_SECONDS``
(the keeper died, or the machine is overloaded). It lets the writer go when idle, or as soon as
another process queues for it (``opencat reindex``), and stops with its master (``lifeline``).

Being the one long-lived process of each node besides the workers, it also forgets the
unfinished chunked uploads past their retention (``upload_sessions.purge_expired_uploads``, every
``UPLOAD_PURGE_INTERVAL``): a part's arrival purged them too, so a catalog that got no more
chunked uploads kept the others' parts for good. It prunes the change log too (its last
``OPENCAT_CHANGE_LOG_KEEP`` entries kept, every ``CHANGE_LOG_PRUNE_INTERVAL``), and forgets the
creating forms sent more than a day ago (``form_sends``).
"""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from opencat import lifeline
from opencat.catalog import form_sends, indexing, upload_sessions
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.domain.errors import Unavailable
from opencat.ops.logs import configure_logging
from opencat.repeated_failures import RepeatedFailures
from opencat.wiring import build_catalog

VARIABLE = "OPENCAT_INDEX_KEEPER_PID"  # set by opencat serve for its workers (not a setting)
ACTIVE_POLL_SECONDS = 0.01
QUIET_POLL_SECONDS = 0.1
ACTIVE_FOR_SECONDS = 2.0  # polls stay fast this long after the last change
# Changes no listing waits for are applied this often: each commit costs Tantivy ~10-30 ms of CPU
# with its merges, so a run of writes nobody lists (a publisher's script, a harvest) gathers into
# a few commits. A listing that waits asks for them (SearchIndex.ask_for_changes): applied at once.
GATHER_SECONDS = 0.5
RETRY_SECONDS = 1.0

logger = logging.getLogger("opencat.search")


def start() -> subprocess.Popen[bytes]:
    """The keeper of this master's machine, as a process of its own (exec'd, not forked: no
    thread, lock or connection of the master is carried into it)."""
    keeper = subprocess.Popen([sys.executable, "-m", "opencat.index_keeper", str(os.getpid())])
    os.environ[VARIABLE] = str(keeper.pid)
    return keeper


def stop(keeper: subprocess.Popen[bytes]) -> None:
    keeper.terminate()
    try:
        keeper.wait(timeout=10)
    except subprocess.TimeoutExpired:
        keeper.kill()
        keeper.wait()


def run(master_pid: int) -> None:
    """The keeper's process: tied to its master, stopped by SIGTERM."""
    lifeline.tie_to(master_pid)
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_format, settings.log_level)
    catalog = build_catalog(settings)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    keep_index(catalog, stopping)
    catalog.db.dispose()


def keep_index(catalog: Catalog, stopping: threading.Event, gather_seconds: float = GATHER_SECONDS) -> None:
    """Apply the outbox to this machine's index as it grows, until ``stopping`` is set: at once
    when a listing asks for it, else at most every ``gather_seconds``."""
    index = catalog.search
    index.keep_writer()
    last_change = 0.0
    last_catch_up = -gather_seconds  # the first poll catches up
    answered = index.changes_asked()
    failures = RepeatedFailures(logger, "the index keeper could not catch up", expected=(Unavailable,))
    last_wal_check = time.monotonic()
    try:
        while not stopping.is_set():
            now = time.monotonic()
            asked = index.changes_asked()
            if asked != answered or now - last_catch_up >= gather_seconds:
                before = index.applied_seq
                try:
                    indexing.keep_up(catalog)
                except Exception as error:  # the database restarting: the workers catch up meanwhile
                    failures.failed(error)
                    stopping.wait(RETRY_SECONDS)
                    continue
                failures.worked()
                answered, last_catch_up = asked, now
                if index.applied_seq != before:
                    last_change = now
            _purge_when_due(catalog)
            if now - last_wal_check >= WAL_CHECK_SECONDS:
                last_wal_check = now
                _truncate_wal(catalog)
            active = time.monotonic() - last_change < ACTIVE_FOR_SECONDS
            stopping.wait(ACTIVE_POLL_SECONDS if active else QUIET_POLL_SECONDS)
    finally:
        index.let_go()


# How often the keeper looks at SQLite's WAL file (``Database.truncate_wal``).
WAL_CHECK_SECONDS = 30.0


def _truncate_wal(catalog: Catalog) -> None:
    """SQLite's WAL file cut back when large: it grows for good under steady traffic otherwise."""
    try:
        done = catalog.db.truncate_wal()
    except OSError:
        return
    if done is False:
        logger.info("the WAL file is large and its readers busy: it is truncated at a later check")


_purging = threading.Lock()


def _purge_when_due(catalog: Catalog) -> None:
    """In a thread of its own: a purge of many parts and reservations (store deletions, seconds),
    or of many log entries, must not hold the index up meanwhile, nor the listings waiting for it."""
    if not _purging.acquire(blocking=False):
        return  # one still running: the chores asked for meanwhile stay due, for the next poll
    now = catalog.clock()
    uploads, change_log = catalog.upload_purge.due(now), catalog.change_log_prune.due(now)
    if not (uploads or change_log):
        _purging.release()
        return

    def purge() -> None:
        try:
            if uploads:
                _logged_failure(upload_sessions.purge_expired_uploads, catalog, "unfinished uploads")
                _logged_failure(form_sends.forget_old_forms, catalog, "the forms sent")
            if change_log:
                _logged_failure(indexing.prune_change_log, catalog, "the change log")
        finally:
            _purging.release()

    threading.Thread(target=purge, name="purge", daemon=True).start()


def _logged_failure(purge: Callable[[Catalog], object], catalog: Catalog, what: str) -> None:
    try:
        purge(catalog)
    except Exception:  # the file store or the database unavailable: the next interval tries again
        logger.warning("%s could not be purged", what, exc_info=True)


if __name__ == "__main__":
    run(int(sys.argv[1]))
