"""Community resource use cases (udata: udata/core/dataset/api.py, community resources)."""

from collections.abc import Sequence
from dataclasses import dataclass, replace

from opencat.catalog import history
from opencat.catalog.access import check_creations_allowed
from opencat.catalog.context import Catalog
from opencat.catalog.file_removal import mark_for_removal, remove_marked
from opencat.catalog.ownership import owner_target
from opencat.catalog.schemas import check_resource_schema
from opencat.db import accounts as db_accounts
from opencat.db import community as db_community
from opencat.db import datasets as db_datasets
from opencat.db.engine import Connection
from opencat.domain import ids, permissions
from opencat.domain.accounts import Actor, Organization, User
from opencat.domain.changes import UNSET, CommunityChanges, Submitted, value_or
from opencat.domain.community import (
    CommunityResource,
    can_edit_community,
    can_read_community,
    can_remove_community,
)
from opencat.domain.datasets import Dataset, apply_resource_changes, new_resource, released_files
from opencat.domain.errors import (
    BadRequest,
    Invalid,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    Reason,
    Unauthenticated,
    problem,
)
from opencat.domain.history import Key
from opencat.domain.queries import CommunityQuery, Page
from opencat.domain.search import visibility_of


@dataclass(frozen=True, slots=True)
class CommunityView:
    item: CommunityResource
    dataset: Dataset | None
    organization: Organization | None
    owner: User | None


def assemble(conn: Connection, items: Sequence[CommunityResource]) -> list[CommunityView]:
    """Three queries whatever the number of items: datasets, organizations, owners."""
    datasets = {
        d.id: d
        for d in (db_datasets.find_by_id(conn, i) for i in {x.dataset_id for x in items if x.dataset_id})
        if d
    }
    organizations = db_accounts.fetch_organizations(
        conn, (x.organization_id for x in items if x.organization_id)
    )
    owners = db_accounts.fetch_users(conn, (x.owner_id for x in items if x.owner_id))
    return [
        CommunityView(
            item,
            datasets.get(item.dataset_id or ""),
            organizations.get(item.organization_id or ""),
            owners.get(item.owner_id or ""),
        )
        for item in items
    ]


def list_community_resources(catalog: Catalog, actor: Actor, query: CommunityQuery) -> Page[CommunityView]:
    """Those of datasets the caller may read, and the caller's own (udata filters nothing)."""
    with catalog.db.read() as conn:
        items, total = db_community.fetch_page(conn, query, visibility_of(actor))
        if not items and query.page > 1:
            raise NotFound()
        return Page(assemble(conn, items), total, query.page, query.page_size)


def _require(conn: Connection, ident: str) -> CommunityResource:
    canonical = ids.parse_uuid(ident)
    found = None if canonical is None else db_community.find(conn, canonical)
    if found is None:
        raise NotFound()  # udata's converter: werkzeug's NotFound, the generic text
    return found


def require_visible(conn: Connection, actor: Actor, ident: str) -> CommunityResource:
    """The community resource ``ident`` names, when the caller may see it; else 404."""
    item = _require(conn, ident)
    check_community_readable(conn, actor, item)
    return item


def check_community_readable(
    conn: Connection, actor: Actor, item: CommunityResource, reason: Reason | None = None
) -> None:
    dataset = db_datasets.find_by_id(conn, item.dataset_id) if item.dataset_id else None
    if not can_read_community(actor, item, dataset):
        raise NotFound(reason)


def get_community_resource(catalog: Catalog, actor: Actor, ident: str) -> CommunityView:
    with catalog.db.read() as conn:
        item = _require(conn, ident)
        check_community_readable(conn, actor, item)
        return assemble(conn, [item])[0]


def _organization_for(conn: Connection, actor: Actor, organization_id: str | None) -> str | None:
    if organization_id is None:
        return None
    if db_accounts.find_organization(conn, organization_id) is None:
        raise Invalid({"organization": [problem(Reason.ORGANIZATION_DOES_NOT_EXIST)]})
    if not permissions.can_publish_in(actor, organization_id):
        raise Invalid({"organization": [problem(Reason.ORGANIZATION_DENIED)]})
    return organization_id


def create_community_resource(
    catalog: Catalog, actor: Actor, submitted: Submitted[CommunityChanges]
) -> CommunityView:
    """A remote community resource on a dataset, owned by the caller or by their organization."""
    check_creations_allowed(catalog.read_only, actor)
    assert actor.user is not None
    changes = submitted.value()
    sent = check_resource_schema(catalog.schemas, changes.resource)
    dataset_id = value_or(changes.dataset, None)
    organization_id = value_or(changes.organization, None)
    now = catalog.clock()
    resource = new_resource({"type": "other", **sent.fields()}, catalog.new_resource_id(), now)
    if resource.filetype != "remote":
        raise BadRequest(Reason.COMMUNITY_REMOTE_ONLY)
    if dataset_id is None:
        raise Invalid({"dataset": problem(Reason.DATASET_ID_REQUIRED)})
    with catalog.db.write() as conn:
        dataset = db_datasets.find_by_id(conn, dataset_id)
        if dataset is None or not permissions.can_read(actor, dataset):
            raise Invalid({"dataset": [problem(Reason.DATASET_UNKNOWN)]})  # udata's ModelField: a form error
        organization_id = _organization_for(conn, actor, organization_id)
        owner_id = owner_target(conn, actor, value_or(changes.owner, None))
        item = CommunityResource(resource, dataset_id, None if organization_id else owner_id, organization_id)
        db_community.insert(conn, item)
        history.record(conn, history.on_community(catalog, conn, actor, Key.COMMUNITY_ADDED, None, item, now))
        return assemble(conn, [item])[0]


