"""What harvesting passes between its two halves: a backend reads a remote catalog into
``RemoteDataset`` values (or ``ItemFailure`` for an entry it could not read), and the run applies
them to the catalog. Plain values only, so a backend can be tested on a payload alone."""

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

# What a failed item keeps of the source that caused it (the job report shows it).
EXCERPT_LIMIT = 2000
# The longest identifier a remote dataset may have: the harvest records' key (db/tables.py).
REMOTE_ID_MAX_LENGTH = 512


@dataclass(frozen=True, slots=True)
class RemoteResource:
    """A distribution of a remote dataset, kept as a remote link (never downloaded)."""

    url: str
    title: str | None = None
    description: str | None = None
    format: str | None = None
    mime: str | None = None
    filesize: int | None = None
    # ``(type, value)``: md5, sha1, sha256 or sha512 as catalogs name them (a udata's sha2 and crc
    # too); only udata's types are kept (``domain.datasets.CHECKSUM_TYPES``).
    checksum: tuple[str, str] | None = None
    # udata's resource types: main, documentation, update, api, code, other.
    type: str = "main"
    issued_at: datetime | None = None
    modified_at: datetime | None = None
    # The distribution's own IRI in the remote catalog, if it has one.
    uri: str | None = None
    # The schema its data follows, as udata's ``{"name", "version", "url"}``.
    schema: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class RemoteContact:
    """A contact point a source names for a dataset (udata's roles: ``contact``, ``publisher``...),
    as the source spelled it: the run checks it before keeping it."""

    role: str
    name: str
    email: str | None = None
    contact_form: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteDataset:
    """One dataset of a remote catalog, mapped to opencat's fields.

    ``license`` is as the source wrote it (an id, a URL or a title): the run matches it against the
    catalog's licenses. ``zones`` are geozone ids when the source names them; ``remote_id`` is what
    identifies the dataset at the source across runs (its identifier, else its IRI or URL).
    """

    remote_id: str
    title: str
    description: str = ""
    acronym: str | None = None
    tags: tuple[str, ...] = ()
    license: str | None = None
    frequency: str | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    zones: tuple[str, ...] = ()
    granularity: str | None = None
    resources: tuple[RemoteResource, ...] = ()
    # Where a person reads it at the source, its IRI, and its dct:identifier if it has one.
    remote_url: str | None = None
    uri: str | None = None
    dct_identifier: str | None = None
    issued_at: datetime | None = None
    modified_at: datetime | None = None
    extras: Mapping[str, object] = field(default_factory=dict)
    # When the source says the dataset was made (dct:created), apart from its publication.
    created_at: datetime | None = None
    # A drawn area (a GeoJSON MultiPolygon), when the source gives one.
    geom: Mapping[str, object] | None = None
    # The schema the dataset follows (udata's dataset ``schema``, set by harvesting there too).
    schema: Mapping[str, str] | None = None
    # udata's access type and its ground, when the source says the access is not open.
    access_type: str | None = None
    access_type_reason_category: str | None = None
    # Whom to contact, in the source's order (udata makes them contact points of the dataset's owner).
    contacts: tuple[RemoteContact, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """An entry of the source that could not be read; ``excerpt`` is the piece of source behind it."""

    remote_id: str | None
    error: str
    excerpt: str = ""

    def __post_init__(self) -> None:
        if len(self.excerpt) > EXCERPT_LIMIT:
            object.__setattr__(self, "excerpt", self.excerpt[:EXCERPT_LIMIT])


class HarvestSourceError(Exception):
    """The source as a whole failed (unreachable, garbage, a paging loop): the job fails with it.

    Items already yielded before it stay applied; items not seen are not archived (a source that
    failed half-way says nothing about what it no longer holds)."""


class RemoteMissing(HarvestSourceError):
    """The source answered 404 or 410 for this address: nothing is there (any more)."""


class SourceUnchanged(Exception):
    """The source answered 304 to the validators of the previous run. For a source read in one
    request: it holds what it held then, and nothing more is read. A backend that remembers pages
    catches it for a page and recalls that page instead (``PageMemory.recall_unchanged``)."""


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str  # after redirects
    status: int
    content_type: str | None
    body: bytes
    etag: str | None = None
    last_modified: str | None = None


class Fetcher(Protocol):
    """Guarded, polite HTTP GET: raises ``HarvestSourceError`` for a refused address, a timeout, a
    body over the cap, or a status other than 200/304, and ``SourceUnchanged`` for a 304 (no
    backend reads an empty body as the source)."""

    def get(self, url: str, *, accept: str = "*/*", conditional: bool = True) -> FetchedPage:
        """``conditional``: send the validators kept for ``url`` (False: ask for the whole page)."""
        ...


@dataclass(frozen=True, slots=True)
class ConfigKey:
    """A key a backend (or the run) reads in a source's ``config``: udata's ``HarvestExtraConfig``."""

    key: str
    label: str
    description: str
    default: str | None = None


# Read by the run for every backend (``harvesting.policy_of``), not by the backends.
DELAY_CONFIG = ConfigKey(
    "delay",
    "Delay between requests",
    "The least seconds between the starts of two requests to the source (0 to 3600, default"
    " OPENCAT_HARVEST_DELAY); requests to a source never overlap",
)


class Backend(Protocol):
    """A kind of remote catalog (``dcat``, ``ckan``, ``udata``, ``datajson``)."""

    name: str
    label: str

    def items(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object]
    ) -> Iterator[RemoteDataset | ItemFailure]: ...


