"""udata's documents (its fixture file, API v1 dataset documents) turned into domain objects.

Pure: no file and no database. The shapes differ from the documents we store (``db/codec.py``):
udata's dates sit under ``internal`` or carry its public names, owners, organizations and contact
points are embedded objects, frequencies may be legacy aliases, and anything may be missing. The
sub-documents whose shape is the same in both (temporal coverage, spatial coverage) are decoded by
``db/codec.py``'s own functions.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opencat.db.codec import coverage_from_doc, spatial_from_doc
from opencat.domain.accounts import ContactPoint, Organization, User
from opencat.domain.datasets import (
    CHECKSUM_TYPES,
    FILETYPES,
    RESOURCE_TYPES,
    Badge,
    Checksum,
    Dataset,
    Resource,
    Spatial,
    TemporalCoverage,
    fitting_format,
)
from opencat.domain.dates import parse_datetime, truncate_ms
from opencat.domain.errors import Invalid
from opencat.domain.frequencies import normalize_frequency
from opencat.domain.numerals import whole_number
from opencat.domain.references import NOT_SPECIFIED
from opencat.domain.slugs import kept_tags, slugify


@dataclass(frozen=True, slots=True)
class Entry:
    """One dataset document with what it embeds or comes with."""

    dataset: dict[str, Any]
    resources: list[dict[str, Any]]
    organization: dict[str, Any] | None
    # A row of a CSV export: a summary (no resources, tags or real dates), which never replaces a
    # dataset already here with files (loaded after the documents, it wiped their resources).
    summary: bool = False
    # The community resources proposed on it (udata's fixtures list them beside the dataset).
    community: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Membership:
    user: dict[str, Any]  # a user reference, as udata embeds it
    role: str
    since: datetime


def _when(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    return truncate_ms(parse_datetime(value))  # stored to the millisecond, as udata's MongoDB does


def _required_when(*values: Any) -> datetime:
    for value in values:
        parsed = value if isinstance(value, datetime) else _when(value)  # a fallback already read
        if parsed is not None:
            return parsed
    raise Invalid({"dates": ["A dataset document without any date cannot be imported"]})


def _frequency(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return normalize_frequency(value)
    except ValueError:
        return None


def _coverage(value: Any) -> TemporalCoverage | None:
    if not isinstance(value, dict) or not value.get("start"):
        return None
    return coverage_from_doc({"start": value["start"], "end": value.get("end") or None})


def _spatial(value: Any) -> Spatial | None:
    return spatial_from_doc(value) if isinstance(value, dict) else None


def _checksum(value: Any) -> Checksum | None:
    """udata's checksum, whose type defaults to SHA-1; one without a value is no checksum."""
    if not isinstance(value, dict) or not value.get("value"):
        return None
    kind = value.get("type") or "sha1"
    # A type udata's API refuses would make the resource's document refused when written back.
    return Checksum(kind, value["value"]) if kind in CHECKSUM_TYPES else None


def _choice(value: Any, choices: tuple[str, ...], otherwise: str) -> str:
    return value if value in choices else otherwise


def resource_from_udata(doc: dict[str, Any]) -> Resource:
    internal = doc.get("internal") or {}
    created = _required_when(internal.get("created_at_internal"), doc.get("created_at"))
    return Resource(
        id=doc["id"],
        title=doc.get("title") or "",
        url=doc.get("url") or "",
        created_at_internal=created,
        last_modified_internal=_required_when(
            internal.get("last_modified_internal"), doc.get("last_modified"), created
        ),
        # Values udata's API refuses fall back as its harvesters do (a link, an "other" file).
        filetype=_choice(doc.get("filetype") or "remote", FILETYPES, "remote"),
        type=_choice(doc.get("type") or "main", RESOURCE_TYPES, "other"),
        description=doc.get("description"),
        format=fitting_format(doc.get("format")),
        checksum=_checksum(doc.get("checksum")),
        filesize=whole_number(doc.get("filesize")),
        mime=doc.get("mime"),
        extras=doc.get("extras") or {},
        harvest=doc.get("harvest"),
        schema=doc.get("schema"),
        metrics=doc.get("metrics") or {},
        preview_url=doc.get("preview_url"),
    )


def community_resource_from_udata(doc: dict[str, Any]) -> Resource:
    """A community resource's file or link; udata's fixtures give its dates at the top level
    (``created_at_internal``), the API inside ``internal`` or as ``created_at``."""
    internal = {
        "created_at_internal": doc.get("created_at_internal"),
        "last_modified_internal": doc.get("last_modified_internal"),
        **(doc.get("internal") or {}),
    }
    return resource_from_udata({**doc, "internal": internal})


