"""Harvest source use cases: declare, read, change, schedule, validate and delete a source, and
read its jobs. Only sysadmins and the admins of the source's organization (or its owner, for a
personal source) manage a source."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from opencat.catalog import harvest_preview
from opencat.catalog.access import check_creations_allowed
from opencat.catalog.context import Catalog
from opencat.catalog.harvest_backends import BACKENDS
from opencat.catalog.harvest_preview import Preview
from opencat.catalog.harvesting import RunOptions, run_in_background
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import harvest as db_harvest
from opencat.db.engine import Connection
from opencat.domain.accounts import Actor, Organization, User
from opencat.domain.cron import parse_cron
from opencat.domain.datasets import Dataset
from opencat.domain.errors import (
    BadRequest,
    Invalid,
    NotFound,
    PermissionDenied,
    Reason,
    Unauthenticated,
    problem,
)
from opencat.domain.harvest_jobs import Counts, HarvestJob, HarvestSource, ItemStatus, ItemTally, JobItem
from opencat.domain.ids import is_object_id
from opencat.domain.permissions import can_read
from opencat.domain.queries import Page
from opencat.domain.slugs import slugify, unique_slug

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SourceFields:
    """What a client sends about a source; None: not sent (an update keeps the value)."""

    name: str | None = None
    url: str | None = None
    backend: str | None = None
    description: str | None = None
    config: Mapping[str, Any] | None = None
    owner: str | None = None
    organization: str | None = None
    active: bool | None = None
    autoarchive: bool | None = None
    schedule: str | None = None


@dataclass(frozen=True, slots=True)
class SourceView:
    source: HarvestSource
    last_job: HarvestJob | None
    organization: Organization | None = None
    owner: User | None = None
    validated_by: User | None = None
    last_job_items: ItemTally = field(default_factory=ItemTally)  # what its last job's items are


@dataclass(frozen=True, slots=True)
class JobView:
    job: HarvestJob
    source: HarvestSource
    items: ItemTally


@dataclass(frozen=True, slots=True)
class ItemView:
    item: JobItem
    dataset: Dataset | None


def _views(conn: Connection, sources: Sequence[HarvestSource]) -> list[SourceView]:
    """Each source with its last job and who owns and validated it (a few queries for a page)."""
    last = db_harvest.last_jobs(conn, [source.id for source in sources])
    organizations = db_accounts.fetch_organizations(
        conn, {s.organization_id for s in sources if s.organization_id}
    )
    user_ids = {s.owner_id for s in sources if s.owner_id} | {
        str(s.validation["by"]) for s in sources if s.validation.get("by")
    }
    users = db_accounts.fetch_users(conn, user_ids)
    items = db_harvest.tally_items_of_jobs(conn, [job.id for job in last.values()])
    return [
        SourceView(
            source,
            last.get(source.id),
            organizations.get(source.organization_id or ""),
            users.get(source.owner_id or ""),
            users.get(str(source.validation.get("by") or "")),
            items.get(last[source.id].id, ItemTally()) if source.id in last else ItemTally(),
        )
        for source in sources
    ]


def _page(items: Sequence[T], total: int, page: int, page_size: int) -> Page[T]:
    """A page of a list; past the last one (but the first) is a 404, as udata's pagination."""
    if not items and page > 1:
        raise NotFound()
    return Page(items, total, page, page_size)


def can_manage(actor: Actor, source: HarvestSource) -> bool:
    if actor.user is None:
        return False
    if actor.is_sysadmin:
        return True
    if source.organization_id is not None:
        return actor.role_in(source.organization_id) == "admin"
    return source.owner_id == actor.user.id


def can_preview(actor: Actor, source: HarvestSource) -> bool:
    """udata's ``HarvestSourcePermission`` (an ownable one): its managers, and an organization's
    editors too, who may not change or run the source."""
    if can_manage(actor, source):
        return True
    organization = source.organization_id
    return organization is not None and actor.role_in(organization) == "editor"


def _require_manager(actor: Actor, source: HarvestSource) -> None:
    if actor.user is None:
        raise Unauthenticated()
    if not can_manage(actor, source):
        raise PermissionDenied()


def _require_source(conn: Connection, ident: str, deleted_too: bool = False) -> HarvestSource:
    """The source of this id or slug. A deleted one is read as udata's route finds it (its
    ``deleted`` date says so), but nothing is done with it any more."""
    source = db_harvest.find_source(conn, ident)
    if source is None or (source.deleted is not None and not deleted_too):
        raise NotFound(Reason.HARVEST_SOURCE_MISSING)
    return source


