"""Dataset use cases: create, read, list, update, delete."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from opencat.catalog import form_sends, history, listing
from opencat.catalog.access import (
    Versions,
    check_creations_allowed,
    check_editable,
    check_not_hidden,
    check_version,
    check_visibility_filters,
    readable_dataset,
    require_dataset,
)
from opencat.catalog.accounts import readable_organization
from opencat.catalog.context import Catalog
from opencat.catalog.file_removal import mark_for_removal, remove_marked
from opencat.catalog.ownership import check_contact_points, check_custom_extras, resolve_ownership
from opencat.catalog.schemas import check_resource_schema
from opencat.catalog.spatial import check_zones
from opencat.catalog.views import DatasetView, assemble
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.db.quick_reads import EMPTY_LOG, LogEntry, Revision
from opencat.db.quick_reads import LogMark as LogMark  # what the kept answers record
from opencat.db.references import fetch_licenses
from opencat.domain import ids, permissions
from opencat.domain.accounts import Actor
from opencat.domain.changes import UNSET, DatasetChanges, Submitted, value_or
from opencat.domain.datasets import (
    SPATIAL_EXCLUSIVE,
    Dataset,
    Resource,
    SpatialChange,
    apply_changes,
    check_distinct_resources,
    enforce_invariants,
    merge_resource_list,
    released_files,
    too_many_resources,
)
from opencat.domain.errors import (
    Gone,
    Invalid,
    PermissionDenied,
    Reason,
    Unauthenticated,
)
from opencat.domain.extras import check_bounds, check_spatial_bounds
from opencat.domain.history import DATASET_FIELDS, Key, created, dataset_diff
from opencat.domain.queries import DatasetQuery, Page
from opencat.domain.search import (
    AnswerReads,
    SearchFilters,
    SearchRequest,
    Visibility,
    answer_unchanged,
    aspect_named,
    visibility_of,
)
from opencat.domain.slugs import slugify, unique_slug


def get_dataset(catalog: Catalog, actor: Actor, ident: str, with_community: bool = False) -> DatasetView:
    with catalog.db.read() as conn:
        return assemble(conn, [readable_dataset(conn, actor, ident)], with_community)[0]


def get_dataset_to_edit(catalog: Catalog, actor: Actor, ident: str) -> DatasetView:
    """The dataset as its editors see it: ``NotFound`` for one the caller may not see, ``Gone``
    once deleted, ``PermissionDenied`` for a reader who may not edit (as ``update_dataset``)."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.read() as conn:
        dataset = readable_dataset(conn, actor, ident)
        if dataset.deleted is not None:
            raise Gone(Reason.DATASET_DELETED)
        if not permissions.can_edit(actor, dataset):
            raise PermissionDenied()
        return assemble(conn, [dataset])[0]


def public_revision(catalog: Catalog, ident: str) -> Revision | None:
    """The id and revision of the public dataset an id or current slug names, read on the calling
    thread with no transaction, when the database allows it (SQLite). None means "ask the full
    path": no such public dataset, another database, or a failed read."""
    quick = catalog.db.quick_reads
    if quick is None:
        return None
    by_id = ids.is_object_id(ident)
    return quick.public_revision(ident.lower() if by_id else ident, by_id)


async def database_version(catalog: Catalog) -> int | str | None:
    """A value that changes whenever anything is committed to the database: SQLite's
    ``data_version`` read on the calling thread (comparable only with values this thread read), or
    PostgreSQL's commit mark read after this call began (db/commit_marks.py). None: none now."""
    quick = catalog.db.quick_reads
    if quick is not None:
        return quick.data_version()
    marks = catalog.db.commit_marks
    return None if marks is None else await marks.current()


# The most log entries an anonymous answer kept is checked against; more: it is made again.
LOG_CHECKED = 64


def log_head(catalog: Catalog, version: int | str) -> LogMark | None:
    """The change log's last entry as of the database's ``version`` (``database_version``):
    SQLite reads it on the calling thread with no transaction, PostgreSQL's commit marks read it
    with the mark. Read before an answer is made, so that what is logged after it is checked
    against the answer (``unchanged_since``). None: not known."""
    quick, marks = catalog.db.quick_reads, catalog.db.commit_marks
    if quick is not None:
        return quick.log_head()
    return None if marks is None or not isinstance(version, str) else marks.head_of(version)