@dataclass(frozen=True, slots=True)
class PageEnd:
    """Follows the entries of a page a backend read: the page's digest (``PageMemory.digest``)
    and the page it points to next, which the run stores so that a re-run may skip the page; and
    where it was fetched, under which context (``page_context``) and the validators its answer
    carried, so that a re-run may ask for it conditionally and skip it on a 304."""

    digest: str
    next_url: str | None
    url: str | None = None
    context: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class KnownPage:
    """A page whose digest the source's last complete run stored, and whose entries the catalog
    still holds as that run left them: not read again, its entries count as unchanged."""

    digest: str
    remote_ids: tuple[str, ...]
    next_url: str | None
    # When the page was fetched whole and known by its digest: where, under which context, and
    # the validators its answer carried, kept for the next run (a page stored before it kept
    # validators gets them so).
    refreshed: "PageEnd | None" = None


class PageMemory(Protocol):
    """What the run remembers of the pages the source's last complete run read."""

    # A digest of what the mapping depends on besides the page (the catalog's licenses, the
    # mapping's version, the source's settings): part of every page's digest.
    context: str

    def recall(self, digest: str) -> KnownPage | None: ...

    def recall_unchanged(self, url: str, context: str) -> KnownPage | None:
        """The page last read from ``url`` under ``context``, after the source answered 304 to
        its validators, if its entries are still recorded as read."""
        ...


PagedEntry = RemoteDataset | ItemFailure | PageEnd | KnownPage


@runtime_checkable
class RemembersPages(Protocol):
    """A backend that tells where each page ends, and skips the pages ``memory`` recalls."""

    def remembering(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object], memory: PageMemory
    ) -> Iterator[PagedEntry]: ...


@runtime_checkable
class ConfirmsGone(Protocol):
    """A backend that can ask the source about one dataset, by its remote id. A listing paged by
    offset misses a dataset when one before it is deleted while the pages are read: a dataset
    the listing did not give is archived only once the source confirms it is gone."""

    def gone(self, url: str, fetcher: Fetcher, config: Mapping[str, object], remote_id: str) -> bool:
        """Whether the source says the dataset is no more (or no longer public, or no longer in
        what the source's settings select); ``HarvestSourceError`` when it cannot say."""
        ...


def page_context(context: str, reader: str) -> str:
    """What a page's digest depends on besides the page itself: the mapping's context and the
    reader's version (a 304 says the page is the same, not that it maps the same)."""
    return hashlib.sha256(f"{context}\0{reader}".encode()).hexdigest()


def page_digest(context: str, reader: str, url: str, content_type: str | None, body: bytes) -> str:
    """The digest of a fetched page as a given reader reads it under a given mapping context."""
    digest = hashlib.sha256()
    for part in (context, reader, url, content_type or ""):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()
