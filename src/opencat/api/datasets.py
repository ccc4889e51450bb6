"""Handlers of ``/api/1/datasets/``: parse, call one use case, return data."""

import hashlib
from collections.abc import Sequence
from datetime import datetime

from starlette.responses import Response

from opencat.api import answer_reads, serializers
from opencat.api.answer_reads import ANY_DATASET
from opencat.api.conditional import names_current
from opencat.api.endpoint import Call, Reply
from opencat.api.filters import LIST_ARGUMENTS, dataset_query
from opencat.api.inputs import DatasetBody, dataset_changes
from opencat.api.mask_models import check_fits
from opencat.api.masks import Mask, parse_mask
from opencat.api.openapi import describe
from opencat.api.pagination import envelope
from opencat.api.params import LANGUAGE, boolean, boolean_argument, first, text_argument
from opencat.catalog import dashboard
from opencat.catalog import datasets as use_cases
from opencat.catalog import spatial as catalog_spatial
from opencat.catalog.spatial import SpatialObjects
from opencat.catalog.views import DatasetView
from opencat.domain import permissions
from opencat.domain.changes import Submitted
from opencat.domain.datasets import Dataset
from opencat.domain.dates import utc_now
from opencat.domain.quality import clock_stamp, clock_stamp_until
from opencat.domain.queries import DatasetQuery, Page
from opencat.domain.search import AnswerReads, SearchRequest, fields_read, words_of

DATASET_MASK = Mask.of(serializers.DATASET_DEFAULT_FIELDS)
PAGE_MASK = Mask({"data": DATASET_MASK}, star=True)
VARY = "X-API-KEY, X-Fields, X-Get-Datasets-Full-Objects"
# The scope's key of the instant a dataset answer's ETag stops naming its clock stamp (``etag``).
ETAG_UNTIL = "opencat.etag_until"
# udata's help text, the start of its 400 (udata's add_send_legal_notice_argument).
LEGAL_NOTICE_HELP = "Send formal legal notice with appeal information to owner (admin only)"


def etag_of(dataset_id: str, revision: int, stamp: str, variant: str = "") -> str:
    """A dataset's ETag: its id and revision, the ``stamp`` of what its answer derives from the
    clock (``domain.quality.clock_stamp``), and, for any representation but the one an anonymous
    caller gets without headers, a ``.variant`` naming it (each ``Vary`` header is another
    representation, which a cache must not confirm with another's tag)."""
    suffix = f"{stamp}.{variant}" if variant else stamp
    return f'"{dataset_id}-{revision}+{suffix}"'


def etag(call: Call, dataset: Dataset, last_update: datetime, now: datetime) -> str:
    """The ETag of the representation of ``dataset`` this call gets at ``now``; until when its
    clock stamp holds is noted in the request's scope (``ETAG_UNTIL``) for the layer that
    remembers anonymous answers' ETags (api/current_copies.py)."""
    stamp = clock_stamp(dataset.frequency, last_update, now)
    call.request.scope[ETAG_UNTIL] = clock_stamp_until(dataset.frequency, last_update, now)
    return etag_of(dataset.id, dataset.revision, stamp, _variant(call, dataset))


def _variant(call: Call, dataset: Dataset) -> str:
    """What, beside the dataset's revision, the answer depends on: the mask, the full objects,
    and the caller's permissions shown in it (``permissions`` of the dataset and of its
    organization); empty when all are as for an anonymous caller."""
    parts = []
    mask = call.header("x-fields")
    if mask:
        parts.append(f"fields={mask}")
    if call.header("x-get-datasets-full-objects"):
        parts.append("full")
    if permissions.can_edit(call.actor, dataset):
        parts.append("edit")
    if dataset.organization_id is not None:
        granted = permissions.organization_permissions(call.actor, dataset.organization_id)
        parts.extend(f"org-{name}" for name, allowed in granted.items() if allowed)
    if not parts:
        return ""
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=6).hexdigest()


def _with_community(call: Call) -> bool:
    """Community resources are out of the default mask: load them only when a mask asks."""
    mask = call.header("x-fields") or ""
    return "community_resources" in mask or "*" in mask


