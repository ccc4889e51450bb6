"""Uploads: simple and chunked (udata's protocol, made idempotent and resumable).

``api/uploads.py`` asks ``authorize`` whether the caller may upload there before it reads a byte
of the body, streams the body into a ``Spool`` (local disk, hashed on the way), and turns the form
into one of three commands: a ``SimpleUpload``, a ``Chunk``, or the ``FinalCall`` of a chunked
upload; ``run`` carries it out. Nothing here holds a file in memory, and nothing here words an
answer: refusals are typed (``UploadRefused`` says which ``UploadProblem``), ``api/`` words them.

The rule, the same for the three commands:

- Access is checked in a read before the body is read (``authorize``, which also locates the
  target), then once more in the command's one write transaction: the world may have moved while
  the body arrived.
- Bytes are copied outside any transaction: the body is spooled before the command runs; the final
  call reads its session and parts (one read, no lock), assembles them, and only then writes.
- The one write transaction checks access and the upload's state, hands the finished file (a part,
  or the whole file) to the store, and records it: the key a file takes and the rows that name it
  are decided together, while the dataset's other writers wait (``put`` is a rename on local disk;
  on S3 it is the upload of the file). A failed transaction deletes what it put; what its commit
  left unreferenced (a replaced file, a published upload's parts) is deleted after it.

So a resource points at a file only once the database agrees: a failed upload leaves no resource on
a partial file, and a replaced file is deleted only after the new one is committed.
"""

import functools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from opencat.catalog import community, history
from opencat.catalog.access import (
    Versions,
    check_creations_allowed_under,
    check_editable,
    check_readable,
    check_version,
    reach_dataset,
    require_dataset,
)
from opencat.catalog.context import Catalog
from opencat.catalog.file_removal import mark_for_removal, release_quietly, remove_marked
from opencat.catalog.resources import check_room
from opencat.catalog.upload_sessions import part_key, purge_when_due
from opencat.db import community as db_community
from opencat.db import datasets as db_datasets
from opencat.db import pending_files as db_pending
from opencat.db import resources as db_resources
from opencat.db import uploads as db_uploads
from opencat.db.engine import Connection
from opencat.domain import ids
from opencat.domain.accounts import Actor
from opencat.domain.community import CommunityResource
from opencat.domain.datasets import Checksum, Dataset, Resource, touch
from opencat.domain.errors import (
    CatalogError,
    FileTypeNotAllowed,
    Gone,
    NotFound,
    PayloadTooLarge,
    Reason,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
    UploadProblem,
    UploadRefused,
)
from opencat.domain.history import Key, resource_diff
from opencat.domain.search import Aspect
from opencat.domain.uploads import (
    check_chunked,
    check_part_index,
    file_format,
    guess_mime,
    normalize_filename,
    served_type,
    storage_key,
)
from opencat.files.spool import Spool, SpooledFile, TooLarge

logger = logging.getLogger("opencat.uploads")

_COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """Where an upload goes: a new resource of a dataset or a new file for one of its resources;
    with ``community``, a new community resource of the dataset or a new file for one."""

    dataset: str | None
    resource_id: str | None = None
    community: bool = False
    # The pages': a deleted dataset takes no file (410), where udata's API checks nothing of it.
    live_only: bool = False
    # The dataset versions an ``If-Match`` names (a file is part of what the dataset's ETag
    # names): another is a 412, before the body is read and again where the file is recorded.
    expected_versions: Versions | None = None


@dataclass(frozen=True, slots=True)
class Destination:
    """What ``authorize`` found: the target, and the owner key its chunked uploads carry."""

    target: UploadTarget
    session_target: str


@dataclass(frozen=True, slots=True)
class SimpleUpload:
    """A whole file in one request."""

    file: SpooledFile
    filename: str
    checksum: str | None = None  # SHA-1 hex the client declared: verified before anything is stored


@dataclass(frozen=True, slots=True)
class Chunk:
    """One part of a chunked upload; sending a part again replaces it."""

    session_id: str
    part_index: int
    total_parts: int
    declared_size: int | None  # ``chunksize``: a part of any other size is refused
    file: SpooledFile
    filename: str

    def __post_init__(self) -> None:
        check_chunked(self.session_id, self.total_parts)
        check_part_index(self.part_index, self.total_parts)