def _editable(conn: Connection, actor: Actor, ident: str) -> CommunityResource:
    if actor.user is None:
        raise Unauthenticated()
    item = _require(conn, ident)
    if not can_edit_community(actor, item):
        # A proposal hidden from the caller (on a private dataset) is not there, as on a read:
        # a 403 would confirm it exists.
        check_community_readable(conn, actor, item)
        raise PermissionDenied()
    return item


def _moved_to(conn: Connection, actor: Actor, item: CommunityResource, sent: str | None) -> str | None:
    """The dataset the proposal is on after an edit: the one sent, which the caller must be able
    to read, or its own (nothing sent, or ``null``: udata's optional field keeps it)."""
    if sent is None or sent == item.dataset_id:
        return item.dataset_id
    dataset = db_datasets.find_by_id(conn, sent)
    if dataset is None or not permissions.can_read(actor, dataset):
        raise Invalid({"dataset": [problem(Reason.DATASET_UNKNOWN)]})
    return dataset.id


def update_community_resource(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    submitted: Submitted[CommunityChanges],
    edited_since: str | None = None,
) -> CommunityView:
    """Partial update; a filetype change is silently ignored here (unlike dataset resources).
    A dataset sent moves the proposal to it (udata's form writes its ``dataset`` field), if the
    caller may read it. ``edited_since``: the resource's last change the edit was made on
    (``version_of``, a page's); ``PreconditionFailed`` if it changed since."""
    now = catalog.clock()
    with catalog.db.write() as conn:
        item = _editable(conn, actor, ident)
        if edited_since is not None and edited_since != version_of(item):
            raise PreconditionFailed(Reason.STALE_REVISION)
        changes = submitted.value()
        sent = replace(check_resource_schema(catalog.schemas, changes.resource), filetype=UNSET)
        organization_sent = changes.organization is not UNSET
        organization_id = _organization_for(conn, actor, value_or(changes.organization, None))
        resource = apply_resource_changes(item.resource, sent.fields(), now)
        owner_id, org_id = item.owner_id, item.organization_id
        if organization_id is not None:
            owner_id, org_id = None, organization_id
        elif organization_sent:  # ``"organization": null`` takes it back from the organization
            org_id = None
        owner_sent = value_or(changes.owner, None)
        if owner_sent is not None:
            # udata's owner field: the caller's own id, any user's for a sysadmin (400 otherwise);
            # a resource that stays an organization's keeps no owner.
            wanted = owner_target(conn, actor, owner_sent, item.owner_id)
            owner_id = owner_id if org_id is not None else wanted
        if owner_id is None and org_id is None:
            owner_id = actor.user_id
        dataset_id = _moved_to(conn, actor, item, value_or(changes.dataset, None))
        updated = replace(
            item, resource=resource, dataset_id=dataset_id, owner_id=owner_id, organization_id=org_id
        )
        db_community.update(conn, updated)
        history.record(
            conn, history.on_community(catalog, conn, actor, Key.COMMUNITY_UPDATED, item, updated, now)
        )
        released = released_files([item.resource], [resource])
        mark_for_removal(conn, released, now)
        view = assemble(conn, [updated])[0]
    remove_marked(catalog, released, served=True)
    return view


def delete_community_resource(catalog: Catalog, actor: Actor, ident: str) -> None:
    """A hard delete, then the stored file once the delete is committed."""
    with catalog.db.write() as conn:
        item = _editable(conn, actor, ident)
        _delete(catalog, conn, actor, item)
    _forget_file(catalog, item)


def remove_proposal(catalog: Catalog, actor: Actor, ident: str) -> None:
    """The review of a proposal by the editors of its dataset (and whoever may edit it): removed
    as a delete is, and recorded in the history as one. The API keeps udata's narrower rule."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.write() as conn:
        item = _require(conn, ident)
        dataset = None if item.dataset_id is None else db_datasets.find_by_id(conn, item.dataset_id)
        if not can_remove_community(actor, item, dataset):
            raise PermissionDenied()
        _delete(catalog, conn, actor, item)
    _forget_file(catalog, item)


def _delete(catalog: Catalog, conn: Connection, actor: Actor, item: CommunityResource) -> None:
    """The proposal's row, and its file marked for removal after the commit (``_forget_file``)."""
    db_community.delete(conn, item.id)
    now = catalog.clock()
    history.record(conn, history.on_community(catalog, conn, actor, Key.COMMUNITY_DELETED, None, item, now))
    mark_for_removal(conn, _hosted(item), now)


def _forget_file(catalog: Catalog, item: CommunityResource) -> None:
    remove_marked(catalog, _hosted(item), served=True)


def _hosted(item: CommunityResource) -> list[str]:
    return [item.resource.fs_filename] if item.resource.fs_filename else []


def authorize_community_upload(conn: Connection, actor: Actor, ident: str) -> CommunityResource:
    return _editable(conn, actor, ident)


def version_of(item: CommunityResource) -> str:
    """What a page's edit form carries to tell whether the resource changed since it was shown."""
    return item.resource.last_modified_internal.isoformat()
