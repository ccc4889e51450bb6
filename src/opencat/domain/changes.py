"""What a client asks to change, as typed values: the API parses a body into one of these, the
use cases apply it. A field the client did not send is ``UNSET`` (PUT keeps what is stored, udata: udata/core/dataset/forms.py
of the behaviour notes, see docs/compatibility.md), which is not the same as a sent ``null``."""

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import Any, Generic, Literal, TypeAlias, TypeVar, Union, cast

from opencat.domain.datasets import Checksum, JSONObject, Spatial, SpatialChange, TemporalCoverage
from opencat.domain.errors import CatalogError

T = TypeVar("T")


class Unset(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset.UNSET
Sent: TypeAlias = Union[T, Literal[Unset.UNSET]]  # noqa: UP007 - a generic alias needs Union here


def sent_fields(changes: Any, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of a change object the client sent, by name (the domain's own field names)."""
    return {
        item.name: getattr(changes, item.name)
        for item in fields(changes)
        if item.name not in leave_out and getattr(changes, item.name) is not UNSET
    }


def value_or(sent: "Sent[T]", default: T) -> T:
    return default if sent is UNSET else sent


@dataclass(frozen=True, slots=True)
class ResourceChanges:
    """A resource's fields as sent. ``id``, in a dataset's list or a reorder, names the resource
    the entry updates; resource endpoints never take it."""

    id: Sent[str] = UNSET
    title: Sent[str | None] = UNSET
    description: Sent[str | None] = UNSET
    filetype: Sent[str | None] = UNSET
    type: Sent[str | None] = UNSET
    url: Sent[str | None] = UNSET
    format: Sent[str | None] = UNSET
    mime: Sent[str | None] = UNSET
    filesize: Sent[int | None] = UNSET
    checksum: Sent[Checksum | None] = UNSET
    extras: Sent[JSONObject] = UNSET
    schema: Sent[JSONObject | None] = UNSET

    def fields(self) -> dict[str, Any]:
        """What to set on the resource (every sent field but the id)."""
        return sent_fields(self, leave_out=("id",))


@dataclass(frozen=True, slots=True)
class DatasetChanges:
    """A dataset's writable fields as sent (POST creates with them, PUT and PATCH apply them)."""

    title: Sent[str] = UNSET
    description: Sent[str] = UNSET
    acronym: Sent[str | None] = UNSET
    description_short: Sent[str | None] = UNSET
    license: Sent[str | None] = UNSET
    frequency: Sent[str | None] = UNSET
    frequency_date: Sent[datetime | None] = UNSET
    temporal_coverage: Sent[TemporalCoverage | None] = UNSET
    spatial: Sent[Spatial | SpatialChange] = UNSET  # a change is made whole by the use case
    tags: Sent[tuple[str, ...]] = UNSET
    private: Sent[bool] = UNSET
    extras: Sent[JSONObject] = UNSET
    contact_point_ids: Sent[tuple[str, ...]] = UNSET
    access_type: Sent[str] = UNSET
    access_audiences: Sent[tuple[JSONObject, ...]] = UNSET
    authorization_request_url: Sent[str | None] = UNSET
    access_type_reason_category: Sent[str | None] = UNSET
    access_type_reason: Sent[str | None] = UNSET
    deleted: Sent[datetime | None] = UNSET
    archived: Sent[datetime | None] = UNSET
    # Who owns it, and its resources: decided by the use case, not set as they are.
    owner: Sent[str | None] = UNSET
    organization: Sent[str | None] = UNSET
    resources: Sent[tuple[ResourceChanges, ...]] = UNSET

    def dataset_fields(self) -> dict[str, Any]:
        """The sent fields that are the dataset's own, under its attribute names."""
        return sent_fields(self, leave_out=("owner", "organization", "resources"))


@dataclass(frozen=True, slots=True)
class CommunityChanges:
    """A community resource as sent: its resource fields, the dataset it is proposed on, the
    organization it is published as and its owner (the caller's own id, or any user's for a
    sysadmin)."""

    resource: ResourceChanges
    dataset: Sent[str | None] = UNSET
    organization: Sent[str | None] = UNSET
    owner: Sent[str | None] = UNSET


class Submitted(Generic[T]):
    """A request body parsed before the use case runs. Its refusal is raised only when the use
    case asks for the value, after its own checks: udata answers 401, 404, 410 and 403 before
    any 400 about the body."""

    def __init__(self, value: T | None, refusal: CatalogError | None) -> None:
        self._value = value
        self._refusal = refusal

    @classmethod
    def parse(cls, parser: Callable[[], T]) -> "Submitted[T]":
        try:
            return cls(parser(), None)
        except CatalogError as refusal:
            return cls(None, refusal)

    @classmethod
    def of(cls, value: T) -> "Submitted[T]":
        return cls(value, None)

    def value(self) -> T:
        if self._refusal is not None:
            raise self._refusal
        return cast(T, self._value)  # a body may be JSON's null


@dataclass(frozen=True, slots=True)
class Reorder:
    """A new order of a dataset's resources, each entry naming one (``None``: an object sent
    without an ``id``), with the field updates the objects carried, by resource id."""

    ids: tuple[str | None, ...]
    changes: Submitted[dict[str, ResourceChanges]]
