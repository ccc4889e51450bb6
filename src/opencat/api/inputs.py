"""Request bodies of the dataset endpoints: pydantic models and their domain changes."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)

from opencat.api import wording
from opencat.api.bodies import to_invalid
from opencat.api.urlcheck import check_url
from opencat.domain import ids
from opencat.domain.changes import UNSET, CommunityChanges, DatasetChanges, ResourceChanges
from opencat.domain.datasets import (
    ACCESS_TYPE_REASON_CATEGORIES,
    ACRONYM_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    FORMAT_MAX_LENGTH,
    SPATIAL_EXCLUSIVE,
    TITLE_MAX_LENGTH,
    Checksum,
    SpatialChange,
    TemporalCoverage,
)
from opencat.domain.dates import iso_as_stored, parse_date, parse_datetime, truncate_ms
from opencat.domain.errors import Invalid, InvalidItems
from opencat.domain.frequencies import normalize_frequency
from opencat.domain.numerals import INT64_MAX, INT64_MIN  # what orjson and MongoDB's IntField hold
from opencat.domain.slugs import TAG_MAX_LENGTH, TAG_MIN_LENGTH, normalize_tag
from opencat.domain.spatial import GRANULARITIES, is_multipolygon, normalize_zone

REQUIRED = "This field is required."
ResourceType = Literal["main", "documentation", "update", "api", "code", "other"]
AccessType = Literal["open", "open_with_account", "restricted"]


def _reason_category(value: Any) -> Any:
    if value is not None and value not in ACCESS_TYPE_REASON_CATEGORIES:
        raise ValueError("Not a valid choice.")
    return value


ReasonCategory = Annotated[str, BeforeValidator(_reason_category)]


def _granularity(value: Any) -> Any:
    if value is not None and value not in GRANULARITIES:
        raise ValueError("Not a valid choice.")
    return value


def _not_null(value: Any) -> Any:
    """A resource always has a type and a filetype: a sent null is not a choice (absent keeps it)."""
    if value is None:
        raise ValueError("Not a valid choice.")
    return value


def _datetime(value: Any) -> Any:
    """The domain's lenient parser; stored, like MongoDB, to the millisecond."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("Not a valid datetime value.")
    try:
        return truncate_ms(parse_datetime(value))
    except ValueError:
        raise ValueError("Not a valid datetime value.") from None


def _identifier(value: Any) -> Any:
    """Organizations and owners are sent as an id or as ``{"id": …}`` (udata's ``clean_oid``: an
    object without ``id`` is no identifier)."""
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
    if value is not None and not (isinstance(value, str) and ids.is_object_id(value)):
        raise ValueError(f"Unsupported identifier: {value}")  # udata's ``clean_oid``
    return value.lower() if isinstance(value, str) else value


def _identifiers(value: Any) -> Any:
    """Contact points, sent as ids or as ``{"id": …}``; an id in capitals is the same ObjectId."""
    if isinstance(value, list):
        found = [item.get("id") if isinstance(item, dict) else item for item in value]
        return [item.lower() if isinstance(item, str) and ids.is_object_id(item) else item for item in found]
    return value


def _tags(value: Any) -> Any:
    # udata's comma-separated form, which a one-item list takes too (wtforms-json hands a list of
    # one to the field as a single value): empty pieces are no tags.
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]
    if isinstance(value, str):
        value = [piece for piece in value.split(",") if piece.strip()]
    if not isinstance(value, list):
        return value
    tags: set[str] = set()
    for raw in value:
        if not isinstance(raw, str):
            raise ValueError("Not a valid string value.")
        tag = normalize_tag(raw)
        if not TAG_MIN_LENGTH <= len(tag) <= TAG_MAX_LENGTH:
            raise ValueError(
                f'Tag "{tag}" must be between {TAG_MIN_LENGTH} and {TAG_MAX_LENGTH} characters long.'
            )
        tags.add(tag)
    return sorted(tags)


# The validation context key holding the public root of our file store (``Call.files_url``).
FILES_URL = "files_url"


def _url(value: Any, info: ValidationInfo) -> Any:
    files_url = (info.context or {}).get(FILES_URL)
    return check_url(value, files_url) if isinstance(value, str) else value


