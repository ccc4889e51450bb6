"""RDF: content negotiation, one dataset in any serialization, the catalog by pages or streamed."""

import hashlib
import queue
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import BinaryIO
from urllib.parse import quote, urlencode

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import Response, StreamingResponse

from opencat.api import answer_reads, serializers, site_csv
from opencat.api.answer_reads import ANY_DATASET
from opencat.api.conditional import names_current
from opencat.api.datasets import DATASET_MASK
from opencat.api.endpoint import Call, redirect_found
from opencat.api.filters import LIST_ARGUMENTS, dataset_query
from opencat.api.masks import apply_mask
from opencat.api.openapi import describe
from opencat.api.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_HELP, PAGE_SIZE_HELP
from opencat.api.params import Argument, first, positive_int
from opencat.catalog import accounts
from opencat.catalog import rdf as use_cases
from opencat.catalog.access import check_visibility_filters
from opencat.catalog.context import Catalog
from opencat.dcat.formats import JSON_LD_CONTEXT, find_format, negotiate
from opencat.domain.accounts import ANONYMOUS, Organization
from opencat.domain.dates import utc_now
from opencat.domain.errors import BadRequest, NotFound, Reason, TooManyRequests
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters
from opencat.domain.urls import Urls

CATALOG_PAGE_SIZE = 100  # udata's default for the catalog
STREAMED = ("nt", "ttl")
_CHUNK = 64 * 1024
_DONE = b""
# The list's arguments; page_size may also be 0 (the whole catalog, streamed).
CATALOG_ARGUMENTS = tuple(
    Argument(
        "page_size",
        {"type": "integer", "minimum": 0, "maximum": MAX_PAGE_SIZE, "default": CATALOG_PAGE_SIZE},
        f"{PAGE_SIZE_HELP}; 0 streams the whole catalog (nt, ttl)",
    )
    if argument.name == "page_size"
    else argument
    for argument in LIST_ARGUMENTS
)


def _rdf_response(body: bytes, content_type: str) -> Response:
    """The content type exactly as udata sends it: Starlette would add a charset to ``text/n3``."""
    return Response(body, headers={"content-type": content_type})


def _negotiated(location: str) -> Response:
    """A redirect chosen by the ``Accept`` header: a cache keys it by that header too."""
    response = redirect_found(location)
    response.headers["Vary"] = "Accept"
    return response


@describe(
    "Redirect to the dataset's RDF in the serialization the Accept header prefers",
    "rdf_dataset",
    status=302,
    headers=("Accept",),
)
def dataset_rdf_redirect(call: Call) -> Response:
    dataset_id = use_cases.dataset_id_for(call.catalog, call.actor, call.path("ident"))
    return _negotiated(f"/api/1/datasets/{dataset_id}/rdf.{negotiate(call.header('accept'))}")


@describe(
    "The dataset as DCAT-AP 3 RDF (xml, rdf, owl, ttl, n3, nt, trig, json, jsonld, json-ld)",
    "rdf_dataset_format",
    media="*/*",
    errors=(429,),  # a large document while others are being built
)
def dataset_rdf(call: Call) -> Response:
    body, content_type = use_cases.dataset_document(
        call.catalog,
        call.actor,
        call.path("ident"),
        call.path("format"),
        call.urls,
        call.services.settings.site_title,
    )
    answer_reads.note(call, ANY_DATASET)
    return _rdf_response(body, content_type)


@describe(
    "Redirect to the catalog in the serialization the Accept header prefers (its arguments kept)",
    "get_site_rdf_catalog",
    status=302,
    query=CATALOG_ARGUMENTS,
    headers=("Accept",),
)
def site_catalog_redirect(call: Call) -> Response:
    return _negotiated(f"/api/1/site/catalog.{negotiate(call.header('accept'))}{_catalog_arguments(call)}")