def full_objects(call: Call, views: Sequence[DatasetView]) -> SpatialObjects | None:
    """Zones and granularity become objects when this header has any value (udata: udata/core/spatial/models.py)."""
    if not call.header("x-get-datasets-full-objects"):
        return None
    return catalog_spatial.spatial_objects(call.catalog, [view.dataset for view in views], call.language)


def _render(
    call: Call, view: DatasetView, objects: SpatialObjects | None = None, now: datetime | None = None
) -> dict[str, object]:
    now = now or utc_now()
    if objects is None:
        return serializers.dataset(view, call.actor, call.urls, now)
    return serializers.dataset(view, call.actor, call.urls, now, objects.zones, objects.granularities)


def _dataset_reply(call: Call, view: DatasetView, status: int = 200, *, read: bool = False) -> Reply:
    """``read``: the view was read from the dataset's row, which holds the ``last_update`` stored
    with its revision: its ETag's clock stamp is then computed from it, as a conditional read
    computes it (a resource's harvested date still to come when it was written is counted by
    the rendering once past, not by the stored value; the two must not disagree). A write's
    view renders the value it just stored."""
    now = utc_now()  # one instant for the answer and its ETag's clock stamp
    body = _render(call, view, full_objects(call, [view]), now)
    stored = view.dataset.stored_last_update if read else None
    tag = etag(call, view.dataset, stored or view.last_update(now), now)
    return Reply(body, status, DATASET_MASK, {"ETag": tag, "Vary": VARY})


def _page_reply(call: Call, page: Page[DatasetView]) -> Reply:
    """A page of datasets in the list's envelope, with the list's default mask."""
    objects = full_objects(call, page.items)
    body = envelope(
        page, lambda view: _render(call, view, objects), call.urls.base, call.request.url.path, call.params
    )
    return Reply(body, mask=PAGE_MASK, headers={"Vary": VARY})


@describe(
    "List or filter datasets",
    "list_datasets",
    returns="DatasetPage",
    query=(*LIST_ARGUMENTS, LANGUAGE),
    headers=("X-Get-Datasets-Full-Objects",),
)
def list_datasets(call: Call) -> Reply:
    query = dataset_query(call.params)
    page = use_cases.list_datasets(call.catalog, call.actor, query, _with_community(call))
    answer_reads.note(call, _listing_reads(query, page))
    return _page_reply(call, page)


def _listing_reads(query: DatasetQuery, page: Page[DatasetView]) -> AnswerReads:
    """The page's datasets, and the search fields that chose and ordered them. The datasets a
    user follows are chosen by the follows themselves: any follow may change that page."""
    if query.followed_by is not None:
        return ANY_DATASET
    request = SearchRequest(words=words_of(query.q), filters=query.filters, sort=query.sort)
    return AnswerReads(frozenset(view.dataset.id for view in page.items), fields_read(request))


@describe(
    "List an organization's datasets (its private ones for its members)",
    "list_organization_datasets",
    returns="DatasetPage",
    query=(*LIST_ARGUMENTS, LANGUAGE),
    headers=("X-Get-Datasets-Full-Objects",),
    errors=(410,),
)
def list_organization_datasets(call: Call) -> Reply:
    # udata checks every argument of the dataset list, and applies only the order and the page.
    page = use_cases.organization_datasets(
        call.catalog, call.actor, call.path("ident"), dataset_query(call.params)
    )
    return _page_reply(call, page)


def _list_reply(call: Call, views: list[DatasetView]) -> Reply:
    """A whole list of datasets (udata's ``marshal_list_with``), each with a dataset's default mask."""
    objects = full_objects(call, views)
    return Reply([_render(call, view, objects) for view in views], mask=DATASET_MASK, headers={"Vary": VARY})


@describe(
    "List all my datasets (including private ones)",
    "my_datasets",
    returns="DatasetList",
    query=(LANGUAGE,),
    headers=("X-Get-Datasets-Full-Objects",),
    auth="required",
)
def list_my_datasets(call: Call) -> Reply:
    return _list_reply(
        call, dashboard.owned_datasets(call.catalog, call.actor, with_organizations=False, q=None)
    )


