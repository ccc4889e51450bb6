"""The DCAT backend: a DCAT-AP catalog in RDF, paged by hydra (udata's and opencat's) or one file."""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from urllib.parse import urljoin

from opencat.catalog.harvest_backends.paging import EMPTY_PAGES, REPEATED_PAGES
from opencat.catalog.harvest_backends.read_ahead import read_ahead
from opencat.catalog.license_names import is_known_license
from opencat.dcat.reading import read_catalog_page
from opencat.domain.harvest import (
    ConfigKey,
    FetchedPage,
    Fetcher,
    HarvestSourceError,
    ItemFailure,
    KnownPage,
    PagedEntry,
    PageEnd,
    PageMemory,
    RemoteDataset,
    SourceUnchanged,
    page_context,
    page_digest,
)

# N-Triples first: ``dcat/ntriples.py`` reads it five times faster than rdflib reads Turtle
# (a page of 500 opencat datasets: 0.2 s against 1 s), and parsing is most of a harvest's time.
ACCEPT = (
    "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8, "
    "application/ld+json;q=0.7, application/xml;q=0.5, */*;q=0.1"
)

# Part of every page's digest: a change to how pages are read (``opencat.dcat``) must make the
# next run read every page again. Raise it with any change that reads a page differently.
READER_VERSION = "dcat-1"


@dataclass(frozen=True, slots=True)
class _Read:
    """A page read, or recalled (``known``) and not read, with its digest and next page."""

    items: tuple[RemoteDataset | ItemFailure, ...]
    ids: frozenset[str]
    next_url: str | None
    digest: str | None
    known: KnownPage | None = None
    end: PageEnd | None = None  # what the run keeps of a page read (with a memory only)


class DcatBackend:
    name = "dcat"
    label = "DCAT"
    extra_configs: tuple[ConfigKey, ...] = ()  # only the run's ``delay``

    def items(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object]
    ) -> Iterator[RemoteDataset | ItemFailure]:
        """Each dataset of each page in turn, the next page read while the run writes these
        (``read_ahead``); a page seen twice, or pages in a row that only repeat datasets already
        read (``REPEATED_PAGES``), are a paging loop (HarvestSourceError)."""
        for page in read_ahead(self._pages(url, fetcher, None)):
            yield from page.items

    def remembering(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object], memory: PageMemory
    ) -> Iterator[PagedEntry]:
        """As ``items``, each page followed by its ``PageEnd``; a page ``memory`` recalls (same
        bytes, same mapping context) is not read but given as its ``KnownPage``."""
        for page in read_ahead(self._pages(url, fetcher, memory)):
            if page.known is not None:
                yield page.known
                continue
            yield from page.items
            if page.end is not None:
                yield page.end

    def _pages(self, url: str, fetcher: Fetcher, memory: PageMemory | None) -> Iterator[_Read]:
        visited: set[str] = set()
        seen_ids: set[str] = set()
        empty = repeated = 0
        next_url: str | None = url
        while next_url is not None:
            if next_url in visited:
                raise HarvestSourceError(f"The catalog's paging loops back to {next_url}")
            visited.add(next_url)
            read = _fetched(fetcher, next_url, memory)
            repeated = repeated + 1 if read.ids and read.ids <= seen_ids else 0
            if read.next_url is not None and repeated >= REPEATED_PAGES:
                raise HarvestSourceError(
                    f"The pages up to {next_url} only repeat datasets already read: its paging never ends"
                )
            empty = 0 if read.ids or read.items else empty + 1
            if read.next_url is not None and empty >= EMPTY_PAGES:
                raise HarvestSourceError(
                    f"The catalog's pages up to {next_url} hold no dataset: its paging never ends"
                )
            seen_ids |= read.ids
            yield read
            next_url = read.next_url


def _fetched(fetcher: Fetcher, url: str, memory: PageMemory | None) -> _Read:
    """The page at ``url``: asked for with the validators its last answer carried (the fetcher
    keeps them); on a 304, the page ``memory`` recalls for that address, else asked for whole."""
    if memory is None:
        return _read(fetcher.get(url, accept=ACCEPT), url, None)
    context = page_context(memory.context, READER_VERSION)
    try:
        return _read(fetcher.get(url, accept=ACCEPT), url, memory)
    except SourceUnchanged:
        known = memory.recall_unchanged(url, context)
        if known is not None:
            return _Read((), frozenset(known.remote_ids), known.next_url, known.digest, known)
    return _read(fetcher.get(url, accept=ACCEPT, conditional=False), url, memory)


def _read(page: FetchedPage, asked: str, memory: PageMemory | None) -> _Read:
    """The page read, or recalled by its digest; its next page's address made absolute."""
    body, content_type, url = page.body, page.content_type, page.url
    if memory is None:
        digest = end = None
    else:
        digest = page_digest(memory.context, READER_VERSION, url, content_type, body)
        known = memory.recall(digest)
        if known is not None:
            context = page_context(memory.context, READER_VERSION)
            refreshed = PageEnd(digest, known.next_url, asked, context, page.etag, page.last_modified)
            known = replace(known, refreshed=refreshed)
            return _Read((), frozenset(known.remote_ids), known.next_url, digest, known)
    read = read_catalog_page(body, content_type, url, known_license=is_known_license, zone_uris=zone_uris())
    ids = frozenset(item.remote_id for item in read.items if item.remote_id is not None)
    next_url = urljoin(url, read.next_url) if read.next_url else None
    if memory is not None and digest is not None:
        context = page_context(memory.context, READER_VERSION)
        end = PageEnd(digest, next_url, asked, context, page.etag, page.last_modified)
    return _Read(read.items, ids, next_url, digest, end=end)


@cache
def zone_uris() -> dict[str, str]:
    """Zone IRI → zone id, for the zones of the shipped referential that have an IRI of their own
    (the others are written as ``.../spatial/zone/{id}/``, which the reader knows)."""
    records = json.loads((files("opencat") / "refdata" / "geozones" / "zones.json").read_text("utf-8"))
    return {record["uri"]: record["_id"] for record in records if record.get("uri")}