def unchanged_since(
    catalog: Catalog, since: LogMark, reads: AnswerReads, version: int | str
) -> LogMark | None:
    """The log's head when nothing logged after ``since`` (up to the database's ``version``)
    changes an answer made of ``reads`` (``domain.search.answer_unchanged``); None when
    something may have, the log could not be read, or it holds another history than the one
    ``since`` was read in (the database restored)."""
    quick, marks = catalog.db.quick_reads, catalog.db.commit_marks
    changes: list[LogEntry] | None = None
    head: LogMark | None = since
    if quick is not None:
        entries = quick.log_from(since.seq, LOG_CHECKED + 2)
        if entries is not None and since != EMPTY_LOG:
            # The entry it was read at, as it was: else the log is another one (restored).
            if not entries or entries[0].mark != since:
                return None
            entries = entries[1:]
        changes = entries
        if entries:
            head = entries[-1].mark
    elif marks is not None and isinstance(version, str):
        head = marks.head_of(version)
        changes = None if head is None else marks.entries_between(since, head)
    if changes is None or head is None or len(changes) > LOG_CHECKED:
        return None
    if not answer_unchanged(reads, [(entry.dataset_id, aspect_named(entry.aspect)) for entry in changes]):
        return None
    return head


def get_dataset_row(catalog: Catalog, actor: Actor, ident: str) -> Dataset:
    """The dataset without what its representation embeds, with the ``last_update`` stored with
    its revision: enough to answer a conditional GET."""
    with catalog.db.read() as conn:
        return readable_dataset(conn, actor, ident)


def list_datasets(
    catalog: Catalog, actor: Actor, query: DatasetQuery, with_community: bool = False
) -> Page[DatasetView]:
    """Filter and search through the index; the database returns the documents, in the index's order."""
    check_visibility_filters(actor, query)
    with catalog.db.read() as conn:  # one connection for the outbox check, the ids and the rows
        request = listing.search_request(conn, query, visibility_of(actor))
        return listing.views_page(catalog, conn, query, request, with_community)


def organization_datasets(
    catalog: Catalog, actor: Actor, org_ident: str, query: DatasetQuery
) -> Page[DatasetView]:
    """An organization's datasets, in the query's order (its filters and words are not applied, as
    in udata: udata/core/organization/api.py, OrgDatasetsAPI), archived ones included. Its private
    and deleted ones are listed to its members and to sysadmins only: udata lists the deleted ones
    to anyone."""
    with catalog.db.read() as conn:
        organization = readable_organization(conn, org_ident)
        member = actor.is_sysadmin or organization.id in actor.roles
        filters = SearchFilters(organization=organization.id)
        if not member:
            filters = replace(filters, private=False, deleted=False)
        request = SearchRequest(
            filters=filters,
            visibility=Visibility(everything=True),  # the filters above say what may be seen
            sort=query.sort,
            offset=(query.page - 1) * query.page_size,
            limit=query.page_size,
        )
        return listing.views_page(catalog, conn, query, request, with_community=False)


def _known_license(conn: Connection, changes: DatasetChanges) -> DatasetChanges:
    """An unknown license id is stored as null, as udata silently does (udata: udata/core/dataset/api.py, forms.py)."""
    if changes.license is UNSET or changes.license is None:
        return changes
    if changes.license not in {lic.id for lic in fetch_licenses(conn)}:
        return replace(changes, license=None)
    return changes


def _known_zones(conn: Connection, changes: DatasetChanges, current: Dataset | None = None) -> DatasetChanges:
    """The coverage made whole (the sub-fields a write leaves out keep their stored values), its
    zones checked against the referential and stored under their canonical ids; those the
    ``current`` dataset already holds are kept as stored (``check_zones``)."""
    if isinstance(changes.spatial, SpatialChange):
        stored = current.spatial if current is not None else None
        whole = changes.spatial.applied_to(stored)
        if whole.zones and whole.geom is not None:
            raise Invalid({"spatial": [SPATIAL_EXCLUSIVE]})
        check_spatial_bounds(stored, whole)  # before the zones are looked up: 400,000 took 14 s
        changes = replace(changes, spatial=whole)
    if changes.spatial is UNSET or not changes.spatial.zones:
        return changes
    kept = current.spatial.zones if current is not None and current.spatial is not None else ()
    zones = check_zones(conn, changes.spatial.zones, kept)
    return replace(changes, spatial=replace(changes.spatial, zones=zones))


