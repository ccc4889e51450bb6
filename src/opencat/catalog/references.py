"""Reference lists: licenses and frequencies."""

from opencat.catalog.context import Catalog
from opencat.db import references as db_references
from opencat.domain.references import Frequency, License


def list_licenses(catalog: Catalog) -> list[License]:
    with catalog.db.read() as conn:
        return db_references.fetch_licenses(conn)


def list_frequencies(catalog: Catalog) -> list[Frequency]:
    with catalog.db.read() as conn:
        return db_references.fetch_frequencies(conn)
