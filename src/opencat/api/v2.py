"""API v2 reads: the search with facets, the list, one dataset, its paginated resources and
the schemas they declare (the extras: api/extras.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from opencat.api import answer_reads, serializers
from opencat.api.answer_reads import ANY_DATASET
from opencat.api.datasets import VARY, full_objects
from opencat.api.endpoint import Call, Reply
from opencat.api.filters import LIST_ARGUMENTS, dataset_query
from opencat.api.filters_v2 import SEARCH_ARGUMENTS, search_arguments
from opencat.api.openapi import describe
from opencat.api.pagination import MAX_PAGE, envelope, page_arguments, paging, resources_envelope
from opencat.api.params import LANGUAGE, first, text_argument
from opencat.catalog import datasets as catalog_datasets
from opencat.catalog import faceted_search, references
from opencat.catalog import resources as catalog_resources
from opencat.catalog.spatial import SpatialObjects
from opencat.catalog.views import DatasetView
from opencat.domain.dates import utc_now
from opencat.domain.errors import BadRequest
from opencat.domain.queries import Page
from opencat.domain.references import NOT_SPECIFIED, Frequency, License

# API v2 keeps the model's field order (udata-responses call 101).
FIELDS = (
    "id", "title", "acronym", "slug", "description", "description_short", "created_at", "last_modified",
    "deleted", "private", "tags", "badges", "resources", "community_resources", "frequency", "frequency_date",
    "extras", "metrics", "organization", "owner", "temporal_coverage", "spatial", "license", "access_type",
    "access_audiences", "access_type_reason_category", "access_type_reason", "authorization_request_url",
    "uri", "page", "last_update", "archived", "doi", "quality", "harvest", "geopf", "internal",
    "contact_points", "featured", "permissions",
)  # fmt: skip
RESOURCES_PAGE_SIZE = 50
# A page of one dataset's resources is at most all of them (``OPENCAT_MAX_RESOURCES_PER_DATASET``):
# udata takes any positive size there, and clients ask for every resource at once with one
# (``page_size=999999``), which the lists' bound of 1,000 refused.
RESOURCES_MAX_PAGE_SIZE = MAX_PAGE

RESOURCES_ARGUMENTS = (
    *paging(RESOURCES_PAGE_SIZE, RESOURCES_MAX_PAGE_SIZE),
    text_argument("type", "Only resources of this type"),
    text_argument("q", "Resources whose title contains this"),
)


def _link(href: str, total: int) -> dict[str, Any]:
    return {"rel": "subsection", "href": href, "type": "GET", "total": total}


@dataclass(frozen=True)
class FullObjects:
    """What ``X-Get-Datasets-Full-Objects`` renders as objects in v2: v1's zones and granularity,
    and the frequency and the license (udata: udata/core/dataset/apiv2.py, dataset_fields)."""

    spatial: SpatialObjects
    frequencies: Mapping[str, Frequency]
    licenses: Mapping[str, License]


def full_objects_v2(call: Call, views: Sequence[DatasetView]) -> FullObjects | None:
    spatial = full_objects(call, views)
    if spatial is None:
        return None
    frequencies = {item.id: item for item in references.list_frequencies(call.catalog)}
    licenses = {item.id: item for item in references.list_licenses(call.catalog)}
    return FullObjects(spatial, frequencies, licenses)


def dataset_v2(call: Call, view: DatasetView, objects: FullObjects | None = None) -> dict[str, Any]:
    if objects is None:
        v1 = serializers.dataset(view, call.actor, call.urls, utc_now())
    else:
        spatial = objects.spatial
        v1 = serializers.dataset(view, call.actor, call.urls, utc_now(), spatial.zones, spatial.granularities)
    dataset_id = view.dataset.id
    v1["resources"] = _link(
        f"{call.urls.base}/api/2/datasets/{dataset_id}/resources/?page=1&page_size={RESOURCES_PAGE_SIZE}",
        len(view.resources),
    )
    v1["community_resources"] = _link(
        f"{call.urls.base}/api/1/datasets/community_resources/?dataset={dataset_id}&page=1&page_size=50",
        len(view.community_resources),
    )
    v1["license"] = view.dataset.license  # v2 says null when no license is set
    if objects is not None:
        frequency = objects.frequencies.get(v1["frequency"])
        if frequency is not None:
            v1["frequency"] = serializers.frequency_item(frequency, call.language)
        # udata marshals the dataset's license, or its default one when it has none.
        license_ = objects.licenses.get(view.dataset.license or "") or objects.licenses.get(NOT_SPECIFIED)
        if license_ is not None:
            v1["license"] = serializers.license_item(license_)
    return {name: v1[name] for name in FIELDS}


def _page(call: Call, page: Page[DatasetView]) -> dict[str, Any]:
    """A page of datasets in v2's shape, in the pagination envelope."""
    objects = full_objects_v2(call, page.items)
    return envelope(
        page, lambda view: dataset_v2(call, view, objects), call.urls.base, call.request.url.path, call.params
    )


