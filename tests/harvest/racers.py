"""What each process of the lease race runs (spawned: importable, without pytest's fixtures)."""

import os
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from opencat.catalog.harvesting import RunOptions, run_source
from opencat.config import Settings
from opencat.db import harvest as db_harvest
from opencat.domain.errors import Conflict
from opencat.links.harvest_fetch import HarvestPolicy
from opencat.wiring import build_catalog


def run_at_once(
    database_url: str, data_dir: str, source_id: str, barrier: Barrier, results: "Queue[tuple[Any, ...]]"
) -> None:
    """Run the source as soon as the other process is ready too; put what happened on ``results``:
    ``("ran", pid, status)``, ``("conflict", pid, details)`` or ``("error", pid, what)``."""
    settings = Settings(data_dir=Path(data_dir), database_url=database_url, base_url="http://127.0.0.1:1")
    catalog = build_catalog(settings)
    try:
        with catalog.db.read() as conn:  # connected before the start: both take the lease at once
            db_harvest.find_source(conn, source_id)
        barrier.wait(60)
        try:
            job = run_source(
                catalog, source_id, RunOptions(policy=HarvestPolicy(timeout=10, allow_private=True))
            )
        except Conflict as refused:
            results.put(("conflict", os.getpid(), dict(refused.details)))
        except Exception as error:  # told to the test at once, not after its timeout
            results.put(("error", os.getpid(), repr(error)))
        else:
            results.put(("ran", os.getpid(), str(job.status)))
    finally:
        catalog.db.dispose()