def _with_stored_schemas(changes: DatasetChanges, stored: Sequence[Resource]) -> DatasetChanges:
    """A schema sent for a stored resource inside a dataset's body, completed with the stored
    schema's keys it leaves out (udata's nested form: ``{"version": "1.3.0"}`` changes the
    version of the schema named)."""
    if changes.resources is UNSET:
        return changes
    schemas = {resource.id: resource.schema or {} for resource in stored}
    entries = tuple(
        replace(entry, schema={**_schema_keys(schemas.get(value_or(entry.id, ""), {})), **entry.schema})
        if isinstance(entry.schema, dict)
        else entry
        for entry in changes.resources
    )
    return replace(changes, resources=entries)


def _schema_keys(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {name: schema.get(name) for name in ("name", "url", "version")}


def _checked_resources(catalog: Catalog, changes: DatasetChanges) -> list[tuple[str | None, dict[str, Any]]]:
    """The sent resources with their schemas checked, as (id, fields) for the merge."""
    if changes.resources is UNSET:
        return []
    checked = (
        check_resource_schema(catalog.schemas, entry, index) for index, entry in enumerate(changes.resources)
    )
    return [(value_or(entry.id, None), entry.fields()) for entry in checked]


def _new_slug(conn: Connection, title: str, current: str | None = None) -> str:
    base = slugify(title) or "dataset"
    taken = db_datasets.slugs_taken(conn, base) - ({current} if current else set())
    return unique_slug(base, taken)


def _made_by_form(conn: Connection, earlier: str | None) -> Dataset | None:
    """The dataset an earlier sending of this form made (None: another user's token, or gone:
    deleted since, the form sent again makes a new one)."""
    found = None if earlier is None else db_datasets.find_by_id(conn, earlier)
    return None if found is None or found.deleted is not None else found


def create_dataset(
    catalog: Catalog, actor: Actor, submitted: Submitted[DatasetChanges], *, once: str | None = None
) -> DatasetView:
    """A new dataset; the body's refusal comes once the caller is known (udata: udata/core/dataset/api.py).
    ``once``: the token of the page's form that asks (``db/form_submissions``): the same form sent
    again (the back button, a second click) answers the dataset it made, instead of a second one."""
    check_creations_allowed(catalog.read_only, actor)
    changes = submitted.value()
    now = catalog.clock()
    with catalog.db.write() as conn:
        sent = form_sends.claim(conn, once, actor.user_id, now)
        earlier = _made_by_form(conn, sent.earlier)
        if earlier is not None:
            return assemble(conn, [earlier])[0]
        changes = _known_zones(conn, _known_license(conn, changes))
        incoming = _checked_resources(catalog, changes)
        owner_id, organization_id = resolve_ownership(
            conn, actor, value_or(changes.owner, None), value_or(changes.organization, None), current=None
        )
        fields = changes.dataset_fields()
        draft = Dataset(
            id=catalog.new_object_id(),
            slug=_new_slug(conn, fields["title"]),
            created_at_internal=now,
            last_modified_internal=now,
            owner_id=owner_id,
            organization_id=organization_id,
            **fields,
        )
        check_bounds(None, draft)
        dataset = enforce_invariants(draft)
        check_contact_points(conn, dataset)
        check_custom_extras(conn, dataset, saved=False)
        resources = merge_resource_list([], incoming, now, catalog.new_resource_id)
        _check_resource_count(catalog, resources, [])
        db_datasets.insert(conn, dataset, dataset.last_update(resources, now))
        sent.record(conn, dataset.id)
        db_resources.replace_all(conn, dataset.id, [], resources, now)
        history.record(
            conn,
            [
                history.on_dataset(
                    catalog, actor, Key.DATASET_CREATED, dataset, now, created(dataset, DATASET_FIELDS)
                ),
                *history.resource_list(catalog, actor, dataset, [], resources, now),
            ],
        )
        return assemble(conn, [dataset])[0]


def _check_resource_count(catalog: Catalog, after: Sequence[Resource], before: Sequence[Resource]) -> None:
    """The cap on resources, counted on the list about to be stored, in the write transaction."""
    refused = too_many_resources(len(after), catalog.max_resources, len(before))
    if refused is not None:
        raise Invalid({"resources": [refused]})


def update_dataset(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    submitted: Submitted[DatasetChanges],
    *,
    restoring: bool = False,
    expected_versions: Versions | None = None,
) -> DatasetView:
    """Apply the sent fields. The body's refusal comes only once access is granted, so that 410
    and 403 come before any validation error (udata: udata/core/dataset/api.py, forms.py)."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.write() as conn:
        current = require_dataset(conn, ident, actor)
        now = catalog.clock()  # once the row is ours: one dataset's writes dated in commit order
        check_not_hidden(actor, current)
        if current.deleted is not None and not restoring:
            raise Gone(Reason.DATASET_DELETED)
        check_editable(actor, current)
        changes = _known_zones(conn, _known_license(conn, submitted.value()), current)
        check_version(current, expected_versions)
        before = db_resources.fetch_for_dataset(conn, current.id)
        incoming = _checked_resources(catalog, _with_stored_schemas(changes, before))
        owner_id, organization_id = resolve_ownership(
            conn,
            actor,
            value_or(changes.owner, None),
            value_or(changes.organization, None),
            current=current,
            organization_cleared=changes.organization is None,
        )
        fields = changes.dataset_fields()
        if "title" in fields and fields["title"] != current.title:
            fields["slug"] = _new_slug(conn, fields["title"], current=current.slug)
        dataset = apply_changes(
            current, {**fields, "owner_id": owner_id, "organization_id": organization_id}, now
        )
        check_contact_points(conn, dataset)
        check_custom_extras(conn, dataset)
        after = merge_resource_list(before, incoming, now, catalog.new_resource_id)
        check_distinct_resources(dataset.id, after)
        _check_resource_count(catalog, after, before)
        db_datasets.update(conn, dataset, dataset.last_update(after, now), old_slug=current.slug)
        db_resources.replace_all(conn, dataset.id, before, after, now)
        _record_update(catalog, conn, actor, (current, dataset), (before, after), now)
        # A link given a file, pointed elsewhere, lets its file go (as on its own PUT); a file
        # whose resource left the list stays in the store, as in udata (docs/compatibility.md).
        kept = {resource.id: resource for resource in before}
        staying = [resource for resource in after if resource.id in kept]
        released = released_files([kept[resource.id] for resource in staying], staying)
        mark_for_removal(conn, released, now)
        view = assemble(conn, [dataset])[0]
    remove_marked(catalog, released, served=True)
    return view


def _record_update(
    catalog: Catalog,
    conn: Connection,
    actor: Actor,
    dataset: tuple[Dataset, Dataset],
    resources: tuple[Sequence[Resource], Sequence[Resource]],
    now: datetime,
) -> None:
    """The changed fields (when any), then each resource added, changed or removed. A write that
    deletes the dataset (``"deleted"`` sent) is its deletion too, as udata records it after the
    update: a reader of ``dataset:deleted`` entries missed the datasets deleted so."""
    changed = dataset_diff(*dataset)
    deleting = dataset[0].deleted is None and dataset[1].deleted is not None
    # udata audits no ``deleted`` field: a deletion is its own entry, the rest an update.
    deletion = [change for change in changed if deleting and change.field == "deleted"]
    fields = [change for change in changed if change not in deletion]
    updated = (
        [history.on_dataset(catalog, actor, Key.DATASET_UPDATED, dataset[1], now, fields)] if fields else []
    )
    if deleting:
        updated.append(history.on_dataset(catalog, actor, Key.DATASET_DELETED, dataset[1], now, deletion))
    history.record(conn, [*updated, *history.resource_list(catalog, actor, dataset[1], *resources, now)])


def delete_dataset(
    catalog: Catalog, actor: Actor, ident: str, *, expected_versions: Versions | None = None
) -> None:
    """Soft delete: the dataset answers 410 to the public and stays readable by its editors."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.write() as conn:
        current = require_dataset(conn, ident, actor)
        now = catalog.clock()  # once the row is ours: one dataset's writes dated in commit order
        check_not_hidden(actor, current)
        if current.deleted is not None:
            raise Gone(Reason.DATASET_DELETED)
        check_editable(actor, current)
        check_version(current, expected_versions)
        dataset = apply_changes(current, {"deleted": now}, now)
        resources = db_resources.fetch_for_dataset(conn, dataset.id)
        db_datasets.update(conn, dataset, dataset.last_update(resources, now), old_slug=current.slug)
        deleted = dataset_diff(current, dataset)
        history.record(conn, [history.on_dataset(catalog, actor, Key.DATASET_DELETED, dataset, now, deleted)])


def resources_page(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    page: int,
    page_size: int,
    kind: str | None = None,
    text: str | None = None,
) -> tuple[str, Page[Resource]]:
    """The dataset's id and a page of its resources, filtered by type and by a title substring
    (API v2)."""
    with catalog.db.read() as conn:
        dataset = readable_dataset(conn, actor, ident)
        resources = db_resources.fetch_for_dataset(conn, dataset.id)
    needle = (text or "").casefold()
    kept = [r for r in resources if (kind is None or r.type == kind) and needle in r.title.casefold()]
    start = (page - 1) * page_size
    return dataset.id, Page(kept[start : start + page_size], len(kept), page, page_size)