def _facets(call: Call, result: faceted_search.SearchResult) -> dict[str, list[dict[str, Any]]]:
    facets: dict[str, list[dict[str, Any]]] = {}
    for name, buckets in result.facets.items():
        if name == "organization":
            facets[name] = [
                {
                    "id": key,
                    "name": result.organizations[key].name if key in result.organizations else None,
                    "count": n,
                }
                for key, n in buckets
            ]
        else:
            facets[name] = [{"name": key, "count": n} for key, n in buckets]
    return facets


# udata's ``ES_MAX_RESULT_WINDOW`` (udata/search/query.py): no page of the search ends past it.
RESULT_WINDOW = 10_000


def _check_window(page: int, page_size: int) -> None:
    if page * page_size > RESULT_WINDOW:
        raise BadRequest(
            f"Result window is too large: page {page} with page_size {page_size} exceeds the maximum of "
            f"{RESULT_WINDOW} results. Maximum page for this page_size is {RESULT_WINDOW // page_size}."
        )


@describe(
    "Search public datasets, with facets (API v2)",
    "search_datasets",
    returns="DatasetV2SearchPage",
    query=(*SEARCH_ARGUMENTS, LANGUAGE),
    headers=("X-Get-Datasets-Full-Objects",),
)
def search(call: Call) -> Reply:
    arguments = search_arguments(call.params)
    _check_window(arguments.query.page, arguments.query.page_size)
    result = faceted_search.search(
        call.catalog,
        arguments.query,
        arguments.last_update_range,
        arguments.include_geozone_ancestors,
        empty_past_end=True,  # udata's search service never answers 404 (its Paginable)
        identifiers=True,
    )
    # udata's ``SearchResult.page``: 1 when nothing matched, whatever page was asked.
    page = result.page if result.page.total else replace(result.page, page=1)
    body = _page(call, page)
    body["facets"] = _facets(call, result)
    answer_reads.note(call, ANY_DATASET)
    return Reply(body, sort_keys=False, headers={"Vary": VARY})


@describe(
    "List or filter datasets, with links to their resources (API v2)",
    "list_datasets_v2",
    returns="DatasetV2Page",
    query=(*LIST_ARGUMENTS, LANGUAGE),
    headers=("X-Get-Datasets-Full-Objects",),
)
def list_datasets(call: Call) -> Reply:
    """API v1's list (its filters, sorts and visibility), each dataset in v2's shape."""
    page = catalog_datasets.list_datasets(
        call.catalog, call.actor, dataset_query(call.params), with_community=True
    )
    answer_reads.note(call, ANY_DATASET)
    return Reply(_page(call, page), sort_keys=False, headers={"Vary": VARY})


@describe(
    "The distinct schemas a dataset's resources declare (API v2)", "get_dataset_schemas", returns="SchemaList"
)
def dataset_schemas(call: Call) -> Reply:
    schemas = catalog_resources.resource_schemas(call.catalog, call.actor, call.path("ident"))
    # udata's Schema model: its three fields, in its order, null when missing.
    fields = ("name", "version", "url")
    body = [
        {key: None if schema.get(key) is None else str(schema[key]) for key in fields} for schema in schemas
    ]
    return Reply(body, sort_keys=False)


@describe(
    "A dataset, with links to its resources (API v2)",
    "get_dataset_v2",
    returns="DatasetV2",
    query=(LANGUAGE,),
    headers=("X-Get-Datasets-Full-Objects",),
)
def get_dataset(call: Call) -> Reply:
    view = catalog_datasets.get_dataset(call.catalog, call.actor, call.path("ident"), with_community=True)
    # Its permissions are the caller's: a cache keys it by the key, as v1's (the mask, the objects).
    return Reply(
        dataset_v2(call, view, full_objects_v2(call, [view])), sort_keys=False, headers={"Vary": VARY}
    )


@describe(
    "The resources of a dataset, by pages (API v2)",
    "list_resources",
    returns="ResourcePage",
    query=RESOURCES_ARGUMENTS,
)
def list_resources(call: Call) -> Reply:
    page, page_size = page_arguments(call.params, RESOURCES_PAGE_SIZE, RESOURCES_MAX_PAGE_SIZE)
    # reqparse reads the first of a repeated argument; an empty one is no filter (udata tests its truth)
    kind = first(call.params, "type") or None
    text = first(call.params, "q") or None
    dataset_id, result = catalog_datasets.resources_page(
        call.catalog, call.actor, call.path("ident"), page, page_size, kind, text
    )
    now = utc_now()
    body = resources_envelope(
        result,
        lambda item: serializers.resource(item, call.urls, now),
        call.urls.base,
        f"/api/2/datasets/{dataset_id}/resources/",  # by id, as udata: links that outlive a rename
        [("type", kind), ("q", text)],
    )
    return Reply(body, sort_keys=False)
