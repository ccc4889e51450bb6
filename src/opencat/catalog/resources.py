"""Resource use cases: add, read, edit, remove and reorder the resources of a dataset."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from opencat.catalog import form_sends, history
from opencat.catalog.access import (
    Versions,
    check_creations_allowed_under,
    check_readable,
    check_version,
    editable_dataset,
    reach_dataset,
    readable_dataset,
)
from opencat.catalog.community import check_community_readable
from opencat.catalog.context import Catalog
from opencat.catalog.file_removal import mark_for_removal, remove_marked
from opencat.catalog.schemas import check_resource_schema
from opencat.db import community as db_community
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain import ids
from opencat.domain.accounts import Actor
from opencat.domain.changes import UNSET, Reorder, ResourceChanges, Submitted
from opencat.domain.datasets import (
    Dataset,
    Resource,
    apply_resource_changes,
    new_resource,
    released_files,
    too_many_resources,
    touch,
)
from opencat.domain.errors import (
    BadRequest,
    Gone,
    Invalid,
    InvalidItems,
    NotFound,
    Reason,
)
from opencat.domain.history import Key, resource_diff
from opencat.domain.search import Aspect


@dataclass(frozen=True, slots=True)
class LocatedResource:
    dataset_id: str | None  # a community resource may have lost its dataset
    resource: Resource


def resource_of(conn: Connection, dataset: Dataset, resource_id: str) -> Resource:
    canonical = ids.parse_uuid(resource_id)
    found = None if canonical is None else db_resources.find(conn, dataset.id, canonical)
    if found is None:
        raise NotFound(Reason.RESOURCE_MISSING)
    return found


def store_dataset(conn: Connection, dataset: Dataset, aspect: Aspect | None = None) -> None:
    """``aspect``: all the write changed of the dataset for search (None: anything)."""
    newest = db_resources.newest_modification(conn, dataset.id)
    db_datasets.update_row(conn, dataset, dataset.last_update_given(newest), aspect=aspect)


def check_room(catalog: Catalog, conn: Connection, dataset: Dataset) -> None:
    """One more resource stays within the cap (counted, not read, in the write transaction)."""
    _check_room_beside(catalog, db_resources.count(conn, dataset.id))


def _check_room_beside(catalog: Catalog, stored: int) -> None:
    refused = too_many_resources(stored + 1, catalog.max_resources, stored)
    if refused is not None:
        raise BadRequest(refused.reason, **refused.details)


def add_resource(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    submitted: Submitted[ResourceChanges],
    expected_versions: Versions | None = None,
    *,
    once: str | None = None,
) -> Resource:
    """A new remote resource, placed first (udata: udata/core/dataset/api.py, resources).
    ``expected_versions``: the dataset's versions the addition was made on (``check_version``).
    ``once``: the sending of the page's form that asks (``catalog/form_sends``): the same form
    sent again answers the resource it added, while the dataset still holds it."""
    check_creations_allowed_under(catalog.db, catalog.read_only, actor, reach_dataset(actor, ident))
    with catalog.db.write() as conn:
        dataset = editable_dataset(conn, actor, ident)
        check_version(dataset, expected_versions)
        now = catalog.clock()  # once the row is ours: one dataset's writes dated in commit order
        sent = form_sends.claim(conn, once, actor.user_id, now)
        earlier = None if sent.earlier is None else db_resources.find(conn, dataset.id, sent.earlier)
        if earlier is not None:
            return earlier
        changes = check_resource_schema(catalog.schemas, submitted.value())
        resource = new_resource(changes.fields(), catalog.new_resource_id(), now)
        if resource.filetype != "remote":
            raise BadRequest(Reason.REMOTE_ONLY)
        # One statement reads what the cap, the new position and the dataset's dates need.
        siblings = db_resources.siblings(conn, dataset.id)
        _check_room_beside(catalog, siblings.count)
        newest = db_resources.insert_first(conn, dataset.id, resource, now, siblings)
        touched = touch(dataset, now)
        db_datasets.update_row(conn, touched, touched.last_update_given(newest), aspect=Aspect.RESOURCES)
        history.record(conn, [history.resource_added(catalog, actor, dataset, resource, now)])
        sent.record(conn, resource.id)
        return resource


def get_resource(catalog: Catalog, actor: Actor, ident: str, resource_id: str) -> Resource:
    with catalog.db.read() as conn:
        return resource_of(conn, readable_dataset(conn, actor, ident), resource_id)


def update_resource(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    resource_id: str,
    submitted: Submitted[ResourceChanges],
    expected_versions: Versions | None = None,
) -> Resource:
    """Change the sent fields; a hosted file's own fields stay the server's. ``expected_versions``:
    the dataset's versions the change was made on (a page's revision; ``access.check_version``)."""
    with catalog.db.write() as conn:
        dataset = editable_dataset(conn, actor, ident)
        check_version(dataset, expected_versions)
        now = catalog.clock()  # once the row is ours: one dataset's writes dated in commit order
        current = resource_of(conn, dataset, resource_id)
        changes = check_resource_schema(catalog.schemas, submitted.value())
        if changes.filetype is not UNSET and changes.filetype != current.filetype:
            raise BadRequest(Reason.FILETYPE_CHANGE)
        updated = apply_resource_changes(current, changes.fields(), now)
        db_resources.update_one(conn, updated, now)
        store_dataset(conn, touch(dataset, now), Aspect.RESOURCES)
        changed = resource_diff(current, updated)
        if changed:
            history.record(
                conn,
                [
                    history.on_dataset(
                        catalog, actor, Key.RESOURCE_UPDATED, dataset, now, changed, resource_id=updated.id
                    )
                ],
            )
        released = released_files([current], [updated])
        mark_for_removal(conn, released, now)
    remove_marked(catalog, released, served=True)
    return updated


def delete_resource(
    catalog: Catalog, actor: Actor, ident: str, resource_id: str, expected_versions: Versions | None = None
) -> Resource:
    """Remove the resource, then its stored file once the removal is committed.
    ``expected_versions``: the dataset's versions the removal was asked on (``check_version``)."""
    with catalog.db.write() as conn:
        dataset = editable_dataset(conn, actor, ident)
        check_version(dataset, expected_versions)
        now = catalog.clock()  # once the row is ours: one dataset's writes dated in commit order
        current = resource_of(conn, dataset, resource_id)
        db_resources.delete_one(conn, current.id)
        store_dataset(conn, touch(dataset, now), Aspect.RESOURCES)
        history.record(conn, [history.resource_removed(catalog, actor, dataset, current, now)])
        hosted = [current.fs_filename] if current.fs_filename else []
        mark_for_removal(conn, hosted, now)  # a process killed before the removal leaves it to the sweep
    remove_marked(catalog, hosted, served=True)
    return current