def _empty_none(value: Any) -> Any:
    """udata's optional text fields (``EmptyNone``): an empty text clears the field."""
    return None if value == "" else value


def _optional_url(value: Any, info: ValidationInfo) -> Any:
    return _url(_empty_none(value), info)


def _format(value: Any) -> Any:
    """udata's ``normalize_format`` behind its ``EmptyNone`` field: no format is null, not ``""``."""
    return (value.strip().lower() or None) if isinstance(value, str) else value


def _resource_url(value: Any, info: ValidationInfo) -> Any:
    """A resource's URL: an empty one is missing (udata's ``URLField`` is ``EmptyNone`` behind a
    ``DataRequired``), said ``This field is required.`` where the resource is checked."""
    if isinstance(value, str) and not value.strip():
        return value
    return _url(value, info)


UNREADABLE_RANGE = "Unable to parse date range"


def _coverage(value: Any) -> Any:
    """``{"start", "end"}`` or ``"START - END"`` (udata's ``DateRangeField``, udata/forms/fields.py):
    an empty one clears the coverage; an object without its start is no range."""
    if value in ("", {}):
        return None
    if isinstance(value, str):
        # udata unpacks the text's two parts; Python's own refusal is its error (one date, three).
        start, end = value.split(" - ")
        value = {"start": start, "end": end or None}
    if isinstance(value, dict) and "start" not in value:
        raise ValueError(UNREADABLE_RANGE)
    if isinstance(value, dict):
        for key in ("start", "end"):
            if value.get(key) is not None and not isinstance(value[key], str):
                raise ValueError("Date must be a string")
    return value


# What the OpenAPI document says a field takes, where udata reads more than its type says: an
# organization as its id or ``{"id": …}``, tags as a list or a comma-separated text, a coverage as
# an object or ``"START - END"``; and a title or a resource's kinds, which take no null.
_IDENTIFIER_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string"},
            {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            {"type": "null"},
        ]
    }
)
_TAGS_SCHEMA = WithJsonSchema(
    {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "null"}]}
)
_COVERAGE_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {
                "type": "object",
                "properties": {"start": {"type": "string"}, "end": {"type": ["string", "null"]}},
                "required": ["start"],
            },
            {"type": "string", "description": "START - END"},
            {"type": "null"},
        ]
    }
)


def _without_default(schema: dict[str, Any]) -> None:
    """A field that takes no null documents no ``null`` default (leaving it out is what it means)."""
    schema.pop("default", None)


_NO_DEFAULT = Field(json_schema_extra=_without_default)
Url = Annotated[str, BeforeValidator(_url)]
ResourceUrl = Annotated[str, BeforeValidator(_resource_url)]
OptionalUrl = Annotated[str | None, BeforeValidator(_optional_url)]
OptionalText = BeforeValidator(_empty_none)
When = Annotated[datetime | None, BeforeValidator(_datetime)]


class ChecksumBody(BaseModel):
    type: Literal["sha1", "sha2", "sha256", "md5", "crc"] = "sha1"
    value: str | None = None


class SchemaBody(BaseModel):
    name: str | None = None
    url: OptionalUrl = None  # udata's ``URLField``: empty is none
    version: str | None = None


