"""The history of changes: who changed what and when, field by field (udata: udata/core/activity/).

Each write of a use case records its activities in its own transaction, so that a change and its
history are committed, or refused, together. Values are kept as JSON values (dates as ISO 8601
strings), old and new, so that the history can show a change without the object it changed.
"""

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from opencat.domain.accounts import Organization
from opencat.domain.community import CommunityResource
from opencat.domain.datasets import Dataset, Resource


class Key(StrEnum):
    """What happened; udata's keys where udata has one (udata: udata/core/dataset/activities.py,
    udata/core/organization/activities.py), ours in the same shape otherwise."""

    DATASET_CREATED = "dataset:created"
    DATASET_UPDATED = "dataset:updated"
    DATASET_DELETED = "dataset:deleted"
    RESOURCE_ADDED = "dataset:resource:added"
    RESOURCE_UPDATED = "dataset:resource:updated"
    RESOURCE_DELETED = "dataset:resource:deleted"
    RESOURCES_REORDERED = "dataset:resources:reordered"
    COMMUNITY_ADDED = "dataset:community_resource:added"
    COMMUNITY_UPDATED = "dataset:community_resource:updated"
    COMMUNITY_DELETED = "dataset:community_resource:deleted"
    ORGANIZATION_CREATED = "organization:created"
    ORGANIZATION_UPDATED = "organization:updated"


DATASET = "Dataset"
ORGANIZATION = "Organization"

# What the server keeps for itself or counts: never a change someone made.
_UNAUDITED_DATASET = frozenset(
    {
        "last_modified_internal",
        "revision",
        "metrics",
        "resources_downloads",
        "followers",
        "followers_by_months",
        "stored_last_update",
    }
)
_UNAUDITED_RESOURCE = frozenset(
    {"last_modified_internal", "created_at_internal", "metrics", "downloads", "fs_filename"}
)
DATASET_FIELDS = tuple(f.name for f in dataclasses.fields(Dataset) if f.name not in _UNAUDITED_DATASET)
RESOURCE_FIELDS = tuple(f.name for f in dataclasses.fields(Resource) if f.name not in _UNAUDITED_RESOURCE)
ORGANIZATION_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(Organization)
    if f.name not in {"created_at", "last_modified", "metrics"}
)


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Activity:
    id: str
    key: Key
    created_at: datetime
    actor_id: str | None  # None: the command line
    related_to_kind: str  # DATASET or ORGANIZATION
    related_to_id: str
    related_to_name: str  # its title or name when it happened
    organization_id: str | None = None
    changes: tuple[FieldChange, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def changed_fields(self) -> list[str]:
        return [change.field for change in self.changes]


def jsonable(value: Any) -> Any:
    """A domain value as JSON: dates in ISO 8601, dataclasses as objects, tuples as lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, StrEnum):
        return str(value)
    return value


# Fields kept under another name than the API's: the history says the API's (udata's) name.
_API_NAMES = {"owner_id": "owner", "organization_id": "organization", "contact_point_ids": "contact_points"}


def diff(before: object, after: object, fields: Iterable[str]) -> tuple[FieldChange, ...]:
    """The fields whose value differs, in the order given, with their old and new values."""
    changes = []
    for name in fields:
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            continue  # equal values make equal JSON: skip encoding them (most fields, most times)
        old, new = jsonable(old), jsonable(new)
        if old != new:
            if name == "extras":
                old, new = _narrowed(old, new)
            changes.append(FieldChange(_API_NAMES.get(name, name), old, new))
    return tuple(changes)


def _narrowed(old: Any, new: Any) -> tuple[Any, Any]:
    """Two states of extras as the keys that changed: a key removed is ``None`` in ``new``, one
    added ``None`` in ``old``. Whole, each change of one key of a megabyte of extras kept two
    megabytes of history, and every page of the history held them."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return old, new
    keys = [key for key in {**old, **new} if old.get(key, _ABSENT) != new.get(key, _ABSENT)]
    return {key: old.get(key) for key in keys}, {key: new.get(key) for key in keys}


_ABSENT = object()


def dataset_diff(before: Dataset, after: Dataset) -> tuple[FieldChange, ...]:
    return diff(before, after, DATASET_FIELDS)


def resource_diff(before: Resource, after: Resource) -> tuple[FieldChange, ...]:
    return diff(before, after, RESOURCE_FIELDS)


def created(value: object, fields: Sequence[str]) -> tuple[FieldChange, ...]:
    """A new object's fields that hold something, as changes from nothing."""
    return tuple(
        FieldChange(_API_NAMES.get(name, name), None, jsonable(getattr(value, name)))
        for name in fields
        if getattr(value, name) not in (None, "", (), {}, [])
    )


@dataclass(frozen=True, slots=True)
class ResourceListChanges:
    """How a dataset's resource list moved: resources added, changed, removed, and the new order."""

    added: tuple[Resource, ...]
    changed: tuple[tuple[Resource, tuple[FieldChange, ...]], ...]
    removed: tuple[Resource, ...]
    order: tuple[list[str], list[str]] | None  # (old, new) ids of the kept resources, when moved


def resource_list_changes(before: Sequence[Resource], after: Sequence[Resource]) -> ResourceListChanges:
    old = {resource.id: resource for resource in before}
    new_ids = {resource.id for resource in after}
    added = tuple(resource for resource in after if resource.id not in old)
    removed = tuple(resource for resource in before if resource.id not in new_ids)
    changed = tuple(
        (resource, found)
        for resource in after
        if resource.id in old
        and old[resource.id] is not resource
        and (found := resource_diff(old[resource.id], resource))
    )
    kept_before = [resource.id for resource in before if resource.id in new_ids]
    kept_after = [resource.id for resource in after if resource.id in old]
    order = (kept_before, kept_after) if kept_before != kept_after else None
    return ResourceListChanges(added, changed, removed, order)


def community_changes(before: CommunityResource | None, after: CommunityResource) -> tuple[FieldChange, ...]:
    """A community resource's resource fields, and who publishes it."""
    owners = ("owner_id", "organization_id")
    if before is None:
        return (*created(after.resource, RESOURCE_FIELDS), *created(after, owners))
    return (*resource_diff(before.resource, after.resource), *diff(before, after, owners))
