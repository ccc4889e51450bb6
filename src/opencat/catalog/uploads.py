"""Uploads: simple and chunked (udata's protocol, made idempotent and resumable).

The API layer streams the request body into a ``Spool`` (local disk, hashed on the way) and
hands over an ``UploadForm``; nothing here ever holds a file in memory. A file reaches its final
key in the store whole, and a resource points at it only once the database agrees: a failed
upload leaves no resource on a partial file, and a replaced file is deleted only after the new
one is committed.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from opencat.catalog import community
from opencat.catalog.access import check_readable, require_dataset
from opencat.catalog.context import Catalog
from opencat.catalog.resources import check_room
from opencat.db import community as db_community
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db import uploads as db_uploads
from opencat.db.engine import Connection
from opencat.domain import ids, permissions
from opencat.domain.accounts import Actor
from opencat.domain.community import CommunityResource
from opencat.domain.datasets import Checksum, Dataset, Resource, touch
from opencat.domain.errors import (
    FileTypeNotAllowed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
    UnsupportedMediaType,
    UploadRefused,
)
from opencat.domain.uploads import file_format, guess_mime, normalize_filename, storage_key
from opencat.files.spool import Spool, SpooledFile, TooLarge, remove_leftovers

_UPLOAD_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
MAX_PARTS = 100_000
_COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """Where an upload goes: a new resource of a dataset or a new file for one of its resources;
    with ``community``, a new community resource of the dataset or a new file for one."""

    dataset: str | None
    resource_id: str | None = None
    community: bool = False


@dataclass(frozen=True)
class UploadForm:
    fields: dict[str, str]
    file: SpooledFile | None
    filename: str | None


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    resource: Resource | None  # None for an accepted chunk
    created: bool = False
    community: CommunityResource | None = None


@dataclass(frozen=True, slots=True)
class UploadStatus:
    id: str
    filename: str
    total_parts: int
    received: dict[int, int]
    expires_at: datetime


def open_spool(catalog: Catalog) -> Spool:
    return Spool(catalog.files.spool_dir, catalog.uploads.max_bytes)


def _dataset_for(conn: Connection, actor: Actor, target: UploadTarget) -> Dataset:
    """The dataset the file belongs to, once the caller may upload there (401, 403, 404)."""
    if actor.user is None:
        raise Unauthenticated()
    if target.community:
        return _community_dataset(conn, actor, target)
    dataset = require_dataset(conn, target.dataset or "")
    if not permissions.can_edit(actor, dataset):
        raise PermissionDenied()
    if target.resource_id is not None and _resource(conn, dataset, target.resource_id) is None:
        raise NotFound("Resource does not exist")
    return dataset


def _community_dataset(conn: Connection, actor: Actor, target: UploadTarget) -> Dataset:
    if target.resource_id is None:
        # Any authenticated user may propose a file on a dataset they can see (§1.11).
        dataset = require_dataset(conn, target.dataset or "")
        check_readable(actor, dataset)
        return dataset
    item = community.authorize_community_upload(conn, actor, target.resource_id)
    found = db_datasets.find_by_id(conn, item.dataset_id or "")
    if found is None:
        raise NotFound("Dataset not found")
    return found


def _resource(conn: Connection, dataset: Dataset, resource_id: str) -> Resource | None:
    canonical = ids.parse_uuid(resource_id)
    return None if canonical is None else db_resources.find(conn, dataset.id, canonical)


def _check_room(catalog: Catalog, conn: Connection, dataset: Dataset, target: UploadTarget) -> None:
    if target.resource_id is None and not target.community:
        check_room(catalog, conn, dataset)


def authorize(catalog: Catalog, actor: Actor, target: UploadTarget) -> None:
    """Refuse before a single byte of the file is read (401, 403, 404, a full dataset)."""
    with catalog.db.read() as conn:
        _check_room(catalog, conn, _dataset_for(conn, actor, target), target)


def _integer(form: UploadForm, name: str) -> int | None:
    raw = form.fields.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise UploadRefused(f"Invalid {name}: {raw}") from None


def process(catalog: Catalog, actor: Actor, target: UploadTarget, form: UploadForm) -> UploadOutcome:
    """A simple upload, one chunk, or the final call of a chunked upload (udata-behaviour §1.11)."""
    total = _integer(form, "totalparts")
    if total is None or total <= 1:
        if form.file is None:
            raise UploadRefused("Missing file parameter")
        name = form.fields.get("filename") or form.filename or "file"
        return _publish(catalog, actor, target, form.file, name, form.fields.get("checksum"))
    session_id = form.fields.get("uuid") or ""
    if not _UPLOAD_ID.match(session_id):
        raise UploadRefused("Missing or invalid uuid parameter")
    if total > MAX_PARTS:
        raise UploadRefused(f"totalparts must be at most {MAX_PARTS}")
    if form.file is not None:
        _receive_part(catalog, actor, target, form, session_id, total)
        return UploadOutcome(None)
    spooled, session_name = _assemble(catalog, actor, target, session_id, total)
    # The final call names the file, as udata does; the name the parts carried is the fallback.
    filename = form.fields.get("filename") or session_name
    try:
        outcome = _publish(catalog, actor, target, spooled, filename, form.fields.get("checksum"))
    except BaseException:
        spooled.path.unlink(missing_ok=True)
        raise
    _drop_session(catalog, session_id, total)
    return outcome


def _part_key(session_id: str, index: int) -> str:
    return f".uploads/{session_id}/{index}"


def _target_key(dataset: Dataset, target: UploadTarget) -> str:
    kind = "community" if target.community else "resource"
    return f"{kind}:{dataset.id}:{target.resource_id or ''}"


def _receive_part(
    catalog: Catalog, actor: Actor, target: UploadTarget, form: UploadForm, session_id: str, total: int
) -> None:
    assert form.file is not None
    index = _integer(form, "partindex")
    if index is None or not 0 <= index < total:
        raise UploadRefused(f"partindex must be between 0 and {total - 1}")
    if _integer(form, "chunksize") != form.file.size:
        raise UploadRefused("Chunk size mismatch")
    now = catalog.clock()
    purge_expired_uploads(catalog)
    with catalog.db.write() as conn:
        dataset = _dataset_for(conn, actor, target)
        session = db_uploads.find_session(conn, session_id)
        target_key = _target_key(dataset, target)
        if session is not None and (session.target != target_key or session.user_id != actor.user_id):
            raise UploadRefused("This uuid belongs to another upload")
        received = db_uploads.received_parts(conn, session_id)
        if (
            sum(size for i, size in received.items() if i != index) + form.file.size
            > catalog.uploads.max_bytes
        ):
            raise PayloadTooLarge("The file is larger than the configured maximum")
        filename = form.fields.get("filename") or form.filename or "file"
        db_uploads.save_session(
            conn,
            db_uploads.UploadSession(
                session_id,
                target_key,
                actor.user_id or "",
                filename,
                total,
                session.created_at if session else now,
                now,
            ),
        )
        db_uploads.record_part(conn, session_id, index, form.file.size, now)
        # Re-sending a part replaces it: retries after a lost answer are harmless.
        catalog.files.put(_part_key(session_id, index), form.file.path, "application/octet-stream")


def _assemble(
    catalog: Catalog, actor: Actor, target: UploadTarget, session_id: str, total: int
) -> tuple[SpooledFile, str]:
    """Stream the parts, in order, into one spooled file (parts are kept until it is published)."""
    with catalog.db.read() as conn:
        dataset = _dataset_for(conn, actor, target)
        session = db_uploads.find_session(conn, session_id)
        if (
            session is None
            or session.target != _target_key(dataset, target)
            or session.user_id != actor.user_id
        ):
            raise UploadRefused("Unknown upload uuid")
        received = db_uploads.received_parts(conn, session_id)
    missing = [index for index in range(session.total_parts) if index not in received]
    if session.total_parts != total or missing:
        raise UploadRefused(
            f"Missing parts: {missing}" if missing else "totalparts does not match the upload"
        )
    spool = open_spool(catalog)
    try:
        for index in range(total):
            with catalog.files.open(_part_key(session_id, index)) as part:
                while chunk := part.read(_COPY_CHUNK):
                    spool.write(chunk)
    except TooLarge:
        raise PayloadTooLarge("The file is larger than the configured maximum") from None
    except BaseException:
        spool.discard()
        raise
    return spool.finish(), session.filename


def _drop_session(catalog: Catalog, session_id: str, total: int) -> None:
    with catalog.db.write() as conn:
        db_uploads.delete_session(conn, session_id)
    for index in range(total):
        catalog.files.delete(_part_key(session_id, index))


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
        for session in expired:
            db_uploads.delete_session(conn, session.id)
    for session in expired:
        for index in range(session.total_parts):
            catalog.files.delete(_part_key(session.id, index))
    return len(expired)


def upload_status(catalog: Catalog, actor: Actor, session_id: str) -> UploadStatus:
    """Which parts of an unfinished upload have arrived, so that a client can resume."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.read() as conn:
        session = db_uploads.find_session(conn, session_id) if _UPLOAD_ID.match(session_id) else None
        if session is None or session.user_id != actor.user.id:
            raise NotFound("Unknown upload uuid")
        received = db_uploads.received_parts(conn, session.id)
    expires = session.updated_at + catalog.upload_retention
    return UploadStatus(session.id, session.filename, session.total_parts, received, expires)


