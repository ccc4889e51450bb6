"""The history of changes: each write use case records what it changed in its own transaction
(``record``), and the activity stream reads it back (``list_activity``; udata: udata/core/activity/api.py)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import history as db_history
from opencat.db.engine import Connection
from opencat.domain import ids
from opencat.domain.accounts import Actor, Organization, User
from opencat.domain.community import CommunityResource
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.errors import BadRequest, NotFound, Reason
from opencat.domain.history import (
    DATASET,
    ORGANIZATION,
    RESOURCE_FIELDS,
    Activity,
    FieldChange,
    Key,
    community_changes,
    created,
    resource_list_changes,
)
from opencat.domain.queries import ActivityQuery, Page
from opencat.domain.search import visibility_of


@dataclass(frozen=True, slots=True)
class ActivityView:
    activity: Activity
    actor: User | None
    organization: Organization | None
    # What it relates to as it is now (None: an organization, or gone); its name and page come from it.
    dataset: Dataset | None
    related_organization: Organization | None


def on_dataset(
    catalog: Catalog,
    actor: Actor | None,
    key: Key,
    dataset: Dataset,
    now: datetime,
    changes: Iterable[FieldChange] = (),
    **extras: Any,
) -> Activity:
    return Activity(
        id=catalog.new_object_id(),
        key=key,
        created_at=now,
        actor_id=None if actor is None else actor.user_id,
        related_to_kind=DATASET,
        related_to_id=dataset.id,
        related_to_name=dataset.title,
        organization_id=dataset.organization_id,
        changes=tuple(changes),
        extras=extras,
    )


def on_organization(
    catalog: Catalog,
    actor: Actor | None,
    key: Key,
    organization: Organization,
    now: datetime,
    changes: Iterable[FieldChange] = (),
) -> Activity:
    return Activity(
        id=catalog.new_object_id(),
        key=key,
        created_at=now,
        actor_id=None if actor is None else actor.user_id,
        related_to_kind=ORGANIZATION,
        related_to_id=organization.id,
        related_to_name=organization.name,
        organization_id=organization.id,
        changes=tuple(changes),
    )


def resource_added(
    catalog: Catalog, actor: Actor, dataset: Dataset, resource: Resource, now: datetime
) -> Activity:
    return on_dataset(
        catalog,
        actor,
        Key.RESOURCE_ADDED,
        dataset,
        now,
        created(resource, RESOURCE_FIELDS),
        resource_id=resource.id,
    )


def resource_removed(
    catalog: Catalog, actor: Actor, dataset: Dataset, resource: Resource, now: datetime
) -> Activity:
    gone = tuple(FieldChange(c.field, c.new, None) for c in created(resource, RESOURCE_FIELDS))
    return on_dataset(catalog, actor, Key.RESOURCE_DELETED, dataset, now, gone, resource_id=resource.id)


def resource_list(
    catalog: Catalog,
    actor: Actor,
    dataset: Dataset,
    before: Sequence[Resource],
    after: Sequence[Resource],
    now: datetime,
) -> list[Activity]:
    """One activity per resource added, changed or removed, and one for a new order."""
    moved = resource_list_changes(before, after)
    found = [resource_added(catalog, actor, dataset, resource, now) for resource in moved.added]
    found += [
        on_dataset(catalog, actor, Key.RESOURCE_UPDATED, dataset, now, changes, resource_id=resource.id)
        for resource, changes in moved.changed
    ]
    found += [resource_removed(catalog, actor, dataset, resource, now) for resource in moved.removed]
    if moved.order is not None:
        old, new = moved.order
        found.append(
            on_dataset(
                catalog, actor, Key.RESOURCES_REORDERED, dataset, now, [FieldChange("resources", old, new)]
            )
        )
    return found


def on_community(
    catalog: Catalog,
    conn: Connection,
    actor: Actor,
    key: Key,
    before: CommunityResource | None,
    after: CommunityResource,
    now: datetime,
) -> list[Activity]:
    """Related to the dataset it is proposed on (none when it names no dataset that exists)."""
    dataset = db_datasets.find_by_id(conn, after.dataset_id) if after.dataset_id else None
    if dataset is None:
        return []
    if key is Key.COMMUNITY_DELETED:
        changes = tuple(FieldChange(c.field, c.new, None) for c in community_changes(None, after))
    else:
        changes = community_changes(before, after)
    return [on_dataset(catalog, actor, key, dataset, now, changes, community_resource_id=after.id)]


def record(conn: Connection, activities: Iterable[Activity]) -> None:
    """In the transaction of the change they describe: both are committed, or neither."""
    db_history.insert(conn, list(activities))


def assemble(conn: Connection, items: Sequence[Activity]) -> list[ActivityView]:
    """Four queries whatever the number of items: actors, organizations, datasets."""
    users = db_accounts.fetch_users(conn, {a.actor_id for a in items if a.actor_id})
    datasets = db_datasets.fetch_by_ids(
        conn, {a.related_to_id for a in items if a.related_to_kind == DATASET}
    )
    organizations = db_accounts.fetch_organizations(
        conn,
        {a.organization_id for a in items if a.organization_id}
        | {a.related_to_id for a in items if a.related_to_kind == ORGANIZATION},
    )
    return [
        ActivityView(
            a,
            users.get(a.actor_id or ""),
            organizations.get(a.organization_id or ""),
            datasets.get(a.related_to_id) if a.related_to_kind == DATASET else None,
            organizations.get(a.related_to_id) if a.related_to_kind == ORGANIZATION else None,
        )
        for a in items
    ]


# The history's fields whose values are ids of users or organizations.
_USER_FIELDS = frozenset({"owner", "owner_id"})
_ORGANIZATION_FIELDS = frozenset({"organization", "organization_id"})


def account_names(catalog: Catalog, items: Sequence[ActivityView]) -> dict[str, str]:
    """The names of the users and organizations the changes of ``items`` name by id (an owner or
    an organization changed): what the dataset page's history says instead of their ids."""
    users: set[str] = set()
    organizations: set[str] = set()
    contacts: set[str] = set()
    for item in items:
        for change in item.activity.changes:
            for value in (change.old, change.new):
                if isinstance(value, str) and change.field in _USER_FIELDS:
                    users.add(value)
                elif isinstance(value, str) and change.field in _ORGANIZATION_FIELDS:
                    organizations.add(value)
                elif isinstance(value, list) and change.field == "contact_points":
                    contacts.update(entry for entry in value if isinstance(entry, str))
    if not users and not organizations and not contacts:
        return {}
    with catalog.db.read() as conn:
        people = db_accounts.fetch_users(conn, users)
        bodies = db_accounts.fetch_organizations(conn, organizations)
        points = db_accounts.fetch_contact_points(conn, sorted(contacts)) if contacts else {}
    names = {ident: f"{user.first_name} {user.last_name}".strip() for ident, user in people.items()}
    names.update({ident: organization.name for ident, organization in bodies.items()})
    names.update({ident: point.name or point.email or ident for ident, point in points.items()})
    return names


def zone_ids_named(items: Sequence[ActivityView]) -> set[str]:
    """The zones the coverages of ``items``' changes name: what the history says by name."""
    found: set[str] = set()
    for item in items:
        for change in item.activity.changes:
            for value in (change.old, change.new):
                if isinstance(value, dict) and isinstance(value.get("zones"), list):
                    found.update(zone for zone in value["zones"] if isinstance(zone, str))
    return found


def list_activity(catalog: Catalog, actor: Actor, query: ActivityQuery) -> Page[ActivityView]:
    """Newest first; a private dataset's history only for those who may see the dataset."""
    if query.related_to is not None and not ids.is_object_id(query.related_to):
        raise BadRequest(Reason.RELATED_TO_NOT_AN_ID)
    with catalog.db.read() as conn:
        items, total = db_history.fetch_page(conn, query, visibility_of(actor))
        if not items and query.page > 1:
            raise NotFound()
        return Page(assemble(conn, items), total, query.page, query.page_size)
