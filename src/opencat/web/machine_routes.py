"""The routes of what machines read beside the pages: /sitemap.xml, its pages, /robots.txt and
/opensearch.xml. They are not API operations, so they stay out of the OpenAPI document."""

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from opencat.catalog import sitemaps as use_cases
from opencat.catalog.context import Catalog
from opencat.catalog.sitemaps import Entry
from opencat.domain.urls import Urls
from opencat.web import machine_texts

XML = "application/xml"
# Crawlers come back daily at most; a page of 10,000 URLs need not be read again within the hour.
CACHED = {"Cache-Control": "public, max-age=3600"}


def routes(catalog: Catalog, urls: Urls, site_title: str) -> list[Route]:
    async def index(_request: Request) -> Response:
        found = await run_in_threadpool(use_cases.sitemap_index, catalog)
        return Response(machine_texts.sitemap_index(found, urls), headers=CACHED, media_type=XML)

    async def datasets(request: Request) -> Response:
        entries = await run_in_threadpool(use_cases.dataset_entries, catalog, request.path_params["first"])
        return _urlset(entries, urls.dataset_page)

    async def organizations(request: Request) -> Response:
        entries = await run_in_threadpool(
            use_cases.organization_entries, catalog, request.path_params["first"]
        )
        return _urlset(entries, urls.organization_page)

    async def robots(_request: Request) -> Response:
        return Response(machine_texts.robots_txt(urls), headers=CACHED, media_type="text/plain")

    async def opensearch(_request: Request) -> Response:
        body = machine_texts.opensearch_description(urls, site_title)
        return Response(body, headers=CACHED, media_type="application/opensearchdescription+xml")

    return [
        Route("/sitemap.xml", index, include_in_schema=False),
        Route("/sitemaps/datasets-{first}.xml", datasets, include_in_schema=False),
        Route("/sitemaps/organizations-{first}.xml", organizations, include_in_schema=False),
        Route("/robots.txt", robots, include_in_schema=False),
        Route("/opensearch.xml", opensearch, include_in_schema=False),
    ]


def _urlset(entries: list[Entry], page: Callable[[str], str]) -> Response:
    body = machine_texts.urlset((page(entry.slug), entry) for entry in entries)
    return Response(body, headers=CACHED, media_type=XML)
