"""Datasets and the whole catalog as DCAT-AP 3 (udata-behaviour §1.8), page by page or streamed."""

from collections.abc import Iterator, Sequence
from typing import BinaryIO

from opencat.catalog import search as catalog_search
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import check_readable, find_dataset
from opencat.catalog.views import DatasetView, assemble
from opencat.db import datasets as db_datasets
from opencat.db import geozones as db_geozones
from opencat.db.engine import Connection
from opencat.db.references import fetch_licenses
from opencat.dcat.formats import Format, find_format, serialize
from opencat.dcat.graph import catalog_graph, dataset_graph
from opencat.dcat.inputs import DcatInput
from opencat.dcat.stream import write_catalog
from opencat.domain.accounts import Actor
from opencat.domain.errors import Gone, NotFound
from opencat.domain.search import SearchRequest, Visibility
from opencat.domain.urls import Urls

EXPORT_BATCH = 500


def _inputs(catalog: Catalog, conn: Connection, views: Sequence[DatasetView]) -> list[DcatInput]:
    """What the graph builders need, in a bounded number of queries for the whole batch."""
    licenses = {item.id: item for item in fetch_licenses(conn)}
    zone_ids = {zone for view in views if view.dataset.spatial for zone in view.dataset.spatial.zones}
    zones = db_geozones.fetch_zones(conn, zone_ids) if zone_ids else {}
    now = catalog.clock()
    return [
        DcatInput(
            dataset=view.dataset,
            resources=view.resources,
            organization=view.organization,
            owner=view.owner,
            contact_points=view.contact_points,
            licenses=licenses,
            zones=zones,
            now=now,
            themes=[catalog.dcat_themes[tag] for tag in view.dataset.tags if tag in catalog.dcat_themes],
        )
        for view in views
    ]


def _format(suffix: str) -> Format:
    """The serialization a suffix names; any other suffix is a 404 (udata answers 500 to some)."""
    chosen = find_format(suffix.lower())
    if chosen is None:
        raise NotFound()
    return chosen


def dataset_id_for(catalog: Catalog, ident: str) -> str:
    """The id the negotiated redirect points to; no permission check here, as in udata."""
    with catalog.db.read() as conn:
        return find_dataset(conn, ident).id


def dataset_document(
    catalog: Catalog, actor: Actor, ident: str, suffix: str, urls: Urls, site_title: str
) -> tuple[bytes, str]:
    """One dataset in the serialization its suffix names; the read rules of the JSON API apply."""
    chosen = _format(suffix)
    with catalog.db.read() as conn:
        dataset = find_dataset(conn, ident)
        try:
            check_readable(actor, dataset)
        except Gone:
            raise Gone() from None  # udata answers its generic 410 text here
        item = _inputs(catalog, conn, assemble(conn, [dataset]))[0]
    graph = dataset_graph(item, urls, site_title=site_title)
    return serialize(graph, chosen.extension), chosen.content_type


def catalog_page(
    catalog: Catalog, urls: Urls, suffix: str, page: int, page_size: int, site_title: str
) -> tuple[bytes, str]:
    """One page of the public catalog, newest first, with hydra paging."""
    chosen = _format(suffix)
    request = SearchRequest(visibility=Visibility(), offset=(page - 1) * page_size, limit=page_size)
    hits = catalog_search.search(catalog, request)
    with catalog.db.read() as conn:
        found = db_datasets.fetch_by_ids(conn, hits.ids)
        items = _inputs(catalog, conn, assemble(conn, [found[i] for i in hits.ids if i in found]))
    graph = catalog_graph(items, urls, page, page_size, hits.total, site_title, extension=chosen.extension)
    return serialize(graph, chosen.extension), chosen.content_type


def public_datasets(catalog: Catalog) -> Iterator[list[DatasetView]]:
    """Every public dataset, in batches, walking the database by id: memory stays flat."""
    after = ""
    while True:
        with catalog.db.read() as conn:
            ids = db_datasets.public_ids_after(conn, after, EXPORT_BATCH)
            if not ids:
                return
            found = db_datasets.fetch_by_ids(conn, ids)
            views = assemble(conn, [found[i] for i in ids if i in found])
        yield views
        after = ids[-1]


def _all_inputs(catalog: Catalog) -> Iterator[DcatInput]:
    for views in public_datasets(catalog):
        with catalog.db.read() as conn:
            yield from _inputs(catalog, conn, views)


def export_catalog(catalog: Catalog, urls: Urls, out: BinaryIO, fmt: str, site_title: str) -> int:
    """The whole public catalog as N-Triples or Turtle, written as it is read; returns the count."""
    return write_catalog(
        _all_inputs(catalog), urls, out, "ttl" if fmt == "ttl" else "nt", site_title=site_title
    )
