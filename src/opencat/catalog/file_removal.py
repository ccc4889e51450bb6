"""Stored files the committed catalog stops naming (a deleted resource's, a replaced file, the
parts of a finished or expired upload), removed after the commit that stops naming them. That
commit reserves their keys (``pending_files``): a process killed before the removal leaves the
reservation, and the sweep removes the file once past the retention if nothing holds it
(``upload_sessions.sweep_pending_files``), instead of the file staying in the store for good."""

import logging
from collections.abc import Iterable
from datetime import datetime

from opencat.catalog.context import Catalog
from opencat.db import pending_files as db_pending
from opencat.db.engine import Connection
from opencat.files.base import delete_after_commit

logger = logging.getLogger("opencat.files")


def mark_for_removal(conn: Connection, keys: Iterable[str], now: datetime) -> None:
    """In the transaction that stops naming ``keys``: the sweep's hold on them."""
    for key in keys:
        db_pending.reserve(conn, key, now)


def remove_marked(catalog: Catalog, keys: Iterable[str]) -> None:
    """After the commit: the files, then the reservations of those gone (a file the store could
    not delete keeps its reservation, for the sweep)."""
    removed = [key for key in keys if delete_after_commit(catalog.files, key)]
    if removed:
        release_quietly(catalog, removed)


def release_quietly(catalog: Catalog, keys: Iterable[str]) -> None:
    """The reservations of files just deleted (or never kept); left to the sweep if the database
    fails now (it finds no file, or one nothing holds)."""
    try:
        with catalog.db.write() as conn:
            for key in keys:
                db_pending.release(conn, key)
    except Exception as error:  # the sweep removes them later: nothing references the keys
        logger.warning("the reservations of %s are left to the sweep: %r", list(keys), error)