# udata's catalog parser is the list's, ``credit`` included (read, never a filter): kept too.
_CATALOG_ARGUMENT_NAMES = frozenset({*(argument.name for argument in CATALOG_ARGUMENTS), "credit"})


def _catalog_arguments(call: Call) -> str:
    """The query a catalog's redirect carries, as udata's (``catalog_parser.parse_args`` then
    ``url_for``): its arguments checked first (a bad value is this request's 400, not the next
    one's), those it knows kept, and its page and page size said."""
    _catalog_query(call)
    kept = [(key, value) for key, value in call.params.multi_items() if key in _CATALOG_ARGUMENT_NAMES]
    sent = {key for key, _ in kept}
    kept += [
        (key, value)
        for key, value in (("page", "1"), ("page_size", str(CATALOG_PAGE_SIZE)))
        if key not in sent
    ]
    return f"?{urlencode(kept)}"


@describe(
    "Redirect to the catalog in the serialization its suffix names (udata's data portal address)",
    "get_site_data_portal",
    status=302,
)
def site_data_portal(call: Call) -> Response:
    # udata's ``url_for`` of the catalog's format: the query is not carried; an unknown suffix
    # is the catalog's 404.
    return redirect_found(f"/api/1/site/catalog.{quote(call.path('format'), safe='')}")


@describe(
    "The JSON-LD context the catalog's JSON-LD uses", "get_site_json_ld_context", media="application/ld+json"
)
def site_json_ld_context(call: Call) -> Response:
    # As udata serves it: the context's terms themselves, not wrapped in ``@context``.
    return Response(orjson.dumps(JSON_LD_CONTEXT), headers={"content-type": "application/ld+json"})


class _Pipe:
    """A file the export thread writes to and the response reads from, with bounded memory."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[bytes] = queue.Queue(maxsize=32)
        self.buffer = bytearray()
        self.closed = False

    def write(self, data: bytes) -> int:
        if self.closed:
            raise BrokenPipeError("the client went away")
        self.buffer += data
        if len(self.buffer) >= _CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self.chunks.put(bytes(self.buffer), timeout=300)
            self.buffer.clear()


class _Failed:
    """What the export thread hands over instead of a chunk when it fails."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _streamed(
    call: Call, produce: Callable[[BinaryIO], object], media_type: str, headers: dict[str, str] | None = None
) -> StreamingResponse:
    """Run the export in a thread and stream what it writes. The first chunk is awaited before
    the status is sent, so an export that fails at once is an error response, not an empty 200;
    a later failure cuts the response short (no final chunk) instead of ending it cleanly.

    A few streams run at once in a process (each reads the whole catalog, and anyone may ask):
    one more is told to retry (429), before anything is read."""
    turns = call.catalog.streamed_exports
    if not turns.acquire(blocking=False):
        raise TooManyRequests(Reason.EXPORTS_BUSY, retry_after=5)
    pipe = _Pipe()
    items: queue.Queue[bytes | _Failed] = pipe.chunks  # type: ignore[assignment]

    def run() -> None:
        try:
            produce(pipe)  # type: ignore[arg-type]
            pipe.flush()
        except (BrokenPipeError, queue.Full):
            pass
        except Exception as error:  # handed to the response, which raises it
            items.put(_Failed(error))
        finally:
            turns.release()
            pipe.chunks.put(_DONE)

    try:
        threading.Thread(target=run, daemon=True, name="opencat-export").start()
    except BaseException:
        turns.release()
        raise
    head = items.get()  # the handler runs in a worker thread: waiting here blocks no event loop
    if isinstance(head, _Failed):
        raise head.error

    async def body() -> AsyncIterator[bytes]:
        try:
            item: bytes | _Failed = head
            while item:
                if isinstance(item, _Failed):
                    raise item.error
                yield item
                item = await run_in_threadpool(items.get)
        finally:
            pipe.closed = True

    return StreamingResponse(body(), headers={"content-type": media_type, **(headers or {})})


