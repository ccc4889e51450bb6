"""A remote dataset made into opencat's: the dataset's fields, its ``harvest`` metadata in udata's
shape (behaviour notes §2.12), and its resources kept as remote links. Pure but for the reference
lists it is given (licenses, known zones)."""

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from opencat.catalog.license_names import match_license
from opencat.db import geozones as db_geozones
from opencat.db.engine import Connection
from opencat.domain.datasets import (
    ACRONYM_MAX_LENGTH,
    CHECKSUM_TYPES,
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Checksum,
    Dataset,
    Resource,
    Spatial,
    TemporalCoverage,
    enforce_invariants,
    fitting_format,
)
from opencat.domain.dates import iso
from opencat.domain.documents import MAX_DEPTH, document_problem
from opencat.domain.frequencies import normalize_frequency
from opencat.domain.harvest import EXCERPT_LIMIT, REMOTE_ID_MAX_LENGTH, RemoteDataset, RemoteResource
from opencat.domain.harvest_jobs import HarvestSource
from opencat.domain.links import is_web_link
from opencat.domain.references import License
from opencat.domain.slugs import kept_tags
from opencat.domain.spatial import referential_zone_id

# Part of every fingerprint (``mapping_context``): raise it with any change to how a remote dataset
# is made into opencat's, so that the next run of every source maps its entries again.
# 3: reversed periods swapped, zones with a validity resolved; 4: an overseas collectivity's older
# zone id (fr:collectivite:987) mapped to its zone now (fr:departement:987).
MAPPING_VERSION = "4"

# Fields of the stored dataset the harvest owns: a re-harvest sets them all again. Everything else
# (badges, featured, metrics...) is the local catalog's and is kept; contact points are set when
# the source names some (``harvest_contacts``), else kept, as udata does.
HARVESTED_FIELDS = (
    "title",
    "description",
    "acronym",
    "tags",
    "license",
    "frequency",
    "temporal_coverage",
    "spatial",
    "schema",
    "extras",
    "harvest",
    "owner_id",
    "organization_id",
    "access_type",
    "access_type_reason_category",
)


@dataclass(frozen=True, slots=True)
class References:
    """The reference lists a mapping reads, loaded once per run."""

    licenses: Sequence[License]
    # Zone id as the source spelled it -> the referential's id (None: unknown here, dropped).
    zones: Mapping[str, str | None]


def _license_id(remote: str | None, licenses: Sequence[License]) -> str | None:
    """The catalog's license the source names (``license_names``: id, URL, title or a
    common alias); an unknown license is no license, as udata stores it."""
    found = match_license(remote, licenses)
    return None if found is None else found.id


def harvest_metadata(
    source: HarvestSource, remote: RemoteDataset, now: datetime, archived: str | None = None
) -> dict[str, Any]:
    """The dataset's ``harvest`` object; only its non-null keys are kept (udata emits those)."""
    values = {
        "backend": source.backend,
        "source_id": source.id,
        "remote_id": remote.remote_id,
        "domain": urlsplit(source.url).hostname,
        "remote_url": remote.remote_url,
        "uri": remote.uri,
        "dct_identifier": remote.dct_identifier,
        "created_at": iso(remote.created_at),  # none said, none invented (udata's)
        "issued_at": iso(remote.issued_at),
        "modified_at": iso(remote.modified_at),
        "last_update": iso(now),
        "archived": archived,
        "archived_at": iso(now) if archived else None,
    }
    return {key: value for key, value in values.items() if value is not None}


def dataset_fields(
    source: HarvestSource, remote: RemoteDataset, references: References, now: datetime
) -> dict[str, Any]:
    """The harvested fields (``HARVESTED_FIELDS``) of the dataset made of ``remote``."""
    zones = tuple(dict.fromkeys(z for z in (references.zones.get(zone) for zone in remote.zones) if z))
    # Zones and a drawn area exclude each other (as in udata's form): the zones win.
    geom = None if zones or remote.geom is None else dict(remote.geom)
    spatial = Spatial(zones, remote.granularity, geom) if zones or remote.granularity or geom else None
    coverage = None
    if remote.temporal_start:
        start, end = remote.temporal_start, remote.temporal_end
        if end is not None and start > end:  # as the API's writes: a reversed period is swapped
            start, end = end, start
        coverage = TemporalCoverage(start, end)
    return {
        "title": remote.title,
        "description": remote.description,
        "acronym": remote.acronym,
        # A keyword the API would refuse as a tag (under 3 or over 96 characters) is dropped.
        "tags": kept_tags(remote.tags),
        "license": _license_id(remote.license, references.licenses),
        "frequency": _frequency(remote.frequency),
        "temporal_coverage": coverage,
        "spatial": spatial,
        "schema": dict(remote.schema) if remote.schema else None,
        # custom:* extras are declared by the remote's organization, not ours
        "extras": {key: value for key, value in remote.extras.items() if not key.startswith("custom:")},
        "harvest": harvest_metadata(source, remote, now),
        "owner_id": None if source.organization_id else source.owner_id,
        "organization_id": source.organization_id,
        "access_type": remote.access_type or "open",
        "access_type_reason_category": remote.access_type_reason_category,
    }


