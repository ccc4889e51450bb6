"""Domain objects to udata's v1 JSON shapes (udata: udata/core/dataset/api_fields.py)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from opencat.catalog.community import CommunityView
from opencat.catalog.history import ActivityView
from opencat.catalog.views import DatasetView
from opencat.domain import permissions
from opencat.domain.accounts import Actor, ContactPoint, Member, Organization, User
from opencat.domain.community import can_edit_community
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.dates import iso, iso_date, parse_datetime, truncate_ms
from opencat.domain.frequencies import UNKNOWN
from opencat.domain.history import Key
from opencat.domain.months import stock_as_of
from opencat.domain.quality import quality
from opencat.domain.references import NOT_SPECIFIED, Frequency, License
from opencat.domain.spatial import Zone
from opencat.domain.urls import Urls

# Every field of a Dataset; the default mask drops ``community_resources`` (udata's DEFAULT_MASK).
DATASET_FIELDS = (
    "access_audiences", "access_type", "access_type_reason", "access_type_reason_category",
    "acronym", "archived", "authorization_request_url", "badges", "community_resources",
    "contact_points", "created_at", "deleted", "description", "description_short", "doi",
    "extras", "featured", "frequency", "frequency_date", "geopf", "harvest", "id", "internal",
    "last_modified", "last_update", "license", "metrics", "organization", "owner", "page",
    "permissions", "private", "quality", "resources", "schema", "slug", "spatial", "tags",
    "temporal_coverage", "title", "uri",
)  # fmt: skip
DATASET_DEFAULT_FIELDS = tuple(name for name in DATASET_FIELDS if name != "community_resources")
METRIC_KEYS = (
    "discussions", "discussions_open", "reuses", "reuses_by_months", "dataservices",
    "followers", "followers_by_months", "views", "resources_downloads",
)  # fmt: skip


# udata's harvest models (udata/core/dataset/api_fields.py), in their order, and which of their keys are dates.
DATASET_HARVEST_KEYS = (
    "backend", "created_at", "issued_at", "modified_at", "source_id", "remote_id", "domain",
    "last_update", "remote_url", "uri", "dct_identifier", "archived_at", "archived",
)  # fmt: skip
# The behaviour notes' four and the model's ``created_at`` (2022's documents hold it).
RESOURCE_HARVEST_KEYS = ("created_at", "issued_at", "modified_at", "last_update", "uri")
_HARVEST_DATES = frozenset({"created_at", "issued_at", "modified_at", "last_update", "archived_at"})


def harvest(values: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any] | None:
    """udata's harvest metadata: its model's keys only, the non-null ones, dates in UTC with
    ``+00:00``. Documents loaded from elsewhere (a 2022 export's ``ods_*`` keys, naive dates) are
    stored as they came; the answer is udata's shape whatever was stored."""
    if values is None:
        return None
    shaped = {}
    for key in keys:
        value = values.get(key)
        if value is not None and key in _HARVEST_DATES:
            value = _utc_text(value)
        if value is not None:
            shaped[key] = value
    return shaped


def _utc_text(value: Any) -> str | None:
    """A stored date as udata writes it; None (left out) for what is no date."""
    if not isinstance(value, str):
        return None
    if value.endswith("+00:00"):
        return value  # what opencat itself stores: no parsing on the read path
    try:
        return iso(truncate_ms(parse_datetime(value)))
    except ValueError:
        return None


def schema(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """udata's ``Schema`` model: its three keys, in its order, null when absent (an imported ``{}``
    is an empty model: three nulls)."""
    if not isinstance(value, dict):
        return None
    return {"name": value.get("name"), "version": value.get("version"), "url": value.get("url")}


def geometry(geom: dict[str, Any] | None) -> dict[str, Any] | None:
    """udata's ``geojson`` model: the type and the coordinates (a ``bbox`` or ``crs`` sent is not echoed)."""
    if not isinstance(geom, dict):
        return None
    return {"type": geom.get("type"), "coordinates": geom.get("coordinates")}


def _with_downloads(values: dict[str, Any], key: str, downloads: int) -> dict[str, Any]:
    """Permalink hits add to the imported count (udata's metrics jobs count downloads there)."""
    if not downloads:
        return values
    return {**values, key: int(values.get(key) or 0) + downloads}


def resource(item: Resource, urls: Urls, now: datetime) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "filetype": item.filetype,
        "type": item.type,
        "format": item.format,
        "url": item.url,
        "latest": urls.resource_latest(item.id),
        "checksum": None
        if item.checksum is None
        else {"type": item.checksum.type, "value": item.checksum.value},
        "filesize": item.filesize,
        "mime": item.mime,
        "created_at": iso(item.created_at),
        "last_modified": iso(item.last_modified(now)),
        "metrics": _with_downloads(item.metrics, "views", item.downloads),
        "harvest": harvest(item.harvest, RESOURCE_HARVEST_KEYS),
        "geopf": None,
        "extras": item.extras,
        "preview_url": item.preview_url,
        "schema": schema(item.schema),
        "internal": {
            "created_at_internal": iso(item.created_at_internal),
            "last_modified_internal": iso(item.last_modified_internal),
        },
    }  # udata's field order, which API v2 keeps (udata-responses calls 102, 103)


def organization_reference(org: Organization, actor: Actor, urls: Urls) -> dict[str, Any]:
    # udata's field order, which API v2 keeps (udata-responses call 101).
    return {
        "badges": [{"kind": kind} for kind in org.badges],
        "name": org.name,
        "acronym": org.acronym,
        "slug": org.slug,
        "logo": org.logo,
        "logo_thumbnail": org.logo_thumbnail,
        "page": urls.organization_page(org.slug),
        "permissions": permissions.organization_permissions(actor, org.id),
        "uri": urls.organization_uri(org.slug),
        "id": org.id,
        "class": "Organization",
    }


def user_reference(user: User, urls: Urls) -> dict[str, Any]:
    return {
        "id": user.id,
        "class": "User",
        "slug": user.slug,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "avatar": user.avatar,
        "avatar_thumbnail": user.avatar_thumbnail,
        "deleted": iso(user.deleted),
        "uri": urls.user_uri(user.slug),
        "page": urls.user_page(user.slug),
    }


def contact_point(
    item: ContactPoint, organization: Organization | None, owner: User | None, actor: Actor, urls: Urls
) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "email": item.email,
        "contact_form": item.contact_form,
        "role": item.role,
        "organization": organization_reference(organization, actor, urls)
        if organization is not None and item.organization_id == organization.id
        else None,
        "owner": user_reference(owner, urls) if owner is not None and item.owner_id == owner.id else None,
    }


