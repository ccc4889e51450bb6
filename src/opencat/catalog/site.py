"""The site's own description (udata's ``GET /site/``): its title and what it holds."""

from dataclasses import dataclass

from opencat.catalog import faceted_search
from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.domain.queries import DatasetQuery


@dataclass(frozen=True, slots=True)
class SiteMetrics:
    datasets: int  # public ones, as the catalog and its searches count them
    organizations: int
    users: int


def site_metrics(catalog: Catalog) -> SiteMetrics:
    public = faceted_search.search(catalog, DatasetQuery(page_size=1), fresh_counts=False).page.total
    with catalog.db.read() as conn:
        return SiteMetrics(public, db_accounts.count_organizations(conn), db_accounts.count_users(conn))
