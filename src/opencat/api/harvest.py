"""Handlers of harvesting, in udata's harvest shapes (udata: udata/harvest/api.py): sources, their
jobs and the items of a job, the backends."""

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opencat.api import serializers
from opencat.api.bodies import decode_json, to_invalid
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.api.pagination import envelope, page_arguments, paging
from opencat.api.params import boolean, boolean_argument, choice, choice_argument, first, text_argument
from opencat.catalog import harvest_sources as use_cases
from opencat.catalog.access import check_creations_allowed
from opencat.catalog.harvest_backends import BACKENDS, EXTRA_CONFIGS
from opencat.catalog.harvest_preview import Action, Preview
from opencat.catalog.harvest_settings import harvest_options
from opencat.catalog.harvest_sources import ItemView, JobView, SourceFields, SourceView, can_manage
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.dates import iso, iso_date
from opencat.domain.errors import BadRequest, Invalid, Reason, problem
from opencat.domain.harvest import DELAY_CONFIG, ConfigKey
from opencat.domain.harvest_jobs import HarvestJob, ItemStatus, ItemTally

_API = "/api/1/harvest"
# udata's item statuses, and what each of ours is among them (opencat lists only what a job changed
# or failed on; ``action`` says which).
ITEM_STATUSES = ("pending", "started", "done", "failed", "skipped", "archived")
_UDATA_STATUS = {
    ItemStatus.CREATED: "done",
    ItemStatus.UPDATED: "done",
    ItemStatus.ARCHIVED: "archived",
    ItemStatus.DELETED: "archived",
    ItemStatus.FAILED: "failed",
}


class HarvestSourceBody(BaseModel):
    """A source as udata's form takes it (``HarvestSource (write)``)."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    url: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    backend: str | None = None
    description: str | None = None
    config: dict[str, Any] | None = None
    owner: str | None = None
    organization: str | None = None
    active: bool | None = None
    autoarchive: bool | None = None


class ValidationBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    state: str
    comment: str | None = None


def _fields(call: Call) -> SourceFields:
    body = call.json_object()
    try:
        parsed = HarvestSourceBody.model_validate(body)
    except ValidationError as error:
        raise to_invalid(error) from None
    values = parsed.model_dump()
    if "description" in body and body["description"] is None:
        values["description"] = ""  # a null description clears it, as udata's form does (None: not sent)
    values["config"] = _with_extra_configs(values.get("config"))
    return SourceFields(**values)


def _with_extra_configs(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """udata's clients set a backend's settings as ``extra_configs``, a list of ``{key, value}``
    (``HarvestSourceConfig``); opencat's keys sit in the config itself (``page_size``, ``delay``):
    the list's values are read as those keys (they were stored and never read)."""
    if not isinstance(config, dict) or not isinstance(config.get("extra_configs"), list):
        return config
    read = {
        entry["key"]: _number_or_text(entry.get("value"))
        for entry in config["extra_configs"]
        if isinstance(entry, dict) and isinstance(entry.get("key"), str)
    }
    return {**read, **{key: value for key, value in config.items() if key != "extra_configs"}}


def _number_or_text(value: Any) -> Any:
    """udata's forms send an extra config's value as text (``"7"``): a number read as one (a text
    Python reads as no finite number, ``"nan"`` or ``"1e999"``, stays text: JSON has no such number)."""
    if not isinstance(value, str):
        return value
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        return number if math.isfinite(number) else value
    return value


def _details(shown: bool, details: str | None) -> str | None:
    """An error's piece of source, for those who manage the source only (udata: super-admins)."""
    return (details or None) if shown else None


def _items_link(url: str, tally: ItemTally) -> dict[str, Any]:
    """udata's link to a job's items, with its counters by status and by kind of object."""
    by_status = dict.fromkeys(("pending", "started", "done", "failed", "skipped", "archived"), 0)
    for status, count in tally.by_status.items():
        by_status[_UDATA_STATUS[status]] += count
    return {
        "rel": "subsection",
        "href": url,
        "type": "GET",
        "total": tally.total,
        "by_status": by_status,
        "by_type": {"dataset": tally.with_dataset, "dataservice": 0},
    }