@dataclass(frozen=True, slots=True)
class FinalCall:
    """The call that assembles and publishes a chunked upload whose parts have all arrived."""

    session_id: str
    total_parts: int
    filename: str | None = None  # None: the name the parts carried
    checksum: str | None = None

    def __post_init__(self) -> None:
        check_chunked(self.session_id, self.total_parts)


UploadCommand = SimpleUpload | Chunk | FinalCall


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    resource: Resource | None  # None for an accepted chunk
    created: bool = False
    community: CommunityResource | None = None


def open_spool(catalog: Catalog) -> Spool:
    return Spool(catalog.files.spool_dir, catalog.uploads.max_bytes)


@dataclass(frozen=True, slots=True)
class _Place:
    """The dataset a file goes to, and the resource or community resource whose file it replaces."""

    dataset: Dataset
    resource: Resource | None = None
    community: CommunityResource | None = None


def _locate(conn: Connection, actor: Actor, target: UploadTarget) -> _Place:
    """Where the file goes, once the caller may upload there (401, 403, 404): the access check."""
    if actor.user is None:
        raise Unauthenticated()
    place = _community_place(conn, actor, target) if target.community else _own_place(conn, actor, target)
    if target.live_only and place.dataset.deleted is not None:
        raise Gone(Reason.DATASET_DELETED)
    return place


def _own_place(conn: Connection, actor: Actor, target: UploadTarget) -> _Place:
    dataset = require_dataset(conn, target.dataset or "", actor)
    check_editable(actor, dataset)
    # Before the resource is looked for, as a resource's PUT checks it (a proposal, a community
    # resource's file, is no part of the dataset's version).
    check_version(dataset, target.expected_versions)
    if target.resource_id is None:
        return _Place(dataset)
    canonical = ids.parse_uuid(target.resource_id)
    resource = None if canonical is None else db_resources.find(conn, dataset.id, canonical)
    if resource is None:
        raise NotFound(Reason.RESOURCE_MISSING)
    return _Place(dataset, resource)


def _community_place(conn: Connection, actor: Actor, target: UploadTarget) -> _Place:
    if target.resource_id is None:
        # Any authenticated user may propose a file on a dataset they can see (udata: udata/core/storages/api.py).
        dataset = require_dataset(conn, target.dataset or "", actor)
        check_readable(actor, dataset)
        return _Place(dataset)
    item = community.authorize_community_upload(conn, actor, target.resource_id)
    found = db_datasets.find_by_id(conn, item.dataset_id or "")
    if found is None:
        raise NotFound(Reason.DATASET_MISSING)
    return _Place(found, community=item)


def _check_room(catalog: Catalog, conn: Connection, place: _Place, target: UploadTarget) -> None:
    if target.resource_id is None and not target.community:
        check_room(catalog, conn, place.dataset)


def _nothing(conn: Connection) -> None:
    return None


def authorize(catalog: Catalog, actor: Actor, target: UploadTarget) -> Destination:
    """Refuse before a single byte of the file is read (401, 423, 403, 404, a full dataset)."""
    reach: Callable[[Connection], object] = _nothing
    if target.dataset is not None:
        reach = reach_dataset(actor, target.dataset)
    elif target.community and target.resource_id is not None:
        reach = functools.partial(community.require_visible, actor=actor, ident=target.resource_id)
    check_creations_allowed_under(catalog.db, catalog.read_only, actor, reach)
    with catalog.db.read() as conn:
        place = _locate(conn, actor, target)
        _check_room(catalog, conn, place, target)
    return Destination(target, _session_target(place.dataset, target))


def run(catalog: Catalog, actor: Actor, destination: Destination, command: UploadCommand) -> UploadOutcome:
    """A simple upload, one chunk, or the final call of a chunked upload (udata: udata/core/storages/api.py),
    each under the rule of this module's docstring."""
    if isinstance(command, SimpleUpload):
        target = destination.target
        return _publish(catalog, actor, target, command.file, command.filename, command.checksum)
    if isinstance(command, Chunk):
        _receive_part(catalog, actor, destination.target, command)
        return UploadOutcome(None)
    return _finish(catalog, actor, destination, command)


# A session's parts: index to size and time received (``db_uploads.part_stamps``).
PartStamps = dict[int, tuple[int, datetime]]


def _session_target(dataset: Dataset, target: UploadTarget) -> str:
    kind = "community" if target.community else "resource"
    return f"{kind}:{dataset.id}:{target.resource_id or ''}"


