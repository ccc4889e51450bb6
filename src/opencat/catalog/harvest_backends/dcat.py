"""The DCAT backend: a DCAT-AP catalog in RDF, paged by hydra (udata's and opencat's) or one file."""

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from urllib.parse import urljoin

from opencat.catalog.harvest_backends.licenses import is_known_license
from opencat.catalog.harvest_backends.read_ahead import read_ahead
from opencat.dcat.reading import CatalogPage, read_catalog_page
from opencat.domain.harvest import Fetcher, HarvestSourceError, ItemFailure, RemoteDataset

# N-Triples first: ``dcat/ntriples.py`` reads it five times faster than rdflib reads Turtle
# (a page of 500 opencat datasets: 0.2 s against 1 s), and parsing is most of a harvest's time.
ACCEPT = (
    "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8, "
    "application/ld+json;q=0.7, application/xml;q=0.5, */*;q=0.1"
)


class DcatBackend:
    name = "dcat"
    label = "DCAT"

    def items(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object]
    ) -> Iterator[RemoteDataset | ItemFailure]:
        """Each dataset of each page in turn, the next page read while the run writes these
        (``read_ahead``); a page seen twice, or one that only repeats datasets already read, is a
        paging loop (HarvestSourceError)."""
        for page in read_ahead(self._pages(url, fetcher)):
            yield from page.items

    def _pages(self, url: str, fetcher: Fetcher) -> Iterator[CatalogPage]:
        visited: set[str] = set()
        seen_ids: set[str] = set()
        next_url: str | None = url
        while next_url is not None:
            if next_url in visited:
                raise HarvestSourceError(f"The catalog's paging loops back to {next_url}")
            visited.add(next_url)
            page = fetcher.get(next_url, accept=ACCEPT)
            read = read_catalog_page(
                page.body, page.content_type, page.url, known_license=is_known_license, zone_uris=zone_uris()
            )
            ids = {item.remote_id for item in read.items if item.remote_id is not None}
            if read.next_url is not None and ids and ids <= seen_ids:
                raise HarvestSourceError(f"The page {next_url} only repeats datasets already read")
            seen_ids |= ids
            yield read
            next_url = urljoin(page.url, read.next_url) if read.next_url else None


@cache
def zone_uris() -> dict[str, str]:
    """Zone IRI → zone id, for the zones of the shipped referential that have an IRI of their own
    (the others are written as ``.../spatial/zone/{id}/``, which the reader knows)."""
    records = json.loads((files("opencat") / "refdata" / "geozones" / "zones.json").read_text("utf-8"))
    return {record["uri"]: record["_id"] for record in records if record.get("uri")}