def _job(call: Call, job: HarvestJob, source_id: str, manager: bool, items: ItemTally) -> dict[str, Any]:
    items_url = f"{call.urls.base}{_API}/job/{job.id}/items/"
    return {
        "id": job.id,
        "created": iso(job.created_at),
        "started": iso(job.started_at),
        "ended": iso(job.ended_at),
        "status": str(job.status),
        "errors": [
            {
                "created_at": iso(job.ended_at or job.created_at),
                "message": e.get("message"),
                "details": _details(manager, e.get("details")),
            }
            for e in job.errors
        ],
        "items": _items_link(items_url, items),
        "source": {"id": source_id, "class": "HarvestSource"},  # udata's reference
        # opencat's: what the job did, counted (udata counts its items instead)
        "counts": {
            "created": job.counts.created,
            "updated": job.counts.updated,
            "unchanged": job.counts.unchanged,
            "archived": job.counts.archived,
            "failed": job.counts.failed,
        },
    }


def _source(call: Call, view: SourceView) -> dict[str, Any]:
    source = view.source
    manager = can_manage(call.actor, source)
    live = source.deleted is None
    validation = source.validation
    return {
        "id": source.id,
        "name": source.name,
        "slug": source.slug,
        "description": source.description or None,  # none sent: udata's null
        "url": source.url,
        "backend": source.backend,
        "config": dict(source.config),
        "created_at": iso(source.created_at),
        "last_modified": iso(source.last_modified),
        "deleted": iso(source.deleted),
        "active": source.active,
        "autoarchive": source.autoarchive,
        "schedule": source.schedule,
        "validation": {
            "state": validation.get("state", "pending"),
            "by": None
            if view.validated_by is None
            else serializers.user_reference(view.validated_by, call.urls),
            "on": validation.get("on"),
            "comment": validation.get("comment"),
        },
        "last_job": (
            None
            if view.last_job is None
            else _job(call, view.last_job, source.id, manager, view.last_job_items)
        ),
        "owner": None if view.owner is None else serializers.user_reference(view.owner, call.urls),
        "organization": (
            None
            if view.organization is None
            else serializers.organization_reference(view.organization, call.actor, call.urls)
        ),
        # What the caller may do (udata's); a deleted source is only deleted again.
        "permissions": {
            "edit": manager and live,
            "delete": manager,
            "run": manager and live,
            "schedule": call.actor.is_sysadmin and live,  # udata's admin_permission
            "preview": use_cases.can_preview(call.actor, source) and live,
            "validate": call.actor.is_sysadmin and live,
        },
    }


_PROCESSED = frozenset({ItemStatus.CREATED, ItemStatus.UPDATED})


def _remote_url(dataset: Dataset | None) -> str | None:
    """The harvested dataset's address at the source (``harvest.remote_url``), if any."""
    found = (dataset.harvest or {}).get("remote_url") if dataset is not None else None
    return found if isinstance(found, str) else None


def _item(call: Call, view: ItemView, manager: bool) -> dict[str, Any]:
    item = view.item
    details = _details(manager, item.excerpt)
    errors = (
        [{"created_at": iso(item.created_at), "message": item.error, "details": details}]
        if item.error
        else []
    )
    return {
        "remote_id": item.remote_id,
        # udata's item takes its dataset's harvested address as the run processed it; an archived
        # or deleted one was never processed (None there too).
        "remote_url": _remote_url(view.dataset) if item.status in _PROCESSED else None,
        "status": _UDATA_STATUS[item.status],
        "action": str(item.status),
        "created": iso(item.created_at),
        "started": iso(item.created_at),
        "ended": iso(item.created_at),
        "dataset": None if view.dataset is None else serializers.dataset_reference(view.dataset, call.urls),
        "dataservice": None,  # no dataservices here
        "errors": errors,
        "logs": [],
        "args": [],
        "kwargs": {},
    }