def _receive_part(catalog: Catalog, actor: Actor, target: UploadTarget, chunk: Chunk) -> None:
    """Store one part of a chunked upload. Its key is reserved first (``pending_files``), in a
    transaction of its own; then one transaction claims and checks the session, records the part,
    releases the reservation and puts the part. A process killed after the put and before that
    commit leaves the reservation: the sweep removes the part past the retention, a first part
    included (no session row names it yet). The put stays inside the transaction: a part sent
    again while the final call publishes waits for that commit (on SQLite) rather than racing its
    removal of the parts."""
    if chunk.declared_size != chunk.file.size:
        raise UploadRefused(
            UploadProblem.CHUNK_SIZE_MISMATCH, declared=str(chunk.declared_size), actual=str(chunk.file.size)
        )
    purge_when_due(catalog)
    now = catalog.clock()
    key = part_key(chunk.session_id, chunk.part_index)
    with catalog.db.write() as conn:
        reserved = db_pending.reserve(conn, key, now)  # False: another sending of it holds it
    putting = False
    try:
        with catalog.db.write() as conn:
            received = _claim_for_part(catalog, conn, actor, target, chunk, now)
            # A part sent again is stamped after the one it replaces, whatever the clock says: a
            # final call assembling the parts tells them apart by their stamps (``_close_session``).
            earlier = received.get(chunk.part_index)
            stamp = now if earlier is None else max(now, earlier[1] + timedelta(microseconds=1))
            db_uploads.record_part(conn, chunk.session_id, chunk.part_index, chunk.file.size, stamp)
            if reserved:
                db_pending.release(conn, key)
            # Re-sending a part replaces it: retries after a lost answer are harmless.
            putting = True
            catalog.files.put(key, chunk.file.path, "application/octet-stream")
    except CatalogError:
        # Refused before the put: the reservation goes with it. A put that failed (a store that
        # timed out) may still have stored the part: the reservation stays, for the sweep.
        if reserved and not putting:
            release_quietly(catalog, [key])
        raise


def _claim_for_part(
    catalog: Catalog, conn: Connection, actor: Actor, target: UploadTarget, chunk: Chunk, now: datetime
) -> PartStamps:
    """The caller's session of this chunk, claimed (made if new) and kept alive, after checking
    it is theirs for this target and that the part fits under the maximum; its parts' stamps."""
    owner = _session_target(_locate(conn, actor, target).dataset, target)
    new = db_uploads.UploadSession(
        chunk.session_id, owner, actor.user_id or "", chunk.filename, chunk.total_parts, now, now
    )
    session = db_uploads.claim_session(conn, new)
    if session.target != owner or session.user_id != actor.user_id:
        raise UploadRefused(UploadProblem.FOREIGN_SESSION)
    received = db_uploads.part_stamps(conn, chunk.session_id)
    others = sum(size for index, (size, _) in received.items() if index != chunk.part_index)
    if others + chunk.file.size > catalog.uploads.max_bytes:
        raise PayloadTooLarge(Reason.FILE_TOO_LARGE)
    db_uploads.save_session(conn, replace(new, created_at=session.created_at))
    return received


def _finish(catalog: Catalog, actor: Actor, destination: Destination, call: FinalCall) -> UploadOutcome:
    with catalog.db.read() as conn:
        session, received = _complete_session(conn, actor, destination.session_target, call)
    try:
        spooled = _assemble(catalog, call.session_id, call.total_parts)
    except Exception:
        # A final call sent again at once (a client retrying a lost answer) finished first and
        # removed the parts: this one's session is gone, as it would be had it come later.
        with catalog.db.read() as conn:
            if db_uploads.find_session(conn, call.session_id) is None:
                raise UploadRefused(UploadProblem.UNKNOWN_SESSION) from None
        raise
    # The final call names the file, as udata does; the name the parts carried is the fallback.
    name = call.filename or session.filename
    try:
        outcome = _publish(
            catalog, actor, destination.target, spooled, name, call.checksum, finishing=(call, received)
        )
    except BaseException:
        spooled.path.unlink(missing_ok=True)
        raise
    remove_marked(catalog, _part_keys((call, received)))  # marked by the publishing commit
    return outcome


def _part_keys(finishing: tuple[FinalCall, PartStamps]) -> list[str]:
    """The parts of a finished upload: every one received, with any a longer ``totalparts`` once
    left past the end."""
    call, received = finishing
    return [part_key(call.session_id, index) for index in received]