def _stored_license(doc: dict[str, Any]) -> Any:
    """The license the document's dataset stored: udata answers ``notspecified`` for none too,
    and its quality says which (``quality.license`` is false without one): an unset license read
    as set gave the dataset a quality criterion it does not meet."""
    license = doc.get("license")
    quality = doc.get("quality")
    if license == NOT_SPECIFIED and isinstance(quality, dict) and quality.get("license") is False:
        return None
    return license


def dataset_from_udata(
    doc: dict[str, Any], owner_id: str | None, org_id: str | None, contacts: tuple[str, ...]
) -> Dataset:
    """The dataset of a udata document, once its owner, organization and contact points are known
    by id; its slug is the document's, which the caller makes unique."""
    internal = doc.get("internal") or {}
    created = _required_when(
        internal.get("created_at_internal"), doc.get("created_at_internal"), doc.get("created_at")
    )
    return Dataset(
        id=doc["id"],
        slug=doc.get("slug") or slugify(doc.get("title") or "") or doc["id"],
        title=doc.get("title") or "",
        description=doc.get("description") or "",
        created_at_internal=created,
        last_modified_internal=_required_when(
            internal.get("last_modified_internal"),
            doc.get("last_modified_internal"),
            doc.get("last_modified"),
            created,
        ),
        acronym=doc.get("acronym"),
        description_short=doc.get("description_short"),
        license=_stored_license(doc),
        frequency=_frequency(doc.get("frequency")),
        frequency_date=_when(doc.get("frequency_date")),
        temporal_coverage=_coverage(doc.get("temporal_coverage")),
        spatial=_spatial(doc.get("spatial")),
        tags=kept_tags(doc.get("tags") or ()),
        private=bool(doc.get("private")),
        featured=bool(doc.get("featured")),
        deleted=_when(doc.get("deleted")),
        archived=_when(doc.get("archived")),
        extras=doc.get("extras") or {},
        harvest=doc.get("harvest"),
        metrics=doc.get("metrics") or {},
        badges=tuple(Badge(badge["kind"]) for badge in doc.get("badges") or () if "kind" in badge),
        owner_id=owner_id,
        organization_id=org_id,
        contact_point_ids=contacts,
        access_type=doc.get("access_type") or "open",
        access_audiences=tuple(doc.get("access_audiences") or ()),
        authorization_request_url=doc.get("authorization_request_url"),
        access_type_reason_category=doc.get("access_type_reason_category"),
        access_type_reason=doc.get("access_type_reason"),
        schema=doc.get("schema"),
        doi=doc.get("doi"),
    )


def user_from_udata(ref: dict[str, Any], now: datetime) -> User:
    """A user known only by udata's reference to it: no email of its own, no API key; its slug is
    the reference's, which the caller makes unique."""
    user_id = str(ref["id"])
    full_name = f"{ref.get('first_name', '')} {ref.get('last_name', '')}"
    return User(
        id=user_id,
        email=f"{user_id}@imported.invalid",
        first_name=ref.get("first_name") or "",
        last_name=ref.get("last_name") or "",
        slug=ref.get("slug") or slugify(full_name) or user_id,
        created_at=_when(ref.get("since")) or now,
        avatar=ref.get("avatar"),
        avatar_thumbnail=ref.get("avatar_thumbnail"),
    )


def organization_from_udata(doc: dict[str, Any], now: datetime) -> Organization:
    """An organization from its reference or full document; its slug is the document's, which the
    caller makes unique."""
    org_id = str(doc["id"])
    return Organization(
        id=org_id,
        name=doc.get("name") or org_id,
        slug=doc.get("slug") or slugify(doc.get("name") or "") or org_id,
        created_at=_when(doc.get("created_at")) or now,
        last_modified=_when(doc.get("last_modified")) or now,
        acronym=doc.get("acronym"),
        description=doc.get("description") or "",
        url=doc.get("url"),
        logo=doc.get("logo"),
        logo_thumbnail=doc.get("logo_thumbnail"),
        business_number_id=doc.get("business_number_id"),
        badges=tuple(b["kind"] for b in doc.get("badges") or () if "kind" in b),
        extras=doc.get("extras") or {},
        metrics=doc.get("metrics") or {},
    )


def memberships(doc: dict[str, Any], now: datetime) -> Iterator[Membership]:
    """The members a full organization document lists (a reference lists none)."""
    for member in doc.get("members") or ():
        if isinstance(member.get("user"), dict) and member.get("role"):
            yield Membership(member["user"], member["role"], _when(member.get("since")) or now)


def contact_points_from_udata(
    items: Iterable[Any], owner_id: str | None, org_id: str | None
) -> list[ContactPoint]:
    """The embedded contact points that have an id; each belongs to the organization, if any, else
    to the owner."""
    return [
        ContactPoint(
            item["id"],
            item.get("name"),
            item.get("email"),
            item.get("contact_form"),
            item.get("role") or "contact",
            owner_id if org_id is None else None,
            org_id,
        )
        for item in items
        if isinstance(item, dict) and "id" in item
    ]
