"""What the sitemaps list: every public dataset and every organization, in pages of at most
``PAGE_SIZE`` read by keyset (one short query each, however large the catalog)."""

from dataclasses import dataclass
from datetime import datetime

from opencat.catalog.context import Catalog
from opencat.db import sitemaps as db_sitemaps
from opencat.domain import ids
from opencat.domain.errors import NotFound

# The sitemaps protocol allows 50,000 URLs a file; smaller files are quicker to serve and to read.
PAGE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class SitemapIndex:
    """The first id of each page: a page is named by it, so that it is read by keyset, not offset.
    A page covers ``PAGE_SIZE`` ids, hidden ones included: it lists at most that many."""

    datasets: list[str]
    organizations: list[str]


@dataclass(frozen=True, slots=True)
class Entry:
    slug: str
    last_modified: datetime


def sitemap_index(catalog: Catalog) -> SitemapIndex:
    """One walk along the ids of each kind."""
    with catalog.db.read() as conn:
        return SitemapIndex(
            datasets=db_sitemaps.dataset_starts(conn, PAGE_SIZE),
            organizations=db_sitemaps.organization_starts(conn, PAGE_SIZE),
        )


def dataset_entries(catalog: Catalog, first_id: str) -> list[Entry]:
    """The public datasets of the page that starts at ``first_id`` (``NotFound`` when that is no id;
    a page past the end is empty)."""
    if not ids.is_object_id(first_id):
        raise NotFound()
    with catalog.db.read() as conn:
        rows = db_sitemaps.datasets_from(conn, first_id.lower(), PAGE_SIZE)
    return [Entry(slug, last_modified) for slug, last_modified in rows]


def organization_entries(catalog: Catalog, first_id: str) -> list[Entry]:
    if not ids.is_object_id(first_id):
        raise NotFound()
    with catalog.db.read() as conn:
        rows = db_sitemaps.organizations_from(conn, first_id.lower(), PAGE_SIZE)
    return [Entry(slug, last_modified) for slug, last_modified in rows]