def _complete_session(
    conn: Connection, actor: Actor, owner: str, call: FinalCall
) -> tuple[db_uploads.UploadSession, PartStamps]:
    """The caller's session for this target, with every part received (index to size and time
    received: a part sent again while the file is assembled, even of the same size, is another)."""
    session = db_uploads.find_session(conn, call.session_id)
    if session is None or session.target != owner or session.user_id != actor.user_id:
        raise UploadRefused(UploadProblem.UNKNOWN_SESSION)
    # A count other than the parts' first: their missing ones would be counted on another number.
    if session.total_parts != call.total_parts:
        raise UploadRefused(UploadProblem.TOTAL_PARTS_MISMATCH)
    received = db_uploads.part_stamps(conn, call.session_id)
    missing = [index for index in range(session.total_parts) if index not in received]
    if missing:
        raise UploadRefused(UploadProblem.MISSING_PARTS, missing=missing)
    return session, received


def _close_session(
    conn: Connection, actor: Actor, owner: str, finishing: tuple[FinalCall, PartStamps]
) -> None:
    """In the publishing transaction: the parts are still those assembled; forget the session."""
    call, assembled = finishing
    _, received = _complete_session(conn, actor, owner, call)
    if received != assembled:
        raise UploadRefused(UploadProblem.PARTS_CHANGED)
    db_uploads.delete_session(conn, call.session_id)


def _assemble(catalog: Catalog, session_id: str, total_parts: int) -> SpooledFile:
    """Stream the parts, in order, into one spooled file (parts are kept until it is published)."""
    spool = open_spool(catalog)
    try:
        for index in range(total_parts):
            try:
                part = catalog.files.open(part_key(session_id, index))
            except FileNotFoundError:
                # Recorded but gone from the store (a bucket's lifecycle rule, an operator's
                # clean-up): the client sends it again, as any missing part.
                raise UploadRefused(UploadProblem.MISSING_PARTS, missing=[index]) from None
            with part:
                while chunk := part.read(_COPY_CHUNK):
                    spool.write(chunk)
    except TooLarge:
        raise PayloadTooLarge(Reason.FILE_TOO_LARGE) from None
    except BaseException:
        spool.discard()
        raise
    return spool.finish()


def _checked_name(catalog: Catalog, filename: str) -> tuple[str, str]:
    name = normalize_filename(filename)
    if not catalog.uploads.allows(name):
        raise FileTypeNotAllowed()
    mime = guess_mime(name)
    if "html" in mime:
        raise UnsupportedMediaType(Reason.HTML_CONTENT)
    return name, mime


def _verify(spooled: SpooledFile, declared: str | None) -> None:
    if declared and declared.strip().lower() != spooled.sha1:
        raise UploadRefused(UploadProblem.CHECKSUM_MISMATCH, declared=declared.strip(), actual=spooled.sha1)


def _publish(
    catalog: Catalog,
    actor: Actor,
    target: UploadTarget,
    spooled: SpooledFile,
    filename: str,
    declared_checksum: str | None,
    finishing: tuple[FinalCall, PartStamps] | None = None,
) -> UploadOutcome:
    """Put the finished file under a free key, then point a resource at it in one transaction
    (with ``finishing``, the chunked upload it was assembled from ends in the same one).

    The key is reserved first, in a transaction of its own (``pending_files``), and released by
    the resource's: a process killed between the file's put and that commit leaves the
    reservation, and the file is removed once past the retention if nothing holds it
    (``upload_sessions.purge_expired_uploads``). The file is put outside any transaction: a
    large file sent to S3 holds no database lock meanwhile."""
    name, mime = _checked_name(catalog, filename)
    _verify(spooled, declared_checksum)
    now = catalog.clock()
    key = _reserved_key(catalog, actor, target, name, now)
    try:
        catalog.files.put(key, spooled.path, served_type(name))
        with catalog.db.write() as conn:
            place = _locate(conn, actor, target)  # again: the dataset, rights and count may have moved
            _check_room(catalog, conn, place, target)
            if finishing is not None:
                _close_session(conn, actor, _session_target(place.dataset, target), finishing)
                # the parts go after the commit: a process killed before leaves them to the sweep
                mark_for_removal(conn, _part_keys(finishing), now)
            if not db_pending.release(conn, key):  # swept meanwhile (past the retention): gone
                raise Unavailable(Reason.FILE_STORE_UNAVAILABLE)
            outcome, replaced = _store(catalog, conn, actor, target, place, spooled, (name, mime, key), now)
            if replaced is not None and replaced != key:
                db_pending.reserve(conn, replaced, now)  # swept if the deletion below never happens
    except BaseException:
        # Never committed (a refusal, the store or the commit failing): the file and its key go.
        remove_marked(catalog, [key])
        raise
    if replaced is not None and replaced != key:
        remove_marked(catalog, [replaced], served=True)
    return outcome


