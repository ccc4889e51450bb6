"""Unfinished chunked uploads: where their parts are kept, what their uploader may ask of them,
and their expiry (udata's ``UPLOAD_MAX_RETENTION``)."""

from dataclasses import dataclass
from datetime import datetime

from opencat.catalog.context import Catalog
from opencat.catalog.file_removal import mark_for_removal, remove_marked
from opencat.db import community as db_community
from opencat.db import pending_files as db_pending
from opencat.db import resources as db_resources
from opencat.db import uploads as db_uploads
from opencat.db.engine import Connection
from opencat.domain.accounts import Actor
from opencat.domain.errors import NotFound, Reason, Unauthenticated
from opencat.domain.uploads import is_session_id
from opencat.files.base import delete_after_commit
from opencat.files.spool import remove_leftovers


def part_key(session_id: str, index: int) -> str:
    """Parts wait in the file store, never served, so that any worker can receive any part."""
    return f".uploads/{session_id}/{index}"


@dataclass(frozen=True, slots=True)
class UploadStatus:
    id: str
    filename: str
    total_parts: int
    received: dict[int, int]
    expires_at: datetime


def remove_spool_leftovers(catalog: Catalog) -> int:
    """Remove the spool files of processes that died mid-upload (and any older than the
    retention, whoever wrote them); never a live upload's. Run at start and with the purge."""
    stale_before = catalog.clock() - catalog.upload_retention
    return remove_leftovers(catalog.files.spool_dir, stale_before.timestamp())


def purge_expired_uploads(catalog: Catalog) -> int:
    """Forget unfinished uploads whose last part is older than the retention (udata: 24 h),
    and the spool files that crashed processes left behind."""
    remove_spool_leftovers(catalog)
    with catalog.db.write() as conn:
        expired = db_uploads.expired_sessions(conn, catalog.clock() - catalog.upload_retention)
        # The parts received, whatever the count the last one said (parts numbered past a count
        # lowered later were left in the store for good), and the count's, whose file may be
        # stored without its row (a part whose commit failed after its file was written).
        stored = {
            session.id: sorted(
                set(range(session.total_parts)) | set(db_uploads.received_parts(conn, session.id))
            )
            for session in expired
        }
        for session in expired:
            db_uploads.delete_session(conn, session.id)
        parts = [part_key(session_id, index) for session_id, indexes in stored.items() for index in indexes]
        # Marked for the sweep with the retention passed: a purge killed before the removal
        # below leaves them to the next one (their sessions are gone, nothing else lists them).
        mark_for_removal(conn, parts, catalog.clock() - catalog.upload_retention)
    remove_marked(catalog, parts)
    sweep_pending_files(catalog)
    return len(expired)


# Reservations looked at per sweep (each a lookup of its key): a backlog goes over several.
SWEPT_PER_RUN = 1000


def sweep_pending_files(catalog: Catalog) -> int:
    """Remove the files of uploads whose process was killed between storing the file and
    committing its resource (their reservation is left, ``db/pending_files.py``), once past the
    retention: a file no resource or community resource holds is deleted, then its reservation.
    Returns how many files were deleted."""
    before = catalog.clock() - catalog.upload_retention
    # The reservations go first, in the transaction that sees no resource holds their keys: an
    # upload committing now finds its reservation gone and fails, rather than pointing a
    # resource at a file deleted under it. The files go after the commit.
    with catalog.db.write() as conn:
        keys = db_pending.older_than(conn, before, SWEPT_PER_RUN)
        unheld = [
            key
            for key in keys
            if db_resources.dataset_of_file(conn, key) is None
            and db_community.find_by_file(conn, key) is None
            and not _a_received_part(conn, key)
        ]
        for key in keys:
            db_pending.release(conn, key)
    for key in unheld:
        if not delete_after_commit(catalog.files, key):
            with catalog.db.write() as conn:  # the store failed: kept for the next sweep
                db_pending.reserve(conn, key, before)
    return len(unheld)


def _a_received_part(conn: Connection, key: str) -> bool:
    """Whether ``key`` is a part an unfinished upload has received (a sending of it again, killed
    after its put, left a reservation: the part stays for its session, purged with it)."""
    folder, _, rest = key.partition("/")
    session_id, _, index = rest.partition("/")
    if folder != ".uploads" or not index.isdigit() or not is_session_id(session_id):
        return False
    return int(index) in db_uploads.received_parts(conn, session_id)


def purge_when_due(catalog: Catalog) -> None:
    """Purge, unless this process did less than an interval ago (a part's arrival, and the
    index keeper's loop, ask)."""
    if catalog.upload_purge.due(catalog.clock()):
        purge_expired_uploads(catalog)


def upload_status(catalog: Catalog, actor: Actor, session_id: str) -> UploadStatus:
    """Which parts of an unfinished upload have arrived, so that a client can resume."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.read() as conn:
        session = db_uploads.find_session(conn, session_id) if is_session_id(session_id) else None
        if session is None or session.user_id != actor.user.id:
            raise NotFound(Reason.UPLOAD_UNKNOWN)
        received = db_uploads.received_parts(conn, session.id)
    expires = session.updated_at + catalog.upload_retention
    return UploadStatus(session.id, session.filename, session.total_parts, received, expires)
