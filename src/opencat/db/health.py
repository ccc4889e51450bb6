"""What the health probes and metrics ask the database: does it answer, how busy is the pool."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from opencat.db.engine import Database
from opencat.db.quick_reads import sqlite_file
from opencat.db.write_turns import SUFFIX as TURNS_SUFFIX


def ping(conn: Connection) -> None:
    conn.execute(sa.text("SELECT 1")).scalar_one()


def check_writable(database: Database) -> None:
    """Raises when SQLite could not write: its file, its WAL files, the writers' turns file
    (db/write_turns.py) or their folder refuse writes.
    A ``SELECT`` still answers then, and a write probe would take a write turn per check; asking
    the file system costs a few ``access`` calls (which see ``chattr +i`` even for root)."""
    path = sqlite_file(database.url)
    if path is None:
        return  # PostgreSQL: the server's own business
    companions = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", TURNS_SUFFIX)]
    for target in [path, path.parent, *companions]:
        if target.exists() and not os.access(target, os.W_OK):
            raise PermissionError(f"the database cannot be written: {target} refuses writes")


# One listener pair per engine, reporting to the latest observer: an app built again on the same
# database (tests build one per test) replaces the observer instead of piling listeners up.
_observers: "WeakKeyDictionary[Engine, Callable[[int], None]]" = WeakKeyDictionary()


def watch_checkouts(database: Database, report: Callable[[int], None]) -> None:
    """Call ``report`` with the connections in use each time one is taken from or given back to
    the pool (pools without a count, such as SQLite's in-memory ones, are not watched)."""
    engine = database.engine
    if not hasattr(engine.pool, "checkedout"):
        return
    if engine not in _observers:

        def checked_out(*_args: Any) -> None:
            _observers[engine](engine.pool.checkedout())  # type: ignore[attr-defined]

        def checked_in(*_args: Any) -> None:
            # The pool counts the connection as out until this event returns.
            _observers[engine](max(engine.pool.checkedout() - 1, 0))  # type: ignore[attr-defined]

        event.listen(engine, "checkout", checked_out)
        event.listen(engine, "checkin", checked_in)
    _observers[engine] = report