def _slug_for(conn: Connection, name: str, own: str = "") -> str:
    """A free slug for ``name`` (``own``: the source's present slug, free for it to keep)."""
    base = slugify(name) or "source"
    return unique_slug(base, db_harvest.source_slugs_taken(conn, base) - {own})


# The columns' bounds (the API's body says the same of the name; the command line did not).
NAME_MAX = 255
SCHEDULE_MAX = 128


def _checked(fields: SourceFields, creating: bool) -> None:
    errors: dict[str, list[Any]] = {}
    if creating:
        for name in ("name", "url", "backend"):
            if not getattr(fields, name):
                errors[name] = [problem(Reason.REQUIRED)]
    if fields.name is not None and len(fields.name) > NAME_MAX:
        errors["name"] = [problem(Reason.TEXT_TOO_LONG, limit=NAME_MAX)]
    if fields.backend is not None and fields.backend not in BACKENDS:
        errors["backend"] = [problem(Reason.HARVEST_BACKEND_UNKNOWN, backend=fields.backend)]
    if fields.url and not _http_url(fields.url):
        errors["url"] = [problem(Reason.HARVEST_URL_INVALID)]
    if fields.schedule and len(fields.schedule) > SCHEDULE_MAX:
        errors["schedule"] = [problem(Reason.TEXT_TOO_LONG, limit=SCHEDULE_MAX)]
    elif fields.schedule:
        try:
            parse_cron(fields.schedule)
        except ValueError as error:
            errors["schedule"] = [problem(Reason.CRON_INVALID, error=str(error))]
    out_of_range = _config_problems(fields.config or {})
    if out_of_range:
        errors["config"] = out_of_range
    if errors:
        raise Invalid(errors)


# The config keys every backend reads the same way, and their bounds (docs/harvesting.md):
# (whole numbers only, lowest, highest). A value out of them was taken as the default unsaid.
_CONFIG_BOUNDS = {"page_size": (True, 1, 1000), "delay": (False, 0, 3600)}


def _config_problems(config: Mapping[str, Any]) -> list[Any]:
    problems = []
    for key, (whole, low, high) in _CONFIG_BOUNDS.items():
        if key not in config:
            continue
        value = config[key]
        kinds = int if whole else int | float
        if not isinstance(value, kinds) or isinstance(value, bool) or not low <= value <= high:
            kind = "an integer" if whole else "a number"
            problems.append(
                problem(Reason.HARVEST_CONFIG_OUT_OF_RANGE, key=key, kind=kind, low=low, high=high)
            )
    return problems


def _http_url(url: str) -> bool:
    """An http(s) address with a host, and a port if any that is one: a bracket left open
    (``http://[::1/x``) or a port of letters was a 500 here, or a source failing at each run."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


def _ownership(conn: Connection, actor: Actor, fields: SourceFields) -> tuple[str | None, str | None]:
    """(owner, organization): an organization's source for its admins (or any, for a sysadmin),
    else the caller's own."""
    assert actor.user is not None
    if fields.organization:
        if db_accounts.find_organization(conn, fields.organization) is None:
            raise Invalid({"organization": [problem(Reason.ORGANIZATION_DOES_NOT_EXIST)]})
        role = None if actor.is_sysadmin else actor.role_in(fields.organization)
        if not actor.is_sysadmin and role is None:
            # udata's organization field: a non-member's is a field's error, as for datasets
            raise Invalid({"organization": [problem(Reason.ORGANIZATION_DENIED)]})
        if not actor.is_sysadmin and role != "admin":
            raise PermissionDenied()  # an editor: udata's organization ``harvest`` permission
        return None, fields.organization
    if fields.owner and fields.owner != actor.user.id:
        if not actor.is_sysadmin:
            raise Invalid({"owner": [problem(Reason.OWNER_SELF_ONLY)]})
        if db_accounts.find_user(conn, fields.owner) is None:
            raise Invalid({"owner": [problem(Reason.OWNER_UNKNOWN)]})
        return fields.owner, None
    return actor.user.id, None