def _checked_name(catalog: Catalog, filename: str) -> tuple[str, str]:
    name = normalize_filename(filename)
    if not catalog.uploads.allows(name):
        raise FileTypeNotAllowed("This file type is not allowed.")
    mime = guess_mime(name)
    if "html" in mime:
        raise UnsupportedMediaType("Incorrect file content type: HTML")
    return name, mime


def _verify(spooled: SpooledFile, declared: str | None) -> None:
    if declared and declared.strip().lower() != spooled.sha1:
        raise UploadRefused(f"Checksum mismatch: expected {declared.strip()}, got sha1 {spooled.sha1}")


def _publish(
    catalog: Catalog,
    actor: Actor,
    target: UploadTarget,
    spooled: SpooledFile,
    filename: str,
    declared_checksum: str | None,
) -> UploadOutcome:
    name, mime = _checked_name(catalog, filename)
    _verify(spooled, declared_checksum)
    now = catalog.clock()
    with catalog.db.write() as conn:
        dataset = _dataset_for(conn, actor, target)
        _check_room(catalog, conn, dataset, target)  # again: the count may have moved since
        key = _free_key(catalog, dataset.slug, name, now)
        catalog.files.put(key, spooled.path, mime)
        try:
            outcome, replaced = _store(catalog, conn, actor, dataset, target, spooled, (name, mime, key), now)
        except BaseException:
            catalog.files.delete(key)
            raise
    if replaced is not None and replaced != key:
        catalog.files.delete(replaced)
    return outcome