def _folder(target: UploadTarget, dataset: Dataset) -> str:
    """The folder of a dataset's files, named by its slug as udata's are; a community resource's
    file on a dataset not public by the dataset's id: its proposer may not read the dataset (made
    private since), and whoever uploads it (a sysadmin, an editor), its address must not give
    away the title the dataset took meanwhile."""
    public = not dataset.private and dataset.deleted is None
    return dataset.slug if public or not target.community else dataset.id


# Random keys tried before an upload is refused (one clash in 2^64 is already never seen).
KEY_ATTEMPTS = 8


def _reserved_key(catalog: Catalog, actor: Actor, target: UploadTarget, name: str, now: datetime) -> str:
    """A key no upload in progress and no stored file holds, reserved (``pending_files``). The
    caller's access and the dataset's room are checked in the reserving transaction; the store
    is asked about the key outside any (on S3, a request: no lock is held meanwhile)."""
    for attempt in range(KEY_ATTEMPTS):
        with catalog.db.write() as conn:
            place = _locate(conn, actor, target)
            if attempt == 0:
                _check_room(catalog, conn, place, target)
            key = storage_key(_folder(target, place.dataset), name, now, secrets.token_hex(8))
            reserved = db_pending.reserve(conn, key, now)
        if reserved and not catalog.files.exists(key):
            return key
        if reserved:  # a stored file holds it: this upload moves aside
            release_quietly(catalog, [key])
        # Taken (64 random bits: in theory only): another random part. Past a few, something
        # else answers "taken" every time (a store claiming every key): a clear 503, not a loop.
    raise Unavailable(Reason.FILE_STORE_UNAVAILABLE)


def _store(
    catalog: Catalog,
    conn: Connection,
    actor: Actor,
    target: UploadTarget,
    place: _Place,
    spooled: SpooledFile,
    stored_as: tuple[str, str, str],
    now: datetime,
) -> tuple[UploadOutcome, str | None]:
    """Point a resource at the stored file; return it and the file key it no longer uses."""
    name, mime, key = stored_as
    file_fields: dict[str, Any] = {
        "title": name,
        "url": catalog.files.url(key),
        "fs_filename": key,
        "mime": mime,
        "format": file_format(name, catalog.uploads.extensions),
        "checksum": Checksum("sha1", spooled.sha1),
        "filesize": spooled.size,
        "last_modified_internal": now,
    }
    if place.community is not None:
        updated = replace(place.community, resource=replace(place.community.resource, **file_fields))
        db_community.update(conn, updated)
        history.record(
            conn,
            history.on_community(catalog, conn, actor, Key.COMMUNITY_UPDATED, place.community, updated, now),
        )
        return UploadOutcome(updated.resource, community=updated), place.community.resource.fs_filename
    current = place.resource
    resource = (
        replace(current, **file_fields)
        if current is not None
        else Resource(
            id=catalog.new_resource_id(), created_at_internal=now, filetype="file", type="main", **file_fields
        )
    )
    if target.community:
        item = CommunityResource(resource, place.dataset.id, actor.user_id, None)
        db_community.insert(conn, item)
        history.record(conn, history.on_community(catalog, conn, actor, Key.COMMUNITY_ADDED, None, item, now))
        return UploadOutcome(resource, created=True, community=item), None
    if current is None:
        db_resources.insert_first(conn, place.dataset.id, resource, now)
        activity = history.resource_added(catalog, actor, place.dataset, resource, now)
    else:
        db_resources.update_one(conn, resource, now)
        changes = resource_diff(current, resource)
        activity = history.on_dataset(
            catalog, actor, Key.RESOURCE_UPDATED, place.dataset, now, changes, resource_id=resource.id
        )
    history.record(conn, [activity])
    touched = touch(place.dataset, now)
    newest = db_resources.newest_modification(conn, place.dataset.id)
    db_datasets.update_row(conn, touched, touched.last_update_given(newest), aspect=Aspect.RESOURCES)
    return UploadOutcome(resource, created=current is None), None if current is None else current.fs_filename
