"""The harvest scheduler: one process beside ``opencat serve``'s workers that runs the sources
whose cron schedule is due, each job in a thread of its own. Every node of a cluster may run one:
the database lease of each source, and the check of its last job under that lease, make a given
schedule's job run once. At each tick it also ends as failed the jobs whose process is gone (their
lease stale), whatever their source. It stops with its master (``lifeline``); a job it was running
when it stopped is ended so by the next tick of any node's scheduler once its lease is stale.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime

from opencat import lifeline
from opencat.catalog.harvest_schedule import Scheduler
from opencat.catalog.harvest_settings import harvest_options
from opencat.config import Settings
from opencat.domain.errors import Unavailable
from opencat.ops.logs import configure_logging
from opencat.repeated_failures import RepeatedFailures
from opencat.wiring import build_catalog

POLL_SECONDS = 30.0  # cron's resolution is a minute: twice a minute catches every one
# Ticks fall this long after each half minute: a schedule's job starts a second into its minute.
TICK_OFFSET = 1.0

logger = logging.getLogger("opencat.harvest")


def start() -> subprocess.Popen[bytes]:
    """The scheduler of this master's node, as a process of its own (exec'd, not forked)."""
    return subprocess.Popen([sys.executable, "-m", "opencat.harvest_scheduler", str(os.getpid())])


def stop(scheduler: subprocess.Popen[bytes]) -> None:
    scheduler.terminate()
    try:
        scheduler.wait(timeout=10)
    except subprocess.TimeoutExpired:
        scheduler.kill()
        scheduler.wait()


def run(master_pid: int) -> None:
    lifeline.tie_to(master_pid)
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_format, settings.log_level)
    catalog = build_catalog(settings)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    scheduler = Scheduler(catalog, harvest_options(settings))
    failures = RepeatedFailures(
        logger, "the harvest scheduler could not read the schedules", expected=(Unavailable,)
    )
    while not stopping.is_set():
        try:
            scheduler.tick()
            failures.worked()
        except Exception as error:  # the database restarting: the next tick tries again
            failures.failed(error)
        stopping.wait(seconds_to_next_tick(catalog.clock()))
    catalog.db.dispose()


def seconds_to_next_tick(now: datetime) -> float:
    """Until ``TICK_OFFSET`` past the next half minute (never 0: one tick per half minute)."""
    into = (now.second + now.microsecond / 1_000_000 - TICK_OFFSET) % POLL_SECONDS
    return POLL_SECONDS - into


if __name__ == "__main__":
    run(int(sys.argv[1]))