def metrics(values: dict[str, Any]) -> dict[str, Any]:
    """Exactly udata's nine keys, 0 when unknown (udata: udata/core/dataset/models.py, ``get_metrics``):
    another key an imported document stored is not answered."""
    return {key: values.get(key) or 0 for key in METRIC_KEYS}


def _spatial(
    dataset: Dataset, zones: Mapping[str, Zone] | None, granularities: Mapping[str, str] | None
) -> dict[str, Any] | None:
    spatial = dataset.spatial
    if spatial is None:
        return None
    granularity = spatial.granularity or "other"
    if zones is None:
        return {"geom": geometry(spatial.geom), "zones": list(spatial.zones), "granularity": granularity}
    # X-Get-Datasets-Full-Objects: udata's GeoZone and GeoGranularity (udata/core/spatial/api_fields.py);
    # a zone missing from the referential keeps its id, everything else null.
    return {
        "geom": geometry(spatial.geom),
        "zones": [
            {"id": zone_id, "name": None, "slug": None, "code": None, "level": None, "uri": None}
            if (zone := zones.get(zone_id)) is None
            else {
                "id": zone.id,
                "name": zone.name,
                "slug": zone.slug,
                "code": zone.code,
                "level": zone.level,
                "uri": zone.uri,
            }
            for zone_id in spatial.zones
        ],
        "granularity": {"id": granularity, "name": (granularities or {}).get(granularity, "other")},
    }


def _coverage(dataset: Dataset) -> dict[str, Any] | None:
    coverage = dataset.temporal_coverage
    if coverage is None:
        return None
    return {"start": iso_date(coverage.start), "end": iso_date(coverage.end)}


def _ownership(view: DatasetView, actor: Actor, urls: Urls) -> dict[str, Any]:
    return {
        "organization": None
        if view.organization is None
        else organization_reference(view.organization, actor, urls),
        "owner": None if view.owner is None else user_reference(view.owner, urls),
        "contact_points": [
            contact_point(item, view.organization, view.owner, actor, urls) for item in view.contact_points
        ],
    }


def dataset_reference(item: Dataset, urls: Urls) -> dict[str, Any]:
    return {
        "id": item.id,
        "class": "Dataset",
        "title": item.title,
        "acronym": item.acronym,
        "uri": urls.dataset_uri(item.slug),
        "page": urls.dataset_page(item.slug),
    }


def _hidden_dataset_reference(item: Dataset, urls: Urls) -> dict[str, Any]:
    """A dataset the caller may not read, named by its id alone: a proposal's author keeps
    their resource when the dataset turns private, not the titles and slugs it takes since."""
    return {
        "id": item.id,
        "class": "Dataset",
        "title": None,
        "acronym": None,
        "uri": urls.dataset_uri(item.id),
        "page": urls.dataset_page(item.id),
    }