def _reorder_ids(entries: Sequence[str | None], existing: list[str]) -> list[str]:
    """udata's checks, in udata's order (udata: udata/core/dataset/api.py, resources)."""
    if len(entries) != len(existing):
        raise BadRequest(Reason.REORDER_COUNT, sent=len(entries), existing=len(existing))
    wanted: list[str] = []
    for entry in entries:
        if entry is None:
            raise BadRequest(Reason.REORDER_NEEDS_ID)
        wanted.append(ids.parse_uuid(entry) or entry)
    if len(set(wanted)) != len(wanted) or set(wanted) != set(existing):
        raise BadRequest(Reason.REORDER_IDS_MISMATCH, existing=set(existing))
    return wanted


def _in_order(
    before: Sequence[Resource], order: Sequence[str], updates: Sequence[Resource]
) -> list[Resource]:
    by_id = {resource.id: resource for resource in before} | {resource.id: resource for resource in updates}
    return [by_id[resource_id] for resource_id in order]


def reorder_resources(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    submitted: Submitted[Reorder],
    expected_versions: Versions | None = None,
) -> list[Resource]:
    """Store a new order, with optional field updates; the dataset's dates do not move.
    ``expected_versions``: the versions the order was chosen on (``access.check_version``)."""
    with catalog.db.write() as conn:
        dataset = editable_dataset(conn, actor, ident)
        check_version(dataset, expected_versions)
        now = catalog.clock()  # once the row is ours: one dataset's writes dated in commit order
        reorder = submitted.value()
        # Read once: one query per entry sent as an object was 3,000 round trips (12 s on
        # PostgreSQL) for a dataset of 3,000 resources.
        before = db_resources.fetch_for_dataset(conn, dataset.id)
        stored = {resource.id: resource for resource in before}
        order = _reorder_ids(reorder.ids, [resource.id for resource in before])
        # udata reports a list form's errors in place, one entry per element ({} when valid).
        problems: list[dict[str, Any]] = [{} for _ in order]
        updates: list[Resource] = []
        for resource_id, changes in reorder.changes.value().items():
            if not changes:
                continue  # an entry of its id alone: nothing to check or change
            current = stored.get(resource_id)
            try:
                checked = check_resource_schema(catalog.schemas, changes)
                if current is None:
                    continue
                # As the resource's own PUT: a remote link made a "file" would be taken for a
                # hosted one, its address then the server's for good (udata stores it).
                if checked.filetype is not UNSET and checked.filetype != current.filetype:
                    raise BadRequest(Reason.FILETYPE_CHANGE)
                if checked.fields():
                    updates.append(apply_resource_changes(current, checked.fields(), now))
            except Invalid as error:
                problems[order.index(resource_id)] = error.errors
        if any(problems):
            raise InvalidItems(problems)
        db_resources.set_positions(conn, order)
        for updated in updates:
            db_resources.update_one(conn, updated, now)
        history.record(
            conn,
            history.resource_list(catalog, actor, dataset, before, _in_order(before, order, updates), now),
        )
        # A new order is a new representation (ETag) but not a modification (udata: udata/core/dataset/api.py, resources).
        store_dataset(conn, replace(dataset, revision=dataset.revision + 1), Aspect.RESOURCES)
        released = released_files([stored[resource.id] for resource in updates], updates)
        mark_for_removal(conn, released, now)
        reordered = db_resources.fetch_for_dataset(conn, dataset.id)
    remove_marked(catalog, released, served=True)
    return reordered