def create_source(catalog: Catalog, actor: Actor, fields: SourceFields) -> SourceView:
    check_creations_allowed(catalog.read_only, actor)  # "other namespaces' creations" (udata)
    assert actor.user is not None
    _checked(fields, creating=True)
    now = catalog.clock()
    with catalog.db.write() as conn:
        owner_id, organization_id = _ownership(conn, actor, fields)
        # A sysadmin's source needs no one else's approval; others wait for a sysadmin's.
        validation: dict[str, Any] = (
            {"state": "accepted", "by": actor.user.id, "on": now.isoformat()}
            if actor.is_sysadmin
            else {"state": "pending"}
        )
        source = _new_source(catalog, fields, owner_id, organization_id, validation)
        # Accepted at once, it is scheduled daily as a validation schedules an accepted source (it
        # never ran on its own); the operator's ``harvest add`` leaves it to them (their own timer).
        schedule = source.schedule or (DEFAULT_SCHEDULE if actor.is_sysadmin else None)
        source = replace(source, slug=_slug_for(conn, source.name), schedule=schedule)
        db_harvest.insert_source(conn, source)
        return _views(conn, [source])[0]


def add_source(catalog: Catalog, fields: SourceFields) -> SourceView:
    """A source declared by the machine's operator (``opencat harvest add``): accepted, owned by
    the organization or user named, which must exist."""
    _checked(fields, creating=True)
    with catalog.db.write() as conn:
        if fields.organization and db_accounts.find_organization(conn, fields.organization) is None:
            raise Invalid({"organization": [problem(Reason.ORGANIZATION_DOES_NOT_EXIST)]})
        if fields.owner and db_accounts.find_user(conn, fields.owner) is None:
            raise Invalid({"owner": [problem(Reason.OWNER_UNKNOWN)]})
        owner_id = None if fields.organization else fields.owner
        validation = {
            "state": "accepted",
            "on": catalog.clock().isoformat(),
            "comment": "added by the operator",
        }
        source = _new_source(catalog, fields, owner_id, fields.organization or None, validation)
        source = replace(source, slug=_slug_for(conn, source.name))
        db_harvest.insert_source(conn, source)
        return _views(conn, [source])[0]


def _new_source(
    catalog: Catalog,
    fields: SourceFields,
    owner_id: str | None,
    organization_id: str | None,
    validation: Mapping[str, Any],
) -> HarvestSource:
    now = catalog.clock()
    return HarvestSource(
        id=catalog.new_object_id(),
        name=fields.name or "",
        url=fields.url or "",
        backend=fields.backend or "",
        created_at=now,
        last_modified=now,
        description=fields.description or "",
        config=dict(fields.config or {}),
        owner_id=owner_id,
        organization_id=organization_id,
        active=True if fields.active is None else fields.active,
        autoarchive=True if fields.autoarchive is None else fields.autoarchive,
        schedule=fields.schedule or None,
        validation=validation,
    )


def get_source(catalog: Catalog, ident: str) -> SourceView:
    """Sources are public in udata's API (their list and each one, deleted ones too)."""
    with catalog.db.read() as conn:
        return _views(conn, [_require_source(conn, ident, deleted_too=True)])[0]


def list_sources(
    catalog: Catalog,
    page: int,
    page_size: int,
    owner: str | None = None,
    organization: str | None = None,
    text: str | None = None,
    deleted: bool = False,
) -> Page[SourceView]:
    """udata's list, newest first (its model's ``-created_at``): ``text`` (its ``q``) in the name
    or description; ``deleted`` ones too if asked. ``owner`` and ``organization`` are ids (udata's
    reference filters refuse anything else)."""
    for key, value in (("owner", owner), ("organization", organization)):
        if value is not None and not is_object_id(value):
            raise BadRequest(Reason.FILTER_NOT_AN_ID, key=key)
    with catalog.db.read() as conn:
        sources = db_harvest.list_sources(
            conn, owner_id=owner, organization_id=organization, with_deleted=deleted, text=text
        )[::-1]
        chosen = sources[(page - 1) * page_size : page * page_size]
        return _page(_views(conn, chosen), len(sources), page, page_size)