def _job_view(call: Call, view: JobView) -> dict[str, Any]:
    return _job(call, view.job, view.source.id, can_manage(call.actor, view.source), view.items)


SOURCE_ARGUMENTS = (
    *paging(),
    text_argument("q", "The search query (in the name or description, any case)"),
    text_argument("owner", "A user id"),
    text_argument("organization", "An organization id"),
    boolean_argument("deleted", "Include sources flagged as deleted"),
)


@describe(
    "List all harvest sources", "list_harvest_sources", returns="HarvestSourcePage", query=SOURCE_ARGUMENTS
)
def list_sources(call: Call) -> Reply:
    page, page_size = page_arguments(call.params)
    result = use_cases.list_sources(
        call.catalog,
        page,
        page_size,
        first(call.params, "owner"),
        first(call.params, "organization"),
        text=(first(call.params, "q") or "").strip() or None,
        deleted=bool(boolean(call.params, "deleted")),
    )
    body = envelope(
        result, lambda view: _source(call, view), call.urls.base, call.request.url.path, call.params
    )
    return Reply(body)


@describe(
    "Create a new harvest source",
    "create_harvest_source",
    status=201,
    returns="HarvestSource",
    body=HarvestSourceBody,
    auth="required",
    creates=True,
)
def create_source(call: Call) -> Reply:
    check_creations_allowed(call.catalog.read_only, call.actor)  # 401, 423 before the body (udata's)
    fields = _fields(call)
    return Reply(_source(call, use_cases.create_source(call.catalog, call.actor, fields)), 201)


@describe("Get a single harvest source", "get_harvest_source", returns="HarvestSource", errors=(404,))
def get_source(call: Call) -> Reply:
    return Reply(_source(call, use_cases.get_source(call.catalog, call.path("source"))))


@describe(
    "Update a harvest source",
    "update_harvest_source",
    returns="HarvestSource",
    body=HarvestSourceBody,
    auth="required",
    errors=(404,),
)
def update_source(call: Call) -> Reply:
    use_cases.check_may_change(call.catalog, call.actor, call.path("source"))
    fields = _fields(call)
    view = use_cases.update_source(call.catalog, call.actor, call.path("source"), fields)
    return Reply(_source(call, view))


@describe(
    "Delete a harvest source",
    "delete_harvest_source",
    status=204,
    auth="required",
    errors=(404,),
)
def delete_source(call: Call) -> Reply:
    use_cases.delete_source(call.catalog, call.actor, call.path("source"))
    return Reply(status=204)  # udata's DELETE answers 204


@describe(
    "List a harvest source's jobs, newest first",
    "list_harvest_jobs",
    returns="HarvestJobPage",
    query=paging(),
    errors=(404,),
)
def list_jobs(call: Call) -> Reply:
    page, page_size = page_arguments(call.params)
    result = use_cases.list_jobs(call.catalog, call.path("source"), page, page_size)
    source = use_cases.get_source(call.catalog, call.path("source")).source
    manager = can_manage(call.actor, source)
    body = envelope(
        result,
        lambda view: _job(call, view.job, source.id, manager, view.items),
        call.urls.base,
        call.request.url.path,
        call.params,
    )
    return Reply(body)


@describe(
    "Run a harvest job now (in the background)",
    "run_harvest_source",
    returns="HarvestSource",
    auth="required",
    errors=(404, 409),
)
def run_source(call: Call) -> Reply:
    options = harvest_options(call.services.settings)
    return Reply(_source(call, use_cases.run_now(call.catalog, call.actor, call.path("source"), options)))


