"""Whether this node can serve: the database answers, the file store is reachable, the search index
is caught up. Read by the ``/readyz`` probe and the metrics."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from opencat.catalog.context import Catalog
from opencat.catalog.indexing import sync
from opencat.db import health as db_health
from opencat.db import outbox

logger = logging.getLogger("opencat.health")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    details: dict[str, Any] = field(default_factory=dict)
    # False for what only stops writes or uploads: the node still serves reads and edits, and a
    # shared store down on every node must not take the whole catalog out of its balancer.
    critical: bool = True


def index_lag(catalog: Catalog) -> int:
    """Outbox changes this machine's index has not applied (the database is asked for the head)."""
    head, applied = _index_marks(catalog)
    return max(head - max(applied, 0), 0)


def _index_marks(catalog: Catalog) -> tuple[int, int]:
    """The outbox's head and the change this machine's index applied (-1: a new index). The
    index's mark is read first: the head only grows, so one read after it is never behind it
    (the other order let a commit of the keeper in between look like an index ahead)."""
    applied = catalog.search.current_seq()
    with catalog.db.read() as conn:
        head = outbox.head(conn)
    return head, applied


def sampled_index_lag(catalog: Catalog) -> int | None:
    """The lag, or ``None`` when the database does not answer (for a metric: no sample)."""
    try:
        return index_lag(catalog)
    except Exception:
        return None


def _failed(name: str, error: Exception) -> Check:
    return Check(name, False, {"error": str(error) or type(error).__name__})


def _database(catalog: Catalog) -> Check:
    try:
        with catalog.db.read() as conn:
            db_health.ping(conn)
    except Exception as error:  # any failure means not ready; the body names it
        return _failed("database", error)
    return Check("database", True)


def _database_writes(catalog: Catalog) -> Check:
    """SQLite's file writable (else every write is a 503 while reads look fine)."""
    try:
        db_health.check_writable(catalog.db)
    except Exception as error:
        return replace(_failed("database_writes", error), critical=False)
    return Check("database_writes", True, critical=False)


def _files(catalog: Catalog) -> Check:
    try:
        catalog.files.check()
    except Exception as error:  # a full disk, a read-only mount, a bucket gone or unreachable
        return replace(_failed("files", error), critical=False)
    return Check("files", True, critical=False)


def _search_index(catalog: Catalog, max_lag: int) -> Check:
    if not catalog.search.present():
        return Check("search_index", False, {"error": "the search index's files are missing"})
    try:
        catalog.search.check_writable()  # else listings cannot catch up after a write: 503s
        head, applied = _index_marks(catalog)
    except Exception as error:
        return _failed("search_index", error)
    if applied > head:  # the keeper rebuilds it (``indexing.rebuilt_if_ahead``)
        ahead = (
            f"the index applied change {applied}, the database's log ends at {head} (a restored database?)"
        )
        return Check("search_index", False, {"error": ahead})
    lag = max(head - max(applied, 0), 0)
    if lag > max_lag:
        # Nothing may be routed here until the index catches up, and searches are what catch
        # it up: start it now rather than wait for traffic that will not come.
        _catch_up_in_background(catalog)
    return Check("search_index", lag <= max_lag, {"lag": lag, "max_lag": max_lag})


def readiness(catalog: Catalog, max_index_lag: int) -> list[Check]:
    """Every check, passing or not."""
    database = _database(catalog)
    if database.ok:
        index = _search_index(catalog, max_index_lag)
    else:  # its head is in the database: asking again would only double the wait for a timeout
        index = Check("search_index", False, {"error": "the database did not answer"})
    return [database, _database_writes(catalog), _files(catalog), index]


_catching_up = threading.Lock()


def _catch_up_in_background(catalog: Catalog) -> None:
    if not _catching_up.acquire(blocking=False):
        return  # one catch-up at a time in this process

    def run() -> None:
        try:
            sync(catalog)
        except Exception:
            logger.exception("The search index could not catch up")
        finally:
            _catching_up.release()

    threading.Thread(target=run, name="index-catch-up", daemon=True).start()


def watch_pool(catalog: Catalog, report: Callable[[int], None]) -> None:
    """Report the database connections this process has in use whenever the count moves."""
    db_health.watch_checkouts(catalog.db, report)
