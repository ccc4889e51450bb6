"""Datasets and the whole catalog as DCAT-AP 3 (udata: udata/core/dataset/rdf.py), page by page or streamed."""

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import BinaryIO

from opencat.catalog import listing, spatial
from opencat.catalog.access import check_readable, check_visibility_filters, require_dataset
from opencat.catalog.context import LARGE_RDF_RESOURCES, Catalog
from opencat.catalog.views import DatasetView, assemble
from opencat.db import datasets as db_datasets
from opencat.db.engine import Connection
from opencat.db.references import fetch_licenses
from opencat.dcat.formats import Format, find_format, serialize
from opencat.dcat.graph import catalog_graph, dataset_graph
from opencat.dcat.inputs import DcatInput
from opencat.dcat.stream import write_catalog
from opencat.domain.accounts import ANONYMOUS, Actor, Organization
from opencat.domain.datasets import Dataset
from opencat.domain.errors import Gone, NotFound, Reason, TooManyRequests
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters, Visibility, may_see
from opencat.domain.urls import Urls

EXPORT_BATCH = 500


def _inputs(catalog: Catalog, conn: Connection, views: Sequence[DatasetView]) -> list[DcatInput]:
    """What the graph builders need, in a bounded number of queries for the whole batch."""
    licenses = {item.id: item for item in fetch_licenses(conn)}
    zone_ids = {zone for view in views if view.dataset.spatial for zone in view.dataset.spatial.zones}
    zones = spatial.zones_of(catalog, zone_ids, conn) if zone_ids else {}  # "…@1943-01-01" is its zone too
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


def dataset_id_for(catalog: Catalog, actor: Actor, ident: str) -> str:
    """The id the negotiated redirect points to. No permission check for an id, as in udata (the
    target checks); a slug is answered only to a caller who may see its dataset: its id would
    tell anyone that a private dataset of that title exists (udata 17.18 answers it a 404 too)."""
    with catalog.db.read() as conn:
        dataset = require_dataset(conn, ident, actor)
    if dataset.id != ident.lower():
        # A deleted dataset's slug is redirected: its own URL says 410 to anyone already.
        with contextlib.suppress(Gone):
            check_readable(actor, dataset)
    return dataset.id


def dataset_document(
    catalog: Catalog, actor: Actor, ident: str, suffix: str, urls: Urls, site_title: str
) -> tuple[bytes, str]:
    """One dataset in the serialization its suffix names; the read rules of the JSON API apply."""
    chosen = _format(suffix)
    with catalog.db.read() as conn:
        dataset = require_dataset(conn, ident, actor)
        try:
            check_readable(actor, dataset)
        except Gone:
            raise Gone() from None  # udata answers its generic 410 text here
        view = assemble(conn, [dataset])[0]
        item = _inputs(catalog, conn, [view])[0]
    with _large_rdf_turn(catalog, len(view.resources)):
        graph = dataset_graph(item, urls, site_title=site_title)
        return serialize(graph, chosen.extension), chosen.content_type


@contextlib.contextmanager
def _large_rdf_turn(catalog: Catalog, resources: int) -> Iterator[None]:
    """A turn among the few large RDF documents this process builds at once (``TooManyRequests``
    when none is free: a document of thousands of resources is seconds of CPU, and anyone may
    ask); a smaller one goes straight on."""
    if resources <= LARGE_RDF_RESOURCES:
        yield
        return
    if not catalog.large_rdf.acquire(blocking=False):
        raise TooManyRequests(Reason.LARGE_EXPORTS_BUSY, retry_after=5)
    try:
        yield
    finally:
        catalog.large_rdf.release()


def catalog_page(
    catalog: Catalog,
    actor: Actor,
    urls: Urls,
    suffix: str,
    query: DatasetQuery,
    site_title: str,
    arguments: str = "",
    organization: Organization | None = None,
    language: str | None = None,
) -> tuple[bytes, str]:
    """One page of the public catalog, newest first unless sorted or searched, with hydra paging.
    The list's filters apply (its visibility filters are checked, then read as of public datasets);
    ``arguments`` are the filters as the paging links repeat them. An ``organization``'s catalog
    holds its datasets alone, under its own address and publisher."""
    if organization is not None:
        query = replace(query, filters=replace(query.filters, organization=organization.id))
    chosen = _format(suffix)
    check_visibility_filters(actor, query)
    with catalog.db.read() as conn:  # past the last page is a 404, as the list's (and udata's)
        request = listing.public_request(conn, query)
        datasets, total = listing.datasets_page(catalog, conn, request)
        views = assemble(conn, datasets)
        items = _inputs(catalog, conn, views)
    with _large_rdf_turn(catalog, sum(len(view.resources) for view in views)):
        graph = catalog_graph(
            items,
            urls,
            query.page,
            query.page_size,
            total,
            site_title,
            extension=chosen.extension,
            arguments=arguments,
            organization=organization,
            language=language,
        )
        return serialize(graph, chosen.extension), chosen.content_type