def locate_resource(catalog: Catalog, actor: Actor, resource_id: str) -> LocatedResource:
    """A resource by id alone, in a dataset the caller may read, or a community resource the
    caller may read (API v2; udata: udata/core/dataset/apiv2.py, ResourceAPI): a deleted
    dataset's is 410, as its dataset, a private one's 404."""
    canonical = ids.parse_uuid(resource_id)
    with catalog.db.read() as conn:
        found = None if canonical is None else db_resources.find_anywhere(conn, canonical)
        if found is None:
            proposed = None if canonical is None else db_community.find(conn, canonical)
            if proposed is None:
                raise NotFound(Reason.RESOURCE_MISSING)
            check_community_readable(conn, actor, proposed, Reason.RESOURCE_MISSING)
            return LocatedResource(proposed.dataset_id, proposed.resource)
        dataset = db_datasets.find_by_id(conn, found[0])
        if dataset is None:
            raise NotFound(Reason.RESOURCE_MISSING)
        try:
            check_readable(actor, dataset)
        except Gone:
            raise Gone(Reason.DATASET_DELETED) from None
        except NotFound:
            raise NotFound(Reason.RESOURCE_MISSING) from None
        return LocatedResource(dataset.id, found[1])


def resource_schemas(catalog: Catalog, actor: Actor, ident: str) -> list[Mapping[str, Any]]:
    """The distinct schemas a dataset's resources declare, in the resources' order (API v2;
    udata: udata/core/dataset/apiv2.py, DatasetSchemasAPI): one per url, name and version."""
    with catalog.db.read() as conn:
        dataset = readable_dataset(conn, actor, ident)
        found: dict[tuple[Any, Any, Any], Mapping[str, Any]] = {}
        for resource in db_resources.fetch_for_dataset(conn, dataset.id):
            schema = resource.schema
            if schema:
                found[(schema.get("url"), schema.get("name"), schema.get("version"))] = schema
        return list(found.values())