class ResourceBody(BaseModel):
    """A resource as clients send it; ``id`` only matters inside a dataset's resource list."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    title: Annotated[str | None, Field(max_length=TITLE_MAX_LENGTH)] = None
    description: Annotated[str | None, Field(max_length=DESCRIPTION_MAX_LENGTH)] = None
    filetype: Annotated[
        Literal["file", "remote"] | None,
        BeforeValidator(_not_null),
        WithJsonSchema({"type": "string", "enum": ["file", "remote"]}),
        _NO_DEFAULT,
    ] = None
    type: Annotated[
        ResourceType | None,
        BeforeValidator(_not_null),
        WithJsonSchema({"type": "string", "enum": list(get_args(ResourceType))}),
        _NO_DEFAULT,
    ] = None
    url: ResourceUrl | None = None
    format: Annotated[
        Annotated[str, Field(max_length=FORMAT_MAX_LENGTH)] | None, BeforeValidator(_format)
    ] = None
    checksum: ChecksumBody | None = None
    mime: Annotated[str | None, OptionalText] = None
    # What MongoDB's IntField (and a stored JSON number) holds: 64 bits.
    filesize: Annotated[int | None, Field(ge=INT64_MIN, le=INT64_MAX)] = None
    extras: dict[str, Any] | None = None
    schema_: Annotated[SchemaBody | None, Field(alias="schema")] = None


class CoverageBody(BaseModel):
    start: str
    end: str | None = None


class SpatialBody(BaseModel):
    zones: Annotated[list[str] | None, BeforeValidator(_identifiers)] = None  # ids, or {"id": ...} as udata's
    granularity: Annotated[str | None, BeforeValidator(_granularity)] = None
    geom: dict[str, Any] | None = None


class AudienceBody(BaseModel):
    role: Literal["local_authority_and_administration", "company_and_association", "private"]
    condition: Literal["yes", "no", "under_condition"]


class DatasetBody(BaseModel):
    """The writable fields of a dataset (udata: udata/core/dataset/api.py, forms.py); unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[
        str | None,
        Field(max_length=TITLE_MAX_LENGTH),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": TITLE_MAX_LENGTH}),
        _NO_DEFAULT,
    ] = None
    description: Annotated[
        str | None,
        Field(max_length=DESCRIPTION_MAX_LENGTH),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX_LENGTH}),
        _NO_DEFAULT,
    ] = None
    acronym: Annotated[str | None, Field(max_length=ACRONYM_MAX_LENGTH), OptionalText] = None
    description_short: Annotated[str | None, Field(max_length=200), OptionalText] = None
    license: str | None = None
    frequency: str | None = None
    frequency_date: When = None
    temporal_coverage: Annotated[CoverageBody | None, BeforeValidator(_coverage), _COVERAGE_SCHEMA] = None
    spatial: SpatialBody | None = None
    tags: Annotated[list[str] | None, BeforeValidator(_tags), _TAGS_SCHEMA] = None
    private: bool | None = None
    extras: dict[str, Any] | None = None
    resources: list[ResourceBody] | None = None
    contact_points: Annotated[list[str] | None, BeforeValidator(_identifiers)] = None
    owner: Annotated[str | None, BeforeValidator(_identifier), _IDENTIFIER_SCHEMA] = None
    organization: Annotated[str | None, BeforeValidator(_identifier), _IDENTIFIER_SCHEMA] = None
    access_type: AccessType | None = None
    access_audiences: list[AudienceBody] | None = None
    authorization_request_url: OptionalUrl = None
    access_type_reason_category: ReasonCategory | None = None
    access_type_reason: Annotated[str | None, OptionalText] = None
    deleted: When = None
    archived: When = None


def _check_frequency(body: dict[str, Any]) -> None:
    """udata coerces the frequency before validating the form, so its ValueError wins over every
    other error (udata-responses call 16); its ``message`` is kept word for word, and the same
    text is given as a form error too (compatibility.md)."""
    value = body.get("frequency")
    if value is None:  # cleared; "" is no frequency udata knows (its 400, as for any other)
        return
    if isinstance(value, str):
        try:
            normalize_frequency(value)
            return
        except ValueError:
            pass
    message = wording.not_a_frequency(value)
    raise Invalid({"frequency": [message]}, message)


def _temporal_coverage(body: CoverageBody | None) -> TemporalCoverage | None:
    if body is None:
        return None
    try:
        start = parse_date(body.start)
        end = parse_date(body.end) if body.end else None
    except ValueError:
        raise Invalid({"temporal_coverage": ["Not a valid date value."]}) from None
    if end is not None and start > end:
        start, end = end, start
    return TemporalCoverage(start, end)


def _spatial(body: SpatialBody) -> SpatialChange:
    """The sub-fields sent; the use case keeps the others (``SpatialChange``)."""
    zones = tuple(normalize_zone(zone) for zone in body.zones or ())
    if zones and body.geom is not None:
        raise Invalid({"spatial": [SPATIAL_EXCLUSIVE]})
    if body.geom is not None and not is_multipolygon(body.geom):
        raise Invalid({"spatial": {"geom": ["Not a valid GeoJSON MultiPolygon."]}})
    return SpatialChange(frozenset(body.model_fields_set), zones, body.granularity, body.geom)