def community_resource(view: CommunityView, actor: Actor, urls: Urls, now: datetime) -> dict[str, Any]:
    editable = can_edit_community(actor, view.item)
    dataset = view.dataset
    return {
        **resource(view.item.resource, urls, now),
        "dataset": None
        if dataset is None
        else dataset_reference(dataset, urls)
        if permissions.can_read(actor, dataset)
        else _hidden_dataset_reference(dataset, urls),
        "organization": None
        if view.organization is None
        else organization_reference(view.organization, actor, urls),
        "owner": None if view.owner is None else user_reference(view.owner, urls),
        "permissions": {"delete": editable, "edit": editable},
    }


def dataset(
    view: DatasetView,
    actor: Actor,
    urls: Urls,
    now: datetime,
    zones: Mapping[str, Zone] | None = None,
    granularities: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    d = view.dataset
    last_update = view.last_update(now)
    editable = permissions.can_edit(actor, d)
    return {
        "id": d.id,
        "title": d.title,
        "acronym": d.acronym,
        "slug": d.slug,
        "description": d.description,
        "description_short": d.description_short,
        "created_at": iso(d.created_at),
        "last_modified": iso(d.last_modified),
        "last_update": iso(truncate_ms(last_update)),  # stored to the millisecond, as MongoDB keeps it
        "deleted": iso(d.deleted),
        "archived": iso(d.archived),
        "featured": d.featured,
        "private": d.private,
        "tags": list(d.tags),
        "badges": [{"kind": badge.kind} for badge in d.badges],
        "resources": [resource(item, urls, now) for item in view.resources],
        "community_resources": [
            community_resource(item, actor, urls, now) for item in view.community_resources
        ],
        "frequency": d.frequency or UNKNOWN,
        "frequency_date": iso(d.frequency_date),
        "extras": d.extras,
        "harvest": harvest(d.harvest, DATASET_HARVEST_KEYS),
        "metrics": metrics(
            {
                **_with_downloads(d.metrics, "resources_downloads", d.resources_downloads),
                "followers": d.followers,
                # udata's quirk: 0 until the first follow event, then a 13-month object.
                "followers_by_months": 0
                if d.followers_by_months is None
                else stock_as_of(d.followers_by_months, now),
            }
        ),
        **_ownership(view, actor, urls),
        "temporal_coverage": _coverage(d),
        "spatial": _spatial(d, zones, granularities),
        "license": d.license or NOT_SPECIFIED,
        "access_type": d.access_type,
        "access_audiences": list(d.access_audiences),
        "authorization_request_url": d.authorization_request_url,
        "access_type_reason_category": d.access_type_reason_category,
        "access_type_reason": d.access_type_reason,
        "uri": urls.dataset_uri(d.slug),
        "page": urls.dataset_page(d.slug),
        "quality": quality(d, view.resources, last_update, now),
        "schema": schema(d.schema),
        "internal": {
            "created_at_internal": iso(d.created_at_internal),
            "last_modified_internal": iso(d.last_modified_internal),
        },
        "permissions": {"delete": editable, "edit": editable, "edit_resources": editable},
        "doi": d.doi,
        "geopf": None,
    }


def license_item(item: License) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "maintainer": item.maintainer,
        "url": item.url,
        "flags": list(item.flags),
        "alternate_urls": list(item.alternate_urls),
        "alternate_titles": list(item.alternate_titles),
    }


def frequency_item(item: Frequency, language: str) -> dict[str, Any]:
    return {"id": item.id, "label": item.label(language)}


def _self_or_sysadmin(actor: Actor, item: User) -> bool:
    return actor.is_sysadmin or (actor.user is not None and actor.user.id == item.id)