@describe(
    "List all datasets related to me and my organizations",
    "my_org_datasets",
    returns="DatasetList",
    query=(text_argument("q", "The string to filter items"), LANGUAGE),
    headers=("X-Get-Datasets-Full-Objects",),
    auth="required",
)
def list_my_org_datasets(call: Call) -> Reply:
    q = first(call.params, "q")
    views = dashboard.owned_datasets(call.catalog, call.actor, with_organizations=True, q=q)
    return _list_reply(call, views)


@describe(
    "Create a dataset",
    "create_dataset",
    status=201,
    returns="Dataset",
    body=DatasetBody,
    auth="required",
    creates=True,
)
def create_dataset(call: Call) -> Reply:
    submitted = Submitted.parse(
        lambda: dataset_changes(call.json_object(), creating=True, files_url=call.files_url)
    )
    view = use_cases.create_dataset(call.catalog, call.actor, submitted)
    return _dataset_reply(call, view, 201)


@describe(
    "Get a dataset by id or slug",
    "get_dataset",
    returns="Dataset",
    query=(LANGUAGE,),
    headers=("If-None-Match", "X-Get-Datasets-Full-Objects"),
    also=(304,),
)
def get_dataset(call: Call) -> Reply | Response:
    match = call.header("if-none-match")
    if match is not None:  # the dataset's row alone says whether the client's copy is current
        # A mask the answer could not take is its 400 first: a 304 would confirm a copy of an
        # answer that cannot exist (RFC 9110 13.2.1: preconditions follow a 2xx's checks).
        mask = call.header("x-fields")
        if mask:
            check_fits(parse_mask(mask), "Dataset")
        row = use_cases.get_dataset_row(call.catalog, call.actor, call.path("ident"))
        tag = etag(call, row, row.stored_last_update or row.last_modified, utc_now())
        if names_current(match, tag):
            return Response(status_code=304, headers={"ETag": tag, "Vary": VARY})
    view = use_cases.get_dataset(call.catalog, call.actor, call.path("ident"), _with_community(call))
    answer_reads.note(call, AnswerReads(frozenset({view.dataset.id})))
    return _dataset_reply(call, view, read=True)


def _restoring(call: Call) -> bool:
    """Whether the body asks to undelete (``"deleted": null``), read before any validation."""
    try:
        body = call.json_object()
    except Exception:
        return False
    return "deleted" in body and body["deleted"] is None


@describe(
    "Update the sent fields of a dataset (PUT and PATCH alike)",
    "update_dataset",
    returns="Dataset",
    body=DatasetBody,
    headers=("If-Match", "X-Get-Datasets-Full-Objects"),
    query=(LANGUAGE,),
    auth="required",
    errors=(412,),
)
def update_dataset(call: Call) -> Reply:
    ident = call.path("ident")
    submitted = Submitted.parse(
        lambda: dataset_changes(call.json_object(), creating=False, files_url=call.files_url)
    )
    view = use_cases.update_dataset(
        call.catalog,
        call.actor,
        ident,
        submitted,
        restoring=_restoring(call),
        expected_versions=call.if_match(),
    )
    return _dataset_reply(call, view)


@describe(
    "Soft-delete a dataset",
    "delete_dataset",
    status=204,
    headers=("If-Match",),
    query=(boolean_argument("send_legal_notice", LEGAL_NOTICE_HELP),),
    auth="required",
    errors=(412,),
)
def delete_dataset(call: Call) -> Reply:
    ident = call.path("ident")
    if call.actor.user is not None:
        # Read once the caller is known (udata's 401 comes first), before 404, 410 and 403, as
        # udata's reqparse reads it. udata then mails a legal notice for a sysadmin: opencat does not.
        boolean(call.params, "send_legal_notice", LEGAL_NOTICE_HELP)
    use_cases.delete_dataset(call.catalog, call.actor, ident, expected_versions=call.if_match())
    return Reply(status=204)