@describe(
    "The public catalog as DCAT-AP 3, by pages; page_size=0 streams it whole (nt, ttl)",
    "get_site_rdf_catalog_format",
    media="*/*",
    query=CATALOG_ARGUMENTS,
    headers=("If-None-Match",),
    also=(304,),
    errors=(429,),  # a page of many resources while other large documents are being built
)
def site_catalog(call: Call) -> Response:
    """The list's filters, sort and ``q`` apply, validated as the list validates them."""
    return _catalog(call)


@describe(
    "Redirect to an organization's catalog in the serialization the Accept header prefers (its arguments kept)",
    "rdf_organization",
    status=302,
    query=CATALOG_ARGUMENTS,
    headers=("Accept",),
    errors=(410,),
)
def organization_catalog_redirect(call: Call) -> Response:
    organization = accounts.get_organization(call.catalog, call.path("ident")).organization
    extension = negotiate(call.header("accept"))
    return _negotiated(
        f"/api/1/organizations/{organization.id}/catalog.{extension}{_catalog_arguments(call)}"
    )


@describe(
    "An organization's public datasets as a DCAT-AP 3 catalog, by pages (udata's organization catalog)",
    "rdf_organization_format",
    media="*/*",
    query=CATALOG_ARGUMENTS,
    headers=("If-None-Match",),
    also=(304,),
    errors=(410, 429),
)
def organization_catalog(call: Call) -> Response:
    """Its datasets alone, the list's other filters applying, under its own address and publisher."""
    organization = accounts.get_organization(call.catalog, call.path("ident")).organization
    return _catalog(call, organization)


def _catalog(call: Call, organization: Organization | None = None) -> Response:
    suffix = call.path("format").lower()
    chosen = find_format(suffix)
    if chosen is None:
        raise NotFound()
    query, page_size = _catalog_query(call)
    settings = call.services.settings
    if page_size == 0:
        if organization is not None:
            raise BadRequest("An organization's catalog is read by pages (the site's is streamed whole)")
        if chosen.extension not in STREAMED:
            raise BadRequest("The whole catalog is streamed as N-Triples (.nt) or Turtle (.ttl) only")
        check_visibility_filters(call.actor, query)  # before the response starts
        return _streamed(
            call,
            lambda out: use_cases.export_catalog(
                call.catalog,
                call.urls,
                out,
                chosen.extension,
                settings.site_title,
                query,
                call.actor,
                language=settings.default_language,  # udata's DEFAULT_LANGUAGE, whatever the caller's
            ),
            chosen.content_type,
        )
    body, content_type = use_cases.catalog_page(
        call.catalog,
        call.actor,
        call.urls,
        suffix,
        query,
        settings.site_title,
        urlencode(_filters(call)),
        organization,
        language=settings.default_language,
    )
    # A digest of the page's bytes: a harvester that kept it asks again with it and gets a 304
    # without the page (its bytes are still made: what the catalog holds says nothing of one page).
    tag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    headers = {"content-type": content_type, "ETag": tag, "Vary": CATALOG_VARY}
    match = call.header("if-none-match")
    if match is not None and names_current(match, tag):  # weak comparison, ``*`` too (RFC 9110)
        del headers["content-type"]
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers)


# A signed-in caller's page may list the datasets it may see: a cache keys the page by its key too.
CATALOG_VARY = "X-API-KEY, Cookie"


def _catalog_query(call: Call) -> tuple[DatasetQuery, int]:
    """The list's arguments, as the list checks them, with the catalog's page size (0: whole)."""
    page_size = _page_size(call)
    page = positive_int(call.params, "page", 1, PAGE_HELP, MAX_PAGE)
    return replace(
        dataset_query(QueryParams(_filters(call))), page=page, page_size=max(page_size, 1)
    ), page_size


def _filters(call: Call) -> list[tuple[str, str]]:
    """The query's arguments but the paging, in the order sent (the page's links repeat them)."""
    return [(key, value) for key, value in call.params.multi_items() if key not in ("page", "page_size")]