def _checksum(body: ChecksumBody | None) -> Checksum | None:
    if body is None or not body.value:
        return None  # a checksum without a value is dropped (udata: udata/core/dataset/models.py, Checksum)
    return Checksum(body.type, body.value)


def _resource_extras(extras: dict[str, Any], index: int | None) -> dict[str, Any]:
    """udata types three ``check:*`` extras (udata: udata/core/dataset/api.py, resources), and its v1
    form coerces them (``"200"`` is 200, ``"true"`` true) before checking: what v2 stored and a GET
    gave can be sent back. A date is kept as ISO text."""
    coerced = dict(extras)
    for key, coerce in _TYPED_CHECKS.items():
        if key in extras and extras[key] is not None:
            value = coerce(extras[key])
            if value is None:
                raise _resource_error(index, {"extras": {key: ["Not a valid value."]}})
            coerced[key] = value
    return coerced


def _as_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _as_integer(value: Any) -> int | None:
    """What ``int()`` takes, as udata's IntegerField and v2's IntField do (a bool is no status)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if INT64_MIN <= number <= INT64_MAX else None  # what MongoDB's IntField holds


def _as_date_text(value: Any) -> str | None:
    """A date in any spelling udata reads, kept as udata emits a stored one."""
    if not isinstance(value, str):
        return None
    try:
        return iso_as_stored(_datetime(value))
    except ValueError:
        return None


_TYPED_CHECKS: dict[str, Callable[[Any], Any]] = {
    "check:available": _as_boolean,
    "check:status": _as_integer,
    "check:date": _as_date_text,
}


def _resource_error(index: int | None, errors: dict[str, Any]) -> Invalid:
    """Errors of a resource, nested at its place when it came in a dataset's list."""
    if index is None:
        return Invalid(errors)
    return Invalid({"resources": [{}] * index + [errors]})


def _schema(body: SchemaBody | None) -> dict[str, Any] | None:
    """The sent schema as is; the catalog checks it against the schema catalog (udata: udata/core/dataset/models.py, schema)."""
    if body is None:
        return None
    return {"name": body.name, "url": body.url, "version": body.version}


def resource_changes(
    body: ResourceBody, index: int | None = None, *, keep_id: bool = True, in_dataset: bool = False
) -> ResourceChanges:
    """The sent fields of a resource, as domain values; ``keep_id`` honours a sent resource id.
    ``in_dataset``: a resource of a dataset's body, whose ``"schema": null`` keeps the schema
    (udata's nested form leaves it; ``{"name": null, "version": null}`` removes it)."""
    sent = body.model_fields_set
    values: dict[str, Any] = {}
    for name in ("title", "description", "filetype", "type", "url", "format", "mime", "filesize"):
        if name in sent:
            values[name] = getattr(body, name)
    if keep_id and "id" in sent and body.id is not None:
        canonical = ids.parse_uuid(body.id)
        if canonical is None:
            raise _resource_error(index, {"id": ["Not a valid resource id."]})
        values["id"] = canonical
    if "checksum" in sent:
        values["checksum"] = _checksum(body.checksum)
    if "extras" in sent:
        values["extras"] = _resource_extras(body.extras or {}, index)
    if "schema_" in sent and in_dataset:
        # udata's nested form fills what an entry leaves out from the stored resource: the
        # schema's keys sent, completed by the use case (``"schema": null`` or ``{}`` keep it).
        schema = body.schema_
        if schema is not None and schema.model_fields_set:
            values["schema"] = {name: getattr(schema, name) for name in schema.model_fields_set}
    elif "schema_" in sent:
        values["schema"] = _schema(body.schema_)
    return ResourceChanges(**values)