def public_datasets(catalog: Catalog, with_archived: bool = False) -> Iterator[list[DatasetView]]:
    """Every public dataset (and archived ones, if asked), in batches, walking the database by
    id: memory stays flat."""
    after = ""
    while True:
        with catalog.db.read() as conn:
            ids = db_datasets.public_ids_after(conn, after, EXPORT_BATCH, with_archived)
            if not ids:
                return
            views = assemble(conn, listing.in_order(conn, ids))
        yield views
        after = ids[-1]


def matching_datasets(
    catalog: Catalog, query: DatasetQuery, with_archived: bool = False
) -> Iterator[list[DatasetView]]:
    """The public datasets a filtered query finds, in its order, in batches. The index gives every
    matching id at once (about 80 bytes each); the documents are read batch by batch. With
    archived ones, the query's visibility filters are not read (udata's exports do not)."""
    with catalog.db.read() as conn:
        request = (
            listing.archive_request(conn, query) if with_archived else listing.public_request(conn, query)
        )
        ids = listing.all_ids(catalog, conn, request)
    for start in range(0, len(ids), EXPORT_BATCH):
        with catalog.db.read() as conn:
            # Checked again as each batch is read: a dataset made private or deleted since the
            # index answered is no longer exported (it was, with its new title).
            found = listing.in_order(conn, ids[start : start + EXPORT_BATCH])
            yield assemble(conn, [dataset for dataset in found if _exported(dataset, with_archived)])


def _exported(dataset: Dataset, with_archived: bool) -> bool:
    if with_archived:
        return not dataset.private and dataset.deleted is None
    return may_see(Visibility(), dataset)


def _narrows(query: DatasetQuery) -> bool:
    return (
        bool(query.q)
        or query.sort is not None
        or query.followed_by is not None
        or query.filters != SearchFilters()
    )


def _batches(
    catalog: Catalog, query: DatasetQuery | None, with_archived: bool = False
) -> Iterator[list[DatasetView]]:
    """Without filters, every public dataset by id; with them, the index's order."""
    if query is not None and _narrows(query):
        return matching_datasets(catalog, query, with_archived)
    return public_datasets(catalog, with_archived)


def _all_inputs(catalog: Catalog, query: DatasetQuery | None) -> Iterator[DcatInput]:
    for views in _batches(catalog, query):
        with catalog.db.read() as conn:
            yield from _inputs(catalog, conn, views)


@dataclass(frozen=True, slots=True)
class ExportBatch:
    """Public datasets as a tabular export writes them, with the names of what they refer to."""

    views: list[DatasetView]
    license_titles: dict[str, str]
    zone_names: dict[str, str]


def export_batches(
    catalog: Catalog, query: DatasetQuery | None = None, with_archived: bool = True
) -> Iterator[ExportBatch]:
    """The datasets neither private nor deleted (archived ones included, as udata's site exports;
    not in an organization's, ``with_archived=False``), in batches: all of them by id, or those
    the list's filters find (``private`` and ``deleted`` are not read: the export holds no hidden
    dataset)."""
    for views in _batches(catalog, query, with_archived=with_archived):
        zone_ids = {zone for view in views if view.dataset.spatial for zone in view.dataset.spatial.zones}
        with catalog.db.read() as conn:
            licenses = {item.id: item.title for item in fetch_licenses(conn)}
            zones = spatial.zones_of(catalog, zone_ids, conn) if zone_ids else {}
        yield ExportBatch(views, licenses, {zone_id: zone.name for zone_id, zone in zones.items()})


def export_catalog(
    catalog: Catalog,
    urls: Urls,
    out: BinaryIO,
    fmt: str,
    site_title: str,
    query: DatasetQuery | None = None,
    actor: Actor = ANONYMOUS,
    language: str | None = None,
) -> int:
    """The public catalog as N-Triples or Turtle, written as it is read; returns the count.
    Without filters it walks the database by id; with them it follows the index."""
    if query is not None:
        check_visibility_filters(actor, query)
    return write_catalog(
        _all_inputs(catalog, query),
        urls,
        out,
        "ttl" if fmt == "ttl" else "nt",
        site_title=site_title,
        language=language,
    )