def _free_key(catalog: Catalog, slug: str, name: str, now: datetime) -> str:
    attempt = 0
    while catalog.files.exists(key := storage_key(slug, name, now, attempt)):
        attempt += 1  # udata fails on the same name within the same second; we move aside
    return key


def _store(
    catalog: Catalog,
    conn: Connection,
    actor: Actor,
    dataset: Dataset,
    target: UploadTarget,
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
    if target.community:
        return _store_community(conn, actor, dataset, target, file_fields, catalog.new_resource_id(), now)
    current = None if target.resource_id is None else _resource(conn, dataset, target.resource_id)
    if current is None:
        resource = Resource(
            id=catalog.new_resource_id(), created_at_internal=now, filetype="file", type="main", **file_fields
        )
        db_resources.insert_first(conn, dataset.id, resource, now)
    else:
        resource = replace(current, **file_fields)
        db_resources.update_one(conn, resource, now)
    touched = touch(dataset, now)
    db_datasets.update_row(
        conn, touched, touched.last_update_given(db_resources.newest_modification(conn, dataset.id))
    )
    return UploadOutcome(resource, created=current is None), None if current is None else current.fs_filename


def _store_community(
    conn: Connection,
    actor: Actor,
    dataset: Dataset,
    target: UploadTarget,
    file_fields: dict[str, Any],
    new_id: str,
    now: datetime,
) -> tuple[UploadOutcome, str | None]:
    if target.resource_id is None:
        resource = Resource(id=new_id, created_at_internal=now, filetype="file", type="main", **file_fields)
        item = CommunityResource(resource, dataset.id, actor.user_id, None)
        db_community.insert(conn, item)
        return UploadOutcome(resource, created=True, community=item), None
    current = community.authorize_community_upload(conn, actor, target.resource_id)
    updated = replace(current, resource=replace(current.resource, **file_fields))
    db_community.update(conn, updated)
    return UploadOutcome(updated.resource, community=updated), current.resource.fs_filename