def _validate(body: dict[str, Any], creating: bool, files_url: str | None) -> DatasetBody:
    """The body's fields, or every field's error at once, the required ones included (as udata's
    form reports them: a title left empty and a tag too short are both said)."""
    body = _without_empty_references(_with_bare_resource_ids(body))
    errors: dict[str, Any] = {}
    for name in ("title", "description"):
        value = body.get(name)
        if (creating or name in body) and (value is None or (isinstance(value, str) and not value.strip())):
            errors[name] = [REQUIRED]
    try:
        parsed = DatasetBody.model_validate(body, context={FILES_URL: files_url})
    except ValidationError as error:
        found = {**_coverage_dates_error(body), **errors, **to_invalid(error).errors}
        raise Invalid(_with_new_resources_missing(found, body.get("resources"))) from None
    if errors:
        found = {**_coverage_dates_error(body), **errors}
        raise Invalid(_with_new_resources_missing(found, body.get("resources")))
    return parsed


def _coverage_dates_error(body: dict[str, Any]) -> dict[str, Any]:
    """The coverage's dates are read once the body parses (``dataset_changes``): for a body refused
    on other fields, they are checked here too, so that every field's error is said at once."""
    try:
        value = _coverage(body.get("temporal_coverage"))
        if value is not None:
            _temporal_coverage(CoverageBody.model_validate(value))
    except Invalid as invalid:
        return invalid.errors
    except ValueError:  # the range's own shape (pydantic's errors are ValueErrors): the parse says it
        return {}
    return {}


def _without_empty_references(body: dict[str, Any]) -> dict[str, Any]:
    """An empty ``organization`` or ``owner`` is not sent: udata's fields skip an empty value (a
    new dataset then has no organization, the caller as owner; an edited one keeps its own)."""
    if body.get("organization") != "" and body.get("owner") != "":
        return body
    return {
        key: value for key, value in body.items() if not (key in ("organization", "owner") and value == "")
    }


def _with_bare_resource_ids(body: dict[str, Any]) -> dict[str, Any]:
    """A ``resources`` entry given as a text is the id of a resource, as udata's nested form reads
    ``resources-0`` as ``resources-0-id`` (the reorder endpoint's body, sent to the dataset)."""
    entries = body.get("resources")
    if not isinstance(entries, list) or not any(isinstance(entry, str) for entry in entries):
        return body
    return {**body, "resources": [{"id": entry} if isinstance(entry, str) else entry for entry in entries]}


def _with_new_resources_missing(errors: dict[str, Any], entries: Any) -> dict[str, Any]:
    """The errors, with the title or URL missing from the ``resources`` entries that name no id
    (new ones for sure) said at their places too, as udata's form says every field at once; an
    entry with an id may update a stored resource: the use case checks it, knowing."""
    if not isinstance(entries, list):
        return errors
    said = errors.get("resources")
    places = list(said) if isinstance(said, list) else []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or entry.get("id") is not None:
            continue
        missing = [name for name in ("title", "url") if _blank_text(entry.get(name))]
        if not missing:
            continue
        places += [{}] * (index + 1 - len(places))
        place = dict(places[index]) if isinstance(places[index], dict) else {}
        for name in missing:
            place.setdefault(name, [REQUIRED])
        places[index] = place
    if not places or (said is not None and not isinstance(said, list)):
        return errors
    return {**errors, "resources": places}