def _cron_body(call: Call) -> str:
    """udata's body is the cron expression as a JSON string, or bare ("both syntax: quoted and
    unquoted"); ``{"value": ...}`` is taken too."""
    try:
        value: Any = decode_json(call.body)
    except BadRequest:
        value = call.body.decode("utf-8", "replace")  # the bare expression: ``0 4 * * *``
    if isinstance(value, dict):
        value = value.get("value") or value.get("schedule")
    if not isinstance(value, str) or not value.strip():
        raise Invalid({"schedule": [problem(Reason.REQUIRED)]})
    return value.strip()


@describe(
    "Schedule a harvest source (a cron expression, as a JSON string)",
    "schedule_harvest_source",
    returns="HarvestSource",
    body="CronExpression",
    auth="required",
    errors=(404,),
)
def schedule_source(call: Call) -> Reply:
    use_cases.check_may_change(call.catalog, call.actor, call.path("source"))
    cron = _cron_body(call)
    return Reply(_source(call, use_cases.set_schedule(call.catalog, call.actor, call.path("source"), cron)))


@describe(
    "Unschedule a harvest source",
    "unschedule_harvest_source",
    status=204,
    auth="required",
    errors=(404,),
)
def unschedule_source(call: Call) -> Reply:
    use_cases.set_schedule(call.catalog, call.actor, call.path("source"), None)
    return Reply(status=204)  # udata's DELETE answers 204


@describe(
    "Validate or refuse a harvest source (sysadmins)",
    "validate_harvest_source",
    returns="HarvestSource",
    body=ValidationBody,
    auth="required",
    errors=(404,),
)
def validate_source(call: Call) -> Reply:
    use_cases.check_may_change(call.catalog, call.actor, call.path("source"), sysadmins_only=True)
    try:
        parsed = ValidationBody.model_validate(call.json_object())
    except ValidationError as error:
        raise to_invalid(error) from None
    view = use_cases.validate_source(
        call.catalog, call.actor, call.path("source"), parsed.state, parsed.comment
    )
    return Reply(_source(call, view))


@describe("Get a harvest job", "get_harvest_job", returns="HarvestJob", errors=(404,))
def get_job(call: Call) -> Reply:
    return Reply(_job_view(call, use_cases.get_job(call.catalog, call.path("job"))))


@describe(
    "List the items of a harvest job (what it created, updated, archived, or failed on)",
    "list_harvest_job_items",
    returns="HarvestItemPage",
    query=(*paging(), choice_argument("status", ITEM_STATUSES, "The item status")),
    errors=(404,),
)
def list_items(call: Call) -> Reply:
    page, page_size = page_arguments(call.params)
    status = choice(call.params, "status", ITEM_STATUSES)
    statuses = (
        None if status is None else [ours for ours, theirs in _UDATA_STATUS.items() if theirs == status]
    )
    job = use_cases.get_job(call.catalog, call.path("job"))
    result = use_cases.list_items(call.catalog, call.actor, job.job.id, page, page_size, statuses)
    manager = can_manage(call.actor, job.source)
    body = envelope(
        result, lambda view: _item(call, view, manager), call.urls.base, call.request.url.path, call.params
    )
    return Reply(body)


@describe("List the harvest backends", "harvest_backends", returns="HarvestBackendList")
def list_backends(call: Call) -> Reply:
    delay = str(call.services.settings.harvest_delay)
    backends = [
        {
            "id": backend.name,
            "label": backend.label,
            "filters": [],
            "features": [],
            "extra_configs": [_extra_config(key, delay) for key in EXTRA_CONFIGS.get(backend.name, ())],
        }
        for backend in sorted(BACKENDS.values(), key=lambda backend: backend.label)  # udata sorts by label
    ]
    return Reply(backends)


def _extra_config(key: ConfigKey, delay: str) -> dict[str, Any]:
    """udata's ``HarvestExtraConfig``; the delay's default is the operator's setting."""
    default = delay if key is DELAY_CONFIG else key.default
    return {"key": key.key, "label": key.label, "description": key.description, "default": default}