def new_dataset(dataset_id: str, slug: str, fields: Mapping[str, Any], now: datetime) -> Dataset:
    return enforce_invariants(
        Dataset(id=dataset_id, slug=slug, created_at_internal=now, last_modified_internal=now, **fields)
    )


def resources_of(
    remote: RemoteDataset, before: Sequence[Resource], now: datetime, new_id: Callable[[], str]
) -> list[Resource]:
    """The remote resources as remote links; one already stored (same IRI, else same URL) keeps its
    id, creation date and local counters. One whose address is no web or FTP link (``javascript:``,
    ``file:``, spaces) is left out: the API refuses it, and a permalink would redirect to it."""
    by_uri = {(r.harvest or {}).get("uri"): r for r in before if (r.harvest or {}).get("uri")}
    by_url: dict[str, Resource] = {}
    for resource in before:
        by_url.setdefault(resource.url, resource)
    kept: set[str] = set()
    result: list[Resource] = []
    for item in remote.resources:
        if not is_web_link(item.url):
            continue
        existing = by_uri.get(item.uri) if item.uri else None
        existing = existing or by_url.get(item.url)
        if existing is not None and existing.id in kept:
            existing = None  # two remote resources with one URL are two resources here
        fresh = _resource(item, now, new_id() if existing is None else existing.id)
        if existing is not None:
            kept.add(existing.id)
            unchanged = replace(fresh, created_at_internal=existing.created_at_internal)
            fresh = (
                existing
                if _same_resource(existing, unchanged)
                else replace(
                    unchanged,
                    extras=existing.extras,
                    metrics=existing.metrics,
                    downloads=existing.downloads,
                )
            )
        result.append(fresh)
    return result


# The fields a stored resource is compared on (the others are the catalog's own, or the time of
# the run); compared one by one, not through ``asdict``'s deep copies (a third of an update's time).
_COMPARED = tuple(
    f.name
    for f in dataclass_fields(Resource)
    if f.name not in {"last_modified_internal", "extras", "metrics", "downloads", "harvest"}
)


def _same_resource(stored: Resource, fresh: Resource) -> bool:
    if any(getattr(stored, name) != getattr(fresh, name) for name in _COMPARED):
        return False
    stored_harvest = {k: v for k, v in (stored.harvest or {}).items() if k != "last_update"}
    fresh_harvest = {k: v for k, v in (fresh.harvest or {}).items() if k != "last_update"}
    return stored_harvest == fresh_harvest


def _resource(item: RemoteResource, now: datetime, resource_id: str) -> Resource:
    harvest = {
        "issued_at": iso(item.issued_at),
        "modified_at": iso(item.modified_at),
        "uri": item.uri,
        "last_update": iso(now),
    }
    return Resource(
        id=resource_id,
        title=item.title or _title_from_url(item.url),
        url=item.url,
        created_at_internal=now,
        last_modified_internal=now,
        filetype="remote",
        type=item.type,
        description=item.description,
        format=fitting_format((item.format or "").strip().lower() or None),
        # A digest of a type udata has not (a catalog's sha512) is left out: the resource read and
        # written back by a client was refused for it.
        checksum=Checksum(*item.checksum) if item.checksum and item.checksum[0] in CHECKSUM_TYPES else None,
        filesize=item.filesize,
        mime=item.mime,
        schema=dict(item.schema) if item.schema else None,
        harvest={key: value for key, value in harvest.items() if value is not None},
    )