def update_source(catalog: Catalog, actor: Actor, source_id: str, fields: SourceFields) -> SourceView:
    _checked(fields, creating=False)
    with catalog.db.write() as conn:
        current = _require_source(conn, source_id)
        _require_manager(actor, current)
        changes = {
            name: getattr(fields, name)
            for name in ("name", "url", "backend", "description", "active", "autoarchive", "schedule")
            if getattr(fields, name) is not None
        }
        if fields.config is not None:
            changes["config"] = dict(fields.config)
        if fields.organization is not None or fields.owner is not None:
            _check_producer_kept(actor, current, fields)
            changes["owner_id"], changes["organization_id"] = _ownership(conn, actor, fields)
        if fields.name is not None and fields.name != current.name:
            changes["slug"] = _slug_for(conn, fields.name, current.slug)  # udata's slug follows the name
        source = replace(current, **changes, last_modified=catalog.clock())
        db_harvest.update_source(conn, source)
        return _views(conn, [source])[0]


def _check_producer_kept(actor: Actor, current: HarvestSource, fields: SourceFields) -> None:
    """udata's ``only_creation``: who produces a source is set when it is made; sent again
    unchanged it is no change (clients resend the whole source); sysadmins may move it."""
    if actor.is_sysadmin:
        return
    moved = [
        name
        for name, sent, present in (
            ("organization", fields.organization, current.organization_id),
            ("owner", fields.owner, current.owner_id),
        )
        if sent is not None and sent != present
    ]
    if moved:
        raise Invalid({name: [problem(Reason.PRODUCER_FIXED, field=name)] for name in moved})


def delete_source(catalog: Catalog, actor: Actor, source_id: str) -> SourceView:
    """Soft delete, as udata: the source is gone from lists; its datasets stay. Deleted again,
    it stays as it is (udata's route finds it and answers 204 again)."""
    now = catalog.clock()
    with catalog.db.write() as conn:
        current = _require_source(conn, source_id, deleted_too=True)
        _require_manager(actor, current)
        if current.deleted is not None:
            return _views(conn, [current])[0]
        source = replace(current, deleted=now, last_modified=now)
        db_harvest.update_source(conn, source)
        return _views(conn, [source])[0]


def set_schedule(catalog: Catalog, actor: Actor, source_id: str, schedule: str | None) -> SourceView:
    """A cron schedule (None: unscheduled, run by hand only), set by sysadmins only, as udata's
    ``admin_permission``: how often a source is read is the portal's load to decide."""
    check_may_change(catalog, actor, source_id, sysadmins_only=True)
    return (
        update_source(catalog, actor, source_id, SourceFields(schedule=schedule or ""))
        if schedule
        else (_unschedule(catalog, actor, source_id))
    )


def _unschedule(catalog: Catalog, actor: Actor, source_id: str) -> SourceView:
    with catalog.db.write() as conn:
        current = _require_source(conn, source_id)
        _require_manager(actor, current)
        source = replace(current, schedule=None, last_modified=catalog.clock())
        db_harvest.update_source(conn, source)
        return _views(conn, [source])[0]


# udata's HARVEST_DEFAULT_SCHEDULE: an accepted source runs daily, at midnight UTC.
DEFAULT_SCHEDULE = "0 0 * * *"


def validate_source(
    catalog: Catalog, actor: Actor, source_id: str, state: str, comment: str | None
) -> SourceView:
    """A sysadmin accepts or refuses a source (udata's validation)."""
    if actor.user is None:
        raise Unauthenticated()
    if not actor.is_sysadmin:
        raise PermissionDenied()
    if state not in ("accepted", "refused"):
        raise Invalid({"state": [problem(Reason.NOT_A_CHOICE)]})
    if state == "refused" and not (comment or "").strip():
        raise Invalid({"comment": [problem(Reason.REQUIRED)]})  # udata: required on rejection
    now = catalog.clock()
    with catalog.db.write() as conn:
        current = _require_source(conn, source_id)
        validation = {"state": state, "by": actor.user.id, "on": now.isoformat(), "comment": comment}
        # Accepted, it is harvested: udata schedules it daily (``HARVEST_DEFAULT_SCHEDULE``); a
        # schedule its manager set is kept (udata replaces it).
        schedule = current.schedule or (DEFAULT_SCHEDULE if state == "accepted" else None)
        source = replace(current, validation=validation, schedule=schedule, last_modified=now)
        db_harvest.update_source(conn, source)
        return _views(conn, [source])[0]


