"""Stored files the committed catalog stops naming (a deleted resource's, a replaced file, the
parts of a finished or expired upload), removed after the commit that stops naming them. That
commit reserves their keys (``pending_files``): a process killed before the removal leaves the
reservation, and the sweep removes the file once past the retention if nothing holds it
(``upload_sessions.sweep_pending_files``), instead of the file staying in the store for good."""

import logging
import threading
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


# How long a write waits for the store to delete what its commit stopped naming: past it, the
# removal goes on behind the answer (an S3 store that does not answer held a deletion's 204 for
# 40 s, its two attempts of 20 s, and a client's shorter timeout made it retry into a 404).
REMOVAL_WAIT_SECONDS = 2.0


def remove_marked(catalog: Catalog, keys: Iterable[str], *, served: bool = False) -> None:
    """After the commit: the files, then the reservations of those gone (a file the store could
    not delete keeps its reservation, for the sweep), waited for at most ``REMOVAL_WAIT_SECONDS``.

    ``served``: files whose URL was given out (a resource's). Their reservations stay until the
    sweep (the upload retention): an upload of the same name in the same second would otherwise
    take the freed key, and the URL handed out for the removed file would serve another one."""
    keys = list(keys)
    if not keys:
        return
    done = threading.Event()

    def remove() -> None:
        try:
            removed = [key for key in keys if delete_after_commit(catalog.files, key)]
            if removed and not served:
                release_quietly(catalog, removed)
        finally:
            done.set()

    # A daemon: a process ending meanwhile leaves the reservations, which the sweep honours.
    threading.Thread(target=remove, name="opencat-file-removal", daemon=True).start()
    done.wait(REMOVAL_WAIT_SECONDS)


def release_quietly(catalog: Catalog, keys: Iterable[str]) -> None:
    """The reservations of files just deleted (or never kept); left to the sweep if the database
    fails now (it finds no file, or one nothing holds)."""
    try:
        with catalog.db.write() as conn:
            for key in keys:
                db_pending.release(conn, key)
    except Exception as error:  # the sweep removes them later: nothing references the keys
        logger.warning("the reservations of %s are left to the sweep: %r", list(keys), error)