def _title_from_url(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    return path.rsplit("/", 1)[-1] or urlsplit(url).hostname or url


def _frequency(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize_frequency(value)
    except ValueError:
        return None


def mapping_context(source: HarvestSource, licenses: Sequence[License]) -> str:
    """A digest of what makes a remote dataset into opencat's besides the entry itself: the
    mapping's version, the catalog's licenses (matched by id, URL, title or alias) and what the
    source puts into its datasets (owner, organization, backend, domain). Part of every fingerprint:
    when it changes, every entry is mapped (and written) again."""
    plain = {
        "mapping": MAPPING_VERSION,
        "licenses": [_plain(license) for license in licenses],
        "source": [source.id, source.backend, source.url, source.owner_id, source.organization_id],
    }
    return _digest(plain)


def checked_fingerprint(remote: RemoteDataset, context: str = "") -> tuple[str | None, str | None]:
    """``(fingerprint, None)``: a digest of everything ``remote`` holds and of ``context``
    (``mapping_context``), equal when there is nothing to rewrite; orjson encodes the dataclass
    itself (no copy into dicts first: a tenth of ``json.dumps``'s time, which a run of 100,000
    entries pays on each). Or ``(None, why)`` when the entry cannot be stored: nested deeper
    than a stored document may be, holding a NUL character (the API refuses both) or a lone
    surrogate (no UTF-8 holds it)."""
    # The extras first, without recursion: they are the source's own, of any depth; the rest of
    # an entry has a fixed shape.
    problem = document_problem(dict(remote.extras), MAX_DEPTH - 1) or _too_long(remote)
    if problem is not None:
        return None, problem
    try:
        encoded = _encoded(remote)
    except TypeError:  # orjson refuses a lone surrogate ("\\ud800" in a source's JSON or N-Triples)
        return None, "it holds text that is not valid Unicode (a lone surrogate)"
    if b"\\u0000" in encoded:  # a NUL somewhere (or that text, escaped): look exactly
        problem = document_problem(_plain(remote))
        if problem is not None:
            return None, problem
    return _sha256(context.encode() + encoded), None


def _too_long(remote: RemoteDataset) -> str | None:
    """The first text longer than the API lets a dataset or resource hold (the same rules apply)."""
    bounds = (("title", TITLE_MAX_LENGTH), ("description", DESCRIPTION_MAX_LENGTH))
    texts = [(f"its {name}", getattr(remote, name), limit) for name, limit in bounds]
    texts.append(("its acronym", remote.acronym, ACRONYM_MAX_LENGTH))
    for index, resource in enumerate(remote.resources):
        texts += [
            (f"resource {index + 1}'s {name}", getattr(resource, name), limit) for name, limit in bounds
        ]
    texts.append(("its identifier", remote.remote_id, REMOTE_ID_MAX_LENGTH))
    for what, text, limit in texts:
        if text is not None and len(text) > limit:
            return f"{what} is longer than {limit:,} characters"
    return None


_FINGERPRINT_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _encoded(remote: RemoteDataset) -> bytes:
    return orjson.dumps(remote, default=str, option=_FINGERPRINT_OPTIONS)


# hashlib lets other threads run while it hashes 2,048 bytes or more, and the run's thread then
# waits for the GIL to come back from the page reader (milliseconds, for microseconds of hashing).
_HELD = 2047


def _sha256(data: bytes) -> str:
    """``hashlib.sha256(data).hexdigest()``, fed in pieces small enough to keep the GIL."""
    digest = hashlib.sha256()
    view = memoryview(data)
    for start in range(0, len(view), _HELD):
        digest.update(view[start : start + _HELD])
    return digest.hexdigest()


def _digest(plain: Any) -> str:
    encoded = json.dumps(plain, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _plain(value: Any) -> Any:
    """What ``asdict`` makes of ``value`` as far as ``json.dumps`` can tell."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _plain(getattr(value, item.name)) for item in dataclass_fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if type(value) is dict:
        return {key: _plain(item) for key, item in value.items()}
    return value


def excerpt_of(remote: RemoteDataset) -> str:
    """What a failed item shows of a dataset the backend read but the catalog refused."""
    return json.dumps(asdict(remote), ensure_ascii=False, default=str)[:EXCERPT_LIMIT]


def zone_ids(conn: Connection, zones: Iterable[str]) -> dict[str, str | None]:
    """The referential's id of each zone a source names (None: unknown, dropped), read as the
    API reads them: the legacy ``/`` and a ``@validity`` suffix (data.gouv.fr's
    ``fr:commune:44109@1943-01-01``) name the referential's zone, whatever the case."""
    wanted = set(zones)
    if not wanted:
        return {}
    read = {zone: referential_zone_id(zone) for zone in wanted}
    found = db_geozones.fetch_zones_ignoring_case(conn, set(read.values()))
    return {
        zone: (known.id if (known := found.get(name)) is not None else None) for zone, name in read.items()
    }