def _blank_text(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_PLAIN = (
    "title", "description", "acronym", "description_short", "license", "frequency_date",
    "owner", "organization", "access_type", "authorization_request_url",
    "access_type_reason_category", "access_type_reason", "deleted", "archived",
)  # fmt: skip


def dataset_changes(body: dict[str, Any], *, creating: bool, files_url: str | None) -> DatasetChanges:
    """Domain changes for the fields present in ``body`` (udata: udata/core/dataset/forms.py). URLs under
    ``files_url`` (our file store's public root) are valid wherever URLs are checked."""
    _check_frequency(body)
    parsed = _validate(body, creating, files_url)
    sent = parsed.model_fields_set
    values: dict[str, Any] = {name: getattr(parsed, name) for name in _PLAIN if name in sent}
    if values.get("access_type", "open") is None:
        values["access_type"] = (
            "open"  # the field always has a value, default open (udata: udata/core/access_type/)
        )
    if "frequency" in sent:
        values["frequency"] = normalize_frequency(parsed.frequency) if parsed.frequency else None
    if "private" in sent:
        values["private"] = bool(parsed.private)
    if "tags" in sent:
        values["tags"] = tuple(parsed.tags or ())
    if "temporal_coverage" in sent:
        values["temporal_coverage"] = _temporal_coverage(parsed.temporal_coverage)
    if "spatial" in sent and parsed.spatial is not None and parsed.spatial.model_fields_set:
        values["spatial"] = _spatial(parsed.spatial)
    if "extras" in sent and parsed.extras is not None:
        values["extras"] = parsed.extras
    if "contact_points" in sent and parsed.contact_points != []:
        values["contact_point_ids"] = tuple(parsed.contact_points or ())
    if "access_audiences" in sent and parsed.access_audiences:
        values["access_audiences"] = _audiences(parsed.access_audiences)
    if "resources" in sent:
        if parsed.resources is None:
            raise Invalid({"resources": ["Not a valid list."]})
        values["resources"] = tuple(
            resource_changes(item, i, keep_id=not creating, in_dataset=True)
            for i, item in enumerate(parsed.resources)
        )
    return DatasetChanges(**values)


def _audiences(items: list[AudienceBody]) -> tuple[dict[str, str], ...]:
    roles = [item.role for item in items]
    if len(set(roles)) != len(roles):
        raise Invalid({"access_audiences": ["Only one condition per role is allowed."]})
    return tuple({"role": item.role, "condition": item.condition} for item in items)


def parse_resource(body: dict[str, Any], files_url: str | None, *, creating: bool) -> ResourceChanges:
    """The sent fields of one resource (resource endpoints); a sent ``id`` is ignored."""
    try:
        parsed = ResourceBody.model_validate(body, context={FILES_URL: files_url})
    except ValidationError as error:
        raise Invalid(_with_required_blanks(to_invalid(error).errors, body, creating)) from None
    return resource_changes(parsed, keep_id=False)


def _with_required_blanks(errors: dict[str, Any], body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """A body refused by its parse, with its title or URL left blank said too (udata's form
    reports every field at once; the use case says them when the parse passes): a new resource
    must have both, an update may not blank what it sends."""
    blank = {
        name: [REQUIRED]
        for name in ("title", "url")
        if name not in errors and (creating or name in body) and _blank_text(body.get(name))
    }
    return {**errors, **blank}


def parse_reorder(entries: list[Any], files_url: str | None) -> dict[str, ResourceChanges]:
    """Field updates carried by the objects of a reorder list, by resource id."""
    changes: dict[str, ResourceChanges] = {}
    # Every element is checked and reported in place, as udata's list form does ({} when valid).
    problems: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            problems.append({})
            continue
        try:
            parsed = ResourceBody.model_validate(entry, context={FILES_URL: files_url})
        except ValidationError as error:
            problems.append(to_invalid(error).errors)
            continue
        try:  # a typed extra or an id refused: at its place in the list too
            sent = resource_changes(parsed)
        except Invalid as error:
            problems.append(error.errors)
            continue
        problems.append({})
        changes[str(entry.get("id")) if sent.id is UNSET else sent.id] = replace(sent, id=UNSET)
    if any(problems):
        raise InvalidItems(problems)
    return changes


class CommunityBody(ResourceBody):
    """A community resource: resource fields plus the dataset it is proposed on."""

    dataset: Annotated[str | None, BeforeValidator(_identifier)] = None
    organization: Annotated[str | None, BeforeValidator(_identifier)] = None
    owner: Annotated[str | None, BeforeValidator(_identifier)] = None


def parse_community(body: dict[str, Any], files_url: str | None, *, creating: bool) -> CommunityChanges:
    try:
        parsed = CommunityBody.model_validate(body, context={FILES_URL: files_url})
    except ValidationError as error:
        raise Invalid(_with_required_blanks(to_invalid(error).errors, body, creating)) from None
    sent = parsed.model_fields_set
    return CommunityChanges(
        resource_changes(parsed, keep_id=False),
        dataset=parsed.dataset if "dataset" in sent else UNSET,
        organization=parsed.organization if "organization" in sent else UNSET,
        owner=parsed.owner if "owner" in sent else UNSET,
    )
