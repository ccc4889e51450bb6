"""Datasets and their resources: the catalog's core objects and the rules that change them."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from opencat.domain.dates import as_utc, parse_datetime
from opencat.domain.errors import Invalid, Problem, Reason, problem
from opencat.domain.extras import check_bounds

JSONObject = dict[str, Any]

ACCESS_TYPES = ("open", "open_with_account", "restricted")
# INSPIRE's reasons to limit access (article 13, points a to h), in that order (udata: udata/core/access_type/).
ACCESS_TYPE_REASON_CATEGORIES = (
    "confidentiality_of_proceedings_of_public_authorities",
    "international_relations_public_security_or_national_defence",
    "course_of_justice_or_fair_trial",
    "confidentiality_of_commercial_or_industrial_information",
    "intellectual_property_rights",
    "confidentiality_of_personal_data",
    "protection_of_voluntary_information_suppliers",
    "protection_of_environment",
)
BADGE_KINDS = ("pivotal-data", "spd", "inspire", "hvd", "sl", "sr")
BADGE_LABELS = {
    "pivotal-data": "Pivotal data",
    "spd": "Reference data public service",
    "inspire": "Inspire",
    "hvd": "High value datasets",
    "sl": "Certified statistic series",
    "sr": "Statistical series of general interest",
}
# A dataset is public (in public lists) when none of these fields is set: neither private,
# deleted nor archived (udata: udata/core/dataset/models.py, visible_by_user). The search index's ``public`` term and the
# database's public filter are both derived from this tuple.
HIDING_FIELDS = ("private", "deleted", "archived")
# Fields of a hosted file that only an upload may change (udata: udata/core/dataset/api.py, forms.py, udata: udata/core/dataset/api.py, resources).
HOSTED_FILE_FIELDS = ("filetype", "url", "checksum", "filesize", "mime", "format")
# The longest texts a dataset or resource may hold (udata's form bounds, which the API applies and
# harvested entries are held to).
TITLE_MAX_LENGTH = 350
DESCRIPTION_MAX_LENGTH = 100_000
ACRONYM_MAX_LENGTH = 128
# A resource's format is a short word (csv, json, shp): the longest one stored, and indexed
# (udata sets no bound; a longer one is refused by the API and dropped from harvested records).
FORMAT_MAX_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Checksum:
    type: str
    value: str


# udata's checksum types (its ``CHECKSUM_TYPES``): what its API takes, and so what a client that
# reads a resource and writes it back sends.
CHECKSUM_TYPES = ("sha1", "sha2", "sha256", "md5", "crc")
# udata's resource types and file types: what its API takes.
RESOURCE_TYPES = ("main", "documentation", "update", "api", "code", "other")
FILETYPES = ("file", "remote")


@dataclass(frozen=True, slots=True)
class TemporalCoverage:
    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Spatial:
    zones: tuple[str, ...] = ()
    granularity: str | None = None
    geom: JSONObject | None = None


SPATIAL_EXCLUSIVE = "Spatial zones and geometry are mutually exclusive"


@dataclass(frozen=True, slots=True)
class SpatialChange:
    """A spatial coverage as a write sends it: the sub-fields it names replace the stored ones, the
    others are kept (udata's nested form fills them from the stored coverage)."""

    sent: frozenset[str]
    zones: tuple[str, ...] = ()
    granularity: str | None = None
    geom: JSONObject | None = None

    def applied_to(self, current: Spatial | None) -> Spatial:
        stored = current or Spatial()
        return Spatial(
            self.zones if "zones" in self.sent else stored.zones,
            self.granularity if "granularity" in self.sent else stored.granularity,
            self.geom if "geom" in self.sent else stored.geom,
        )


@dataclass(frozen=True, slots=True)
class Badge:
    kind: str
    created: datetime | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    title: str
    url: str
    created_at_internal: datetime
    last_modified_internal: datetime
    filetype: str = "file"
    type: str = "other"
    description: str | None = None
    format: str | None = None
    checksum: Checksum | None = None
    filesize: int | None = None
    mime: str | None = None
    extras: JSONObject = field(default_factory=dict)
    harvest: JSONObject | None = None
    schema: JSONObject | None = None
    metrics: JSONObject = field(default_factory=dict)
    # Set by the tabular explorer of the source catalog; kept as imported.
    preview_url: str | None = None
    # Where an uploaded file is kept in the file store (never shown to clients).
    fs_filename: str | None = None
    # Hits on its permalink (``/datasets/r/{id}``), counted by the server.
    downloads: int = 0

    @property
    def is_hosted(self) -> bool:
        """An uploaded file whose stored fields belong to the server, not the client."""
        return self.filetype == "file" and bool(self.url)

    @property
    def created_at(self) -> datetime:
        return _harvest_date(self.harvest, "issued_at") or self.created_at_internal

    def last_modified(self, now: datetime) -> datetime:
        return resource_last_modified(
            self.harvest,
            self.filetype,
            self.extras.get("analysis:last-modified-at"),
            self.last_modified_internal,
            now,
        )


def resource_last_modified(
    harvest: Mapping[str, Any] | None, filetype: str, analysed: object, internal: datetime, now: datetime
) -> datetime:
    """udata: harvested modification date if not in the future, then the analysed one (a remote
    file's), then ours."""
    harvested = _harvest_date(harvest, "modified_at")
    if harvested is not None and harvested <= now:
        return harvested
    if filetype == "remote" and isinstance(analysed, str):
        parsed = _parse_or_none(analysed)
        if parsed is not None:
            return parsed
    return internal


@dataclass(frozen=True, slots=True)
class IndexedResource:
    """What a dataset's search document takes from one of its resources, read from the stored
    document without decoding the whole resource: a dataset of thousands of resources is indexed
    again on each new one."""

    title: str
    format: str | None
    schema: JSONObject | None
    harvest: JSONObject | None
    filetype: str
    analysed: object  # extras["analysis:last-modified-at"], as stored
    last_modified_internal: datetime

    def last_modified(self, now: datetime) -> datetime:
        """The same rule as ``Resource.last_modified``, on the same fields."""
        return resource_last_modified(
            self.harvest, self.filetype, self.analysed, self.last_modified_internal, now
        )


@dataclass(frozen=True, slots=True)
class Dataset:
    id: str
    slug: str
    title: str
    description: str
    created_at_internal: datetime
    last_modified_internal: datetime
    acronym: str | None = None
    description_short: str | None = None
    license: str | None = None
    frequency: str | None = None
    frequency_date: datetime | None = None
    temporal_coverage: TemporalCoverage | None = None
    spatial: Spatial | None = None
    tags: tuple[str, ...] = ()
    private: bool = False
    featured: bool = False
    deleted: datetime | None = None
    archived: datetime | None = None
    extras: JSONObject = field(default_factory=dict)
    harvest: JSONObject | None = None
    metrics: JSONObject = field(default_factory=dict)
    badges: tuple[Badge, ...] = ()
    owner_id: str | None = None
    organization_id: str | None = None
    contact_point_ids: tuple[str, ...] = ()
    access_type: str = "open"
    access_audiences: tuple[JSONObject, ...] = ()
    authorization_request_url: str | None = None
    access_type_reason_category: str | None = None
    access_type_reason: str | None = None
    schema: JSONObject | None = None
    doi: str | None = None
    revision: int = 1
    # Permalink hits of its resources, counted by the server.
    resources_downloads: int = 0
    # Active followers, counted by the server (imported counts are the starting point).
    followers: int = 0
    # Active follows at each month's end, as of the last follow event (None: never followed).
    followers_by_months: Mapping[str, int] | None = None
    # The ``last_update`` stored with this revision, when read from its row (None otherwise):
    # what a conditional read names its answer's ETag from without reading its resources. Not
    # part of the dataset's value (a dataset read back equals the one written).
    stored_last_update: datetime | None = field(default=None, compare=False)

    @property
    def created_at(self) -> datetime:
        return (
            _harvest_date(self.harvest, "issued_at")
            or _harvest_date(self.harvest, "created_at")
            or self.created_at_internal
        )

    @property
    def last_modified(self) -> datetime:
        return _harvest_date(self.harvest, "modified_at") or self.last_modified_internal

    def last_update(
        self, resources: Sequence[Resource] | Sequence[IndexedResource], now: datetime
    ) -> datetime:
        """Harvested modification date, else the newest resource change, else ``last_modified``."""
        newest = max((resource.last_modified(now) for resource in resources), default=None)
        return self.last_update_given(newest)

    def last_update_given(self, newest_resource_change: datetime | None) -> datetime:
        """``last_update`` when the newest resource change is already known (or there is none)."""
        harvested = _harvest_date(self.harvest, "modified_at")
        if harvested is not None:
            return harvested
        return newest_resource_change or self.last_modified


def is_public(record: object) -> bool:
    """Whether a dataset, or a record that carries its hiding fields (a search document), is
    public: listed to everyone."""
    return not any(getattr(record, name) for name in HIDING_FIELDS)


def apply_changes(dataset: Dataset, changes: Mapping[str, Any], now: datetime) -> Dataset:
    """Return ``dataset`` with the sent fields replaced; absent fields keep their value."""
    updated = replace(dataset, **changes, last_modified_internal=now, revision=dataset.revision + 1)
    check_bounds(dataset, updated)
    return enforce_invariants(updated)


def enforce_invariants(dataset: Dataset) -> Dataset:
    """Rules udata applies on every save: a dataset that is not open carries no license."""
    if dataset.access_type != "open" and dataset.license is not None:
        return replace(dataset, license=None)
    return dataset


def fitting_format(value: str | None) -> str | None:
    """A format from another catalog, or None when it is longer than any format can be."""
    return value if value is None or len(value) <= FORMAT_MAX_LENGTH else None


def resource_problems(fields: Mapping[str, Any]) -> dict[str, list[Problem]]:
    """What a resource must always have: a title, a URL, a type and a filetype (udata: udata/core/dataset/api.py, resources)."""
    problems = {
        name: [problem(Reason.REQUIRED)]
        for name in ("title", "url")
        if name in fields and _blank(fields[name])
    }
    problems.update(
        {
            name: [problem(Reason.NOT_A_CHOICE)]
            for name in ("type", "filetype")
            if name in fields and fields[name] is None
        }
    )
    return problems


def apply_resource_changes(resource: Resource, changes: Mapping[str, Any], now: datetime) -> Resource:
    """Update a resource in place, keeping the server's fields of a hosted file; a change may not
    empty a required field (udata validates the whole resource again on update)."""
    problems = resource_problems(changes)
    if problems:
        raise Invalid(problems)
    allowed = {
        key: value
        for key, value in changes.items()
        if key != "id" and not (resource.is_hosted and key in HOSTED_FILE_FIELDS)
    }
    updated = replace(resource, **allowed, last_modified_internal=now)
    if resource.fs_filename and not resource.is_hosted and updated.url != resource.url:
        # A link given a file (an upload to a remote resource) pointed elsewhere: the file is
        # no longer its own, nor served (``released_files``).
        updated = replace(updated, fs_filename=None)
    check_bounds(resource, updated)
    return updated


def released_files(before: Iterable[Resource], after: Iterable[Resource]) -> list[str]:
    """The stored files ``before`` held that ``after`` no longer holds."""
    kept = {resource.fs_filename for resource in after}
    return [r.fs_filename for r in before if r.fs_filename and r.fs_filename not in kept]


def _blank(value: Any) -> bool:
    """What WTForms' ``DataRequired`` refuses: nothing, or spaces alone."""
    return not value or (isinstance(value, str) and not value.strip())


def missing_from_new_resource(fields: Mapping[str, Any]) -> dict[str, list[Problem]]:
    """A new resource's title and URL, each required as ``DataRequired`` requires it (an update
    may not blank them either: ``resource_problems``)."""
    return {name: [problem(Reason.REQUIRED)] for name in ("title", "url") if _blank(fields.get(name))}


def new_resource(fields: Mapping[str, Any], resource_id: str, now: datetime) -> Resource:
    """A resource from client fields; ``title`` and ``url`` are required (udata: udata/core/dataset/api.py, resources)."""
    missing = missing_from_new_resource(fields)
    if missing:
        raise Invalid(missing)
    values = {key: value for key, value in fields.items() if key != "id"}
    made = Resource(id=resource_id, created_at_internal=now, last_modified_internal=now, **values)
    check_bounds(None, made)
    return made


def too_many_resources(count: int, limit: int, current: int = 0) -> Problem | None:
    """Why a write that leaves a dataset ``count`` resources (it had ``current``) is refused, or
    None. udata has no cap: one dataset of 100,000 resources made every page listing it cost
    seconds and tens of megabytes. A dataset already past a lowered cap can still be edited, as
    long as the write does not make it longer."""
    if count <= max(limit, current):
        return None
    return problem(Reason.TOO_MANY_RESOURCES, limit=limit)


def touch(dataset: Dataset, now: datetime) -> Dataset:
    """A change to one of its resources modifies the dataset (udata: udata/core/dataset/api.py, resources)."""
    return replace(dataset, last_modified_internal=now, revision=dataset.revision + 1)


def check_distinct_resources(dataset_id: str, resources: Sequence[Resource]) -> None:
    """A list naming one resource twice (two entries of one id in a dataset's body) is refused
    as udata's model refuses it, whole: merged, the first entry's edit was lost and the history
    told of both."""
    if len({resource.id for resource in resources}) != len(resources):
        raise Invalid(
            {"__all__": problem(Reason.DUPLICATE_RESOURCE_ID, dataset=dataset_id)},
            Reason.MODEL_VALIDATION,
            model="Dataset",
            id=dataset_id,
        )


def merge_resource_list(
    current: Sequence[Resource],
    incoming: Sequence[tuple[str | None, Mapping[str, Any]]],
    now: datetime,
    new_id: Callable[[], str],
) -> list[Resource]:
    """The resources after a dataset write that sent a ``resources`` list (udata: udata/core/dataset/api.py, forms.py):
    ``incoming`` holds each entry's id (None when it sent none) and its sent fields.

    An empty list changes nothing. Otherwise the list becomes the new list, in its order:
    an entry whose ``id`` matches a resource updates it, any other entry is a new resource.
    """
    if not incoming:
        return list(current)
    by_id = {resource.id: resource for resource in current}
    merged: list[Resource] = []
    errors: list[dict[str, list[Problem]]] = []
    for entry_id, fields in incoming:
        existing = by_id.get(entry_id or "")
        if existing is None:
            missing = missing_from_new_resource(fields)
        else:  # an update may not empty a required field either: its error goes at its place too
            missing = resource_problems(fields)
            if fields.get("filetype") == "file" and existing.filetype != "file":
                # A link made a "file" would be taken for a hosted one, its address the server's
                # for good (as on the resource's own PUT; a hosted file's filetype stays as udata's).
                missing = {**missing, "filetype": [problem(Reason.FILETYPE_CHANGE)]}
        errors.append(missing)
        if missing:
            continue
        try:  # the bounds of tags and extras too, said at the entry's place
            if existing is not None:
                # Sent back unchanged (a script's GET, one field edited, PUT): not modified now.
                updated = apply_resource_changes(existing, fields, now)
                unchanged = (
                    replace(updated, last_modified_internal=existing.last_modified_internal) == existing
                )
                merged.append(existing if unchanged else updated)
            else:
                made = Resource(id=new_id(), created_at_internal=now, last_modified_internal=now, **fields)
                check_bounds(None, made)
                merged.append(made)
        except Invalid as error:
            errors[-1] = error.errors
    if any(errors):
        raise Invalid({"resources": errors})
    return merged


def _parse_or_none(value: str) -> datetime | None:
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _harvest_date(harvest: Mapping[str, Any] | None, key: str) -> datetime | None:
    if not harvest:
        return None
    value = harvest.get(key)
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str):
        return _parse_or_none(value)
    return None