# What a preview's item says a run would do, in udata's item statuses.
_PREVIEW_STATUS = {
    Action.CREATE: "done",
    Action.UPDATE: "done",
    Action.UNCHANGED: "skipped",
    Action.FAIL: "failed",
}


def _previewed_dataset(dataset: Dataset, resources: tuple[Resource, ...]) -> dict[str, Any]:
    coverage = dataset.temporal_coverage
    spatial = dataset.spatial
    return {
        "title": dataset.title,
        "slug": dataset.slug,
        "description": dataset.description,
        "acronym": dataset.acronym,
        "tags": list(dataset.tags),
        "license": dataset.license,
        "frequency": dataset.frequency,
        "temporal_coverage": None
        if coverage is None
        else {"start": iso_date(coverage.start), "end": iso_date(coverage.end)},
        "spatial": None
        if spatial is None
        else {
            "geom": spatial.geom,
            "zones": list(spatial.zones),
            "granularity": spatial.granularity or "other",
        },
        "extras": dict(dataset.extras),
        "harvest": dataset.harvest,
        "resources": [
            {
                "title": resource.title,
                "url": resource.url,
                "type": resource.type,
                "format": resource.format,
                "description": resource.description,
                "mime": resource.mime,
                "filesize": resource.filesize,
                "checksum": None
                if resource.checksum is None
                else {"type": resource.checksum.type, "value": resource.checksum.value},
                "harvest": resource.harvest,
            }
            for resource in resources
        ],
    }


def _preview(call: Call, preview: Preview) -> dict[str, Any]:
    """udata's ``HarvestJobPreview``: a job never stored (no id), its items inline."""
    source = preview.source
    return {
        "id": None,
        "created": iso(preview.started_at),
        "started": iso(preview.started_at),
        "ended": iso(preview.ended_at),
        "status": str(preview.status),
        "errors": [
            {"created_at": iso(preview.ended_at), "message": message, "details": None}
            for message in preview.errors
        ],
        "source": {"id": source.id, "class": "HarvestSource"} if preview.saved else None,
        "items": [
            {
                "remote_id": item.remote_id,
                "remote_url": _remote_url(item.dataset),
                "status": _PREVIEW_STATUS[item.action],
                "action": str(item.action),
                "created": iso(preview.started_at),
                "started": iso(preview.started_at),
                "ended": iso(preview.ended_at),
                "dataset": None if item.dataset is None else _previewed_dataset(item.dataset, item.resources),
                "dataservice": None,
                "errors": []
                if item.error is None
                else [
                    {
                        "created_at": iso(preview.ended_at),
                        "message": item.error,
                        "details": item.excerpt or None,
                    }
                ],
                "logs": [],
                "args": [],
                "kwargs": {},
            }
            for item in preview.items
        ],
    }


@describe(
    "Preview a single harvest source given an ID or a slug (read and mapped, nothing written)",
    "preview_harvest_source",
    returns="HarvestJobPreview",
    auth="required",
    errors=(404, 429),
)
def preview_source(call: Call) -> Reply:
    options = harvest_options(call.services.settings)
    found = use_cases.preview_source(call.catalog, call.actor, call.path("source"), options)
    return Reply(_preview(call, found))


@describe(
    "Preview an harvesting from a source created with the given payload (nothing written)",
    "preview_harvest_source_config",
    returns="HarvestJobPreview",
    body=HarvestSourceBody,
    auth="required",
    errors=(429,),
    creates=True,  # udata refuses it under its read-only mode as it refuses a new source
)
def preview_fields(call: Call) -> Reply:
    # udata's block list holds the preview of a new source too: 423 in read-only mode.
    check_creations_allowed(call.catalog.read_only, call.actor)
    options = harvest_options(call.services.settings)
    return Reply(_preview(call, use_cases.preview_fields(call.catalog, call.actor, _fields(call), options)))