def user(
    item: User,
    urls: Urls,
    organizations: Sequence[Organization],
    actor: Actor,
    *,
    with_email: bool,
    counted: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``counted``: the user's metrics counted now (``accounts.user_metrics``), else as stored."""
    # udata's read model of a user carries no ``class`` (its references do).
    reference = {key: value for key, value in user_reference(item, urls).items() if key != "class"}
    return {
        **reference,
        "about": item.about,
        "website": item.website,
        "email": item.email if with_email else None,
        "active": item.active,
        "since": iso(item.created_at),
        # udata: the caller's own, or any to a sysadmin; nobody else learns when one signed in.
        "last_login_at": iso(item.last_login_at) if _self_or_sysadmin(actor, item) else None,
        "roles": ["admin"] if item.sysadmin else [],
        "metrics": item.metrics if counted is None else counted,
        "organizations": [organization_reference(org, actor, urls) for org in organizations],
        # udata 17's password rotation (a sysadmin demands a new password): none here.
        "password_rotation_demanded": None,
        "password_rotation_performed": None,
    }


# udata's ORG_ROLES (udata/core/organization/constants.py), a member's ``label``.
MEMBER_LABELS = {"admin": "Administrator", "editor": "Editor", "partial_editor": "Partial Editor"}


def member(item: Member, urls: Urls) -> dict[str, Any]:
    return {
        "role": item.role,
        "label": MEMBER_LABELS.get(item.role, item.role),
        "since": iso(item.since),
        "user": {**user_reference(item.user, urls), "email": None},
    }


def organization(
    item: Organization, members: Sequence[Member], datasets: int, actor: Actor, urls: Urls
) -> dict[str, Any]:
    counts = {"followers": 0, "reuses": 0, "views": 0, "dataservices": 0, **item.metrics}
    # udata's read model of an organization carries no ``class`` (its references do).
    reference = {
        key: value for key, value in organization_reference(item, actor, urls).items() if key != "class"
    }
    return {
        **reference,
        "description": item.description,
        "url": item.url,
        "business_number_id": item.business_number_id,
        "created_at": iso(item.created_at),
        "last_modified": iso(item.last_modified),
        "deleted": iso(item.deleted),
        "extras": item.extras,
        "metrics": {**counts, "datasets": datasets, "members": len(members)},
        "members": [member(m, urls) for m in members],
        # udata 17's keys of what opencat does not keep (an image link, teams, extensions, a
        # zone, the page's presentation blocks), empty as udata's defaults: clients read them.
        "image_url": None,
        "teams": [],
        "ext": {},
        "zone": None,
        "presentation_blocs": [],  # out of udata's default mask (api/accounts.py): asked by X-Fields
        "presentation_blocs_published_at": None,
        "banner_color": None,
        "banner_image": None,
        "banner_image_position": None,
    }


# udata's labels and icons (udata/core/*/activities.py); ours follow them.
ACTIVITY_LABELS = {
    Key.DATASET_CREATED: ("created a dataset", "fa fa-plus"),
    Key.DATASET_UPDATED: ("updated a dataset", "fa fa-pencil"),
    Key.DATASET_DELETED: ("deleted a dataset", "fa fa-remove"),
    Key.RESOURCE_ADDED: ("added a resource to a dataset", "fa fa-plus"),
    Key.RESOURCE_UPDATED: ("updated a resource", "fa fa-pencil"),
    Key.RESOURCE_DELETED: ("removed a resource from a dataset", "fa fa-remove"),
    Key.RESOURCES_REORDERED: ("reordered the resources of a dataset", "fa fa-sort"),
    Key.COMMUNITY_ADDED: ("proposed a community resource", "fa fa-plus"),
    Key.COMMUNITY_UPDATED: ("updated a community resource", "fa fa-pencil"),
    Key.COMMUNITY_DELETED: ("removed a community resource", "fa fa-remove"),
    Key.ORGANIZATION_CREATED: ("created an organization", "fa fa-plus"),
    Key.ORGANIZATION_UPDATED: ("updated an organization", "fa fa-pencil"),
}


# udata emits these with no changed fields (udata: udata/core/dataset/activities.py): their
# ``changes`` are empty, what they made or removed is in ``extras["diff"]``.
_CHANGES_UNLISTED = frozenset(
    {
        Key.DATASET_CREATED,
        Key.DATASET_DELETED,
        Key.RESOURCE_ADDED,
        Key.RESOURCE_DELETED,
        Key.COMMUNITY_ADDED,
        Key.COMMUNITY_DELETED,
        Key.ORGANIZATION_CREATED,
    }
)


def activity(view: ActivityView, actor: Actor, urls: Urls) -> dict[str, Any]:
    """udata's Activity (udata: udata/core/activity/api.py), named after what it relates to as it is now,
    with the old and new value of each changed field in ``extras["diff"]`` (opencat's own)."""
    item = view.activity
    label, icon = ACTIVITY_LABELS[item.key]
    if view.dataset is not None:
        name, url = view.dataset.title, urls.dataset_page(view.dataset.slug)
    elif view.related_organization is not None:
        name, url = view.related_organization.name, urls.organization_page(view.related_organization.slug)
    else:
        name, url = item.related_to_name, None
    return {
        "id": item.id,
        "actor": None if view.actor is None else user_reference(view.actor, urls),
        "organization": None
        if view.organization is None
        else organization_reference(view.organization, actor, urls),
        "related_to": name,
        "related_to_id": item.related_to_id,
        "related_to_kind": item.related_to_kind,
        "related_to_url": url,
        "created_at": iso(item.created_at),
        "label": label,
        "key": str(item.key),
        "icon": icon,
        "changes": [] if item.key in _CHANGES_UNLISTED else item.changed_fields,
        "extras": {**item.extras, "diff": {c.field: {"old": c.old, "new": c.new} for c in item.changes}},
    }