def check_may_change(catalog: Catalog, actor: Actor, source_id: str, sysadmins_only: bool = False) -> None:
    """Who asks (401), which source (404), whether they may change it (403): before the body is
    read, as udata's route finds the source and its permission is tested before its form."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.read() as conn:
        source = _require_source(conn, source_id)
    if not (actor.is_sysadmin if sysadmins_only else can_manage(actor, source)):
        raise PermissionDenied()


def require_manageable(catalog: Catalog, actor: Actor, source_id: str) -> HarvestSource:
    """The source, if the caller may manage it (before running it on their behalf)."""
    with catalog.db.read() as conn:
        source = _require_source(conn, source_id)
    _require_manager(actor, source)
    return source


def run_now(catalog: Catalog, actor: Actor, source_id: str, options: RunOptions) -> SourceView:
    """Start a job of the source in the background (udata's ``run``): the answer is the source,
    its last job the one just started; ``Conflict`` while another runs."""
    source = require_manageable(catalog, actor, source_id)
    if source.validation.get("state") != "accepted":
        # As udata: a source waiting for a sysadmin's validation, or refused, publishes nothing
        # (its manager ran it at once, and a refused one again).
        raise BadRequest(Reason.HARVEST_SOURCE_NOT_VALIDATED)
    run_in_background(catalog, source.id, options)
    return get_source(catalog, source.id)


def list_jobs(catalog: Catalog, source_id: str, page: int, page_size: int) -> Page[JobView]:
    """A page of the source's jobs, newest first, each with how many items it holds."""
    with catalog.db.read() as conn:
        source = _require_source(conn, source_id, deleted_too=True)
        jobs, total = db_harvest.jobs_of(conn, source.id, (page - 1) * page_size, page_size)
        items = db_harvest.tally_items_of_jobs(conn, [job.id for job in jobs])
    return _page(
        [JobView(job, source, items.get(job.id, ItemTally())) for job in jobs], total, page, page_size
    )


def get_job(catalog: Catalog, job_id: str) -> JobView:
    with catalog.db.read() as conn:
        return _job_view(conn, job_id)


def _job_view(conn: Connection, job_id: str) -> JobView:
    job = db_harvest.find_job(conn, job_id)
    source = None if job is None else db_harvest.find_source(conn, job.source_id)
    if job is None or source is None:
        raise NotFound(Reason.HARVEST_JOB_MISSING)
    return JobView(job, source, db_harvest.tally_items_of_jobs(conn, [job_id]).get(job_id, ItemTally()))


def list_items(
    catalog: Catalog,
    actor: Actor,
    job_id: str,
    page: int,
    page_size: int,
    statuses: Sequence[ItemStatus] | None = None,
) -> Page[ItemView]:
    """A page of what the job did (created, updated, archived, deleted or failed entries). An
    item's dataset is named only to those who may read it: one made private or deleted since
    keeps its title and slug from the others, as everywhere else."""
    with catalog.db.read() as conn:
        _job_view(conn, job_id)
        items = db_harvest.items_of(conn, job_id, page_size, (page - 1) * page_size, statuses)
        total = db_harvest.count_items(conn, job_id, statuses)
        datasets = db_datasets.fetch_by_ids(conn, {item.dataset_id for item in items if item.dataset_id})
    readable = {ident: dataset for ident, dataset in datasets.items() if can_read(actor, dataset)}
    views = [ItemView(item, readable.get(item.dataset_id or "")) for item in items]
    return _page(views, total, page, page_size)


def harvest_totals(catalog: Catalog) -> tuple[dict[str, Counts], dict[tuple[str, str], int]]:
    """Items by source and result, jobs by source and status, over every job ever run."""
    with catalog.db.read() as conn:
        return db_harvest.totals_by_source(conn)


def preview_source(catalog: Catalog, actor: Actor, source_id: str, options: RunOptions) -> Preview:
    """udata's ``preview`` of a stored source, for those who may preview it: nothing is written."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.read() as conn:
        source = _require_source(conn, source_id)
    if not can_preview(actor, source):
        raise PermissionDenied()
    return harvest_preview.preview(catalog, source, True, options)


def preview_fields(catalog: Catalog, actor: Actor, fields: SourceFields, options: RunOptions) -> Preview:
    """The preview of a source not created yet, for who may create it (the same checks; none in
    read-only mode, as udata's block list holds it)."""
    if actor.user is None:
        raise Unauthenticated()
    check_creations_allowed(catalog.read_only, actor)
    _checked(fields, creating=True)
    with catalog.db.read() as conn:
        owner_id, organization_id = _ownership(conn, actor, fields)
    source = _new_source(catalog, fields, owner_id, organization_id, {"state": "pending"})
    return harvest_preview.preview(catalog, source, False, options)