def _page_size(call: Call) -> int:
    if first(call.params, "page_size") == "0":
        return 0
    return positive_int(call.params, "page_size", CATALOG_PAGE_SIZE, PAGE_SIZE_HELP, MAX_PAGE_SIZE)


def write_json_lines(cat: Catalog, urls: Urls, out: BinaryIO) -> int:
    """Every public dataset in the API's own shape (as an anonymous reader sees it), one per line."""
    count = 0
    for views in use_cases.public_datasets(cat):
        now = utc_now()
        for view in views:
            document = apply_mask(serializers.dataset(view, ANONYMOUS, urls, now), DATASET_MASK)
            out.write(orjson.dumps(document, option=orjson.OPT_SORT_KEYS) + b"\n")
            count += 1
    return count


@describe(
    "The public catalog as JSON Lines: one dataset per line, in the API's shape",
    "get_site_datasets_jsonl",
    media="application/x-ndjson",
    errors=(429,),  # while other whole-catalog exports run
)
def site_datasets_jsonl(call: Call) -> Response:
    return _streamed(call, lambda out: write_json_lines(call.catalog, call.urls, out), "application/x-ndjson")


# udata's CSV exports read the list's arguments (validated as the list validates them), but write
# every match, by id without filters: paging and order are not theirs.
CSV_ARGUMENTS = LIST_ARGUMENTS


def _csv_export(call: Call, name: str, write: Callable[..., int]) -> StreamingResponse:
    query = replace(dataset_query(call.params), sort=None, page=1)
    stamp = utc_now().strftime("%Y-%m-%d-%H-%M")
    return _streamed(
        call,
        lambda out: write(call.catalog, call.urls, out, query),
        "text/csv; charset=utf-8",
        {"content-disposition": f"attachment; filename={name}-{stamp}.csv"},
    )


def _organization_export(call: Call, name: str, write: Callable[..., int]) -> StreamingResponse:
    """An organization's public datasets, archived ones left out (udata's ``visible()``), named
    after its slug; 404 or 410 as the organization's read."""
    organization = accounts.get_organization(call.catalog, call.path("ident")).organization
    query = DatasetQuery(filters=SearchFilters(organization=organization.id))
    stamp = utc_now().strftime("%Y-%m-%d-%H-%M")
    return _streamed(
        call,
        lambda out: write(call.catalog, call.urls, out, query, with_archived=False),
        "text/csv; charset=utf-8",
        {"content-disposition": f"attachment; filename={organization.slug}-{name}-{stamp}.csv"},
    )


@describe(
    "An organization's public datasets as udata's CSV export, a row each (archived ones left out)",
    "get_organization_datasets_csv",
    media="text/csv",
    errors=(410, 429),
)
def organization_datasets_csv(call: Call) -> Response:
    return _organization_export(call, "datasets", site_csv.write_datasets)


@describe(
    "The resources of an organization's public datasets as udata's CSV export, a row each",
    "get_organization_datasets_resources_csv",
    media="text/csv",
    errors=(410, 429),
)
def organization_resources_csv(call: Call) -> Response:
    return _organization_export(call, "datasets-resources", site_csv.write_resources)


@describe(
    "The public datasets as udata's CSV export, a row each (archived ones included; the list's filters apply)",
    "get_site_datasets_csv",
    media="text/csv",
    query=CSV_ARGUMENTS,
    errors=(429,),  # while other whole-catalog exports run
)
def site_datasets_csv(call: Call) -> Response:
    return _csv_export(call, "datasets", site_csv.write_datasets)


@describe(
    "The resources of the public datasets as udata's CSV export, a row each (the list's filters apply)",
    "get_site_resources_csv",
    media="text/csv",
    query=CSV_ARGUMENTS,
    errors=(429,),  # while other whole-catalog exports run
)
def site_resources_csv(call: Call) -> Response:
    return _csv_export(call, "resources", site_csv.write_resources)
