"""What the search index knows of a dataset, and what a listing asks of it."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import fields as fields_of
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from opencat.domain.accounts import Actor
from opencat.domain.datasets import Dataset


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """A dataset flattened for the index: text to match, terms to filter on, values to sort by."""

    id: str
    title: str
    acronym: str
    description: str
    resource_titles: str
    tags: tuple[str, ...]
    organization_name: str
    owner: str | None
    organization: str | None
    private: bool
    deleted: bool
    archived: bool
    featured: bool
    license: str | None
    badges: tuple[str, ...]
    organization_badges: tuple[str, ...]
    organization_title: str | None  # the organization's name, for the exact-name filter
    producer_types: tuple[str, ...]
    formats: tuple[str, ...]
    format_families: tuple[str, ...]
    schemas: tuple[str, ...]
    schema_versions: tuple[str, ...]
    zones: tuple[str, ...]  # the dataset's zones and all their ancestors
    own_zones: tuple[str, ...]  # the dataset's zones only (stored and referential spellings)
    granularity: str | None
    access_type: str
    temporal_start: date | None
    temporal_end: date | None
    created: datetime
    last_update: datetime
    reuses: int
    followers: int
    views: int


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which hidden datasets the caller may see besides the public ones."""

    everything: bool = False
    owner: str | None = None
    organizations: tuple[str, ...] = ()


def may_see(visibility: Visibility, dataset: Dataset) -> bool:
    """Whether a caller of this visibility may list the dataset: public (neither private,
    deleted nor archived), or among the hidden ones it may see."""
    if not (dataset.private or dataset.deleted or dataset.archived) or visibility.everything:
        return True
    mine = visibility.owner is not None and dataset.owner_id == visibility.owner
    return mine or (
        dataset.organization_id is not None and dataset.organization_id in visibility.organizations
    )


def visibility_of(actor: Actor) -> Visibility:
    return Visibility(everything=actor.is_sysadmin, owner=actor.user_id, organizations=tuple(actor.roles))


@dataclass(frozen=True, slots=True)
class SearchFilters:
    tags: tuple[str, ...] = ()
    license: str | None = None
    featured: bool | None = None
    zone: str | None = None
    # A dataset matches when it has any of these (v1 sends one value, v2 a list).
    granularities: tuple[str, ...] = ()
    coverage: tuple[date, date] | None = None  # the coverage starts between the two days (API v1)
    # The coverage holds both days: started by the first, not ended before the last (API v2); an
    # open end runs on.
    containing: tuple[date, date] | None = None
    period: tuple[date, date] | None = None  # the coverage overlaps these days (the pages)
    access_type: str | None = None
    organization: str | None = None
    badge: str | None = None
    organization_badge: str | None = None
    owner: str | None = None
    ids: tuple[str, ...] | None = None  # e.g. the datasets a user follows
    formats: tuple[str, ...] = ()  # any of them, as granularities
    # Every one of them, as tags: the pages narrow by each format a visitor adds, so that a facet's
    # count is the total of the page its link opens.
    every_format: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()  # any of them, as granularities
    schema_version: str | None = None
    private: bool | None = None
    archived: bool | None = None
    deleted: bool | None = None
    # With ``zone``: datasets whose own zones are among these (the zone's ancestors) match too.
    zone_ancestors: tuple[str, ...] = ()
    # The dataset's own zones hold this one exactly (its ancestors do not count: udata's
    # ``spatial__zones=zone``, ``/spatial/zone/{id}/datasets/``).
    own_zone: str | None = None
    organization_name: str | None = None  # the organization's name, ignoring case and accents
    format_family: str | None = None
    producer_type: str | None = None
    updated_since: datetime | None = None  # ``last_update`` at or after this instant


@dataclass(frozen=True, slots=True)
class SearchRequest:
    words: tuple[str, ...] = ()
    filters: SearchFilters = field(default_factory=SearchFilters)
    visibility: Visibility = field(default_factory=Visibility)
    sort: str | None = None  # None: by relevance when there are words, else newest first
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True, slots=True)
class SearchHits:
    ids: tuple[str, ...]
    total: int


# udata/core/organization/constants.py: the organization badges that name a kind of producer
# (``certified`` does not), then ``user`` (a dataset owned by a person) and ``not-specified`` (an
# organization without any of those badges).
PRODUCER_BADGES = ("public-service", "local-authority", "company", "association")
PRODUCER_TYPES = (*PRODUCER_BADGES, "user", "not-specified")


def producer_types(organization_badges: Sequence[str] | None, owned_by_user: bool) -> tuple[str, ...]:
    """udata's ``get_producer_type``: ``organization_badges`` is None when no organization publishes."""
    if organization_badges is not None:
        return tuple(b for b in organization_badges if b in PRODUCER_BADGES) or ("not-specified",)
    return ("user",) if owned_by_user else ()


# udata-search-service filters ``last_update >= now-30d/d`` (``now-12M/d``, ``now-3y/d``): whole
# days, counted back in days, calendar months or calendar years, from the start of the UTC day.
LAST_UPDATE_RANGES = {"last_30_days": (30, 0), "last_12_months": (0, 12), "last_3_years": (0, 36)}


def updated_since(last_update_range: str, now: datetime) -> datetime:
    """The first instant a ``last_update_range`` covers, ``now`` being the time of the request."""
    days, months = LAST_UPDATE_RANGES[last_update_range]
    start = now.astimezone(UTC) - timedelta(days=days)
    index = start.year * 12 + start.month - 1 - months
    year, month = index // 12, index % 12 + 1
    day = min(start.day, _days_in(year, month))
    return datetime(year, month, day, tzinfo=UTC)


def _days_in(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


MAX_WORDS = 12
MAX_WORD_LENGTH = 60
# Words too common to carry meaning on their own (kept when they are all the query has).
STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "par",
        "pour",
        "sur",
        "un",
        "une",
        "the",
        "of",
        "and",
    ]
)
# Letters and digits: the index's tokenizer splits words on anything else, the underscore
# included ("code_postal" is indexed as two words, and a query word must be one of its words).
_WORD = re.compile(r"[^\W_]+")


# The combining marks search ignores: Latin, Greek and Cyrillic accents (U+0300-U+036F), Hebrew
# points, Arabic vowel signs. Tantivy's folding only knows Latin letters.
_MARKS = re.compile("[\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0670]")


def without_marks(text: str) -> str:
    """``text`` as search reads it, in documents and queries alike: accents taken off letters of
    any script (``Ελληνικά`` is ``Ελληνικα``, ``Ёлка`` is ``Елка``, ``İ`` is ``I``), Greek's final
    sigma as any sigma (lower-casing gives either), the rest composed (a decomposed "e\u0301" is
    one letter, not a word's end). Latin text gives the words it gave before (version 14)."""
    if text.isascii():
        return text
    bare = _MARKS.sub("", unicodedata.normalize("NFD", text)).replace("\u03c2", "\u03c3")
    return unicodedata.normalize("NFC", bare)


def words_of(text: str) -> tuple[str, ...]:
    """The query's words, lower-cased, without accents (``without_marks``, as the index holds
    them); raw user text of any shape is safe here."""
    bare = without_marks(text)
    words = [word[:MAX_WORD_LENGTH] for word in _WORD.findall(without_marks(bare.casefold()))]
    # The bound counts the words searched for: a pasted title's stopwords took the places of its
    # last meaningful words (and a run of twelve left only stopwords to look for).
    meaningful = [word for word in words if word not in STOPWORDS and len(word) > 1]
    return tuple((meaningful or words)[:MAX_WORDS])


class Aspect(StrEnum):
    """What a frequent write changes of a dataset as the search index sees it, written beside
    the dataset's entry in the search log (db/outbox.py): a listing whose answer reads none of
    it need not wait for the index to apply the entry. A write that names none may have changed
    anything."""

    FOLLOWERS = "followers"  # a follow or an unfollow
    RESOURCES = "resources"  # a resource added, changed, removed or moved
    # Something else than a dataset an anonymous answer shows (an organization, a user, a contact
    # point, reference data...): logged without a dataset (db/outbox.py), nothing for search.
    ELSEWHERE = "elsewhere"


# The fields of ``SearchDocument`` each aspect may change (tests/search/test_aspects.py checks it
# on the real writes).
ASPECT_FIELDS: dict[Aspect, frozenset[str]] = {
    Aspect.FOLLOWERS: frozenset({"followers"}),
    Aspect.ELSEWHERE: frozenset(),
    Aspect.RESOURCES: frozenset(
        {"resource_titles", "formats", "format_families", "schemas", "schema_versions", "last_update"}
    ),
}

# The fields of ``SearchDocument`` each filter reads (every field of ``SearchFilters`` is named:
# a test checks it, so that a new filter is not taken for one that reads nothing).
FILTER_FIELDS: dict[str, frozenset[str]] = {
    "tags": frozenset({"tags"}),
    "license": frozenset({"license"}),
    "featured": frozenset({"featured"}),
    "zone": frozenset({"zones", "own_zones"}),
    "granularities": frozenset({"granularity"}),
    "coverage": frozenset({"temporal_start", "temporal_end"}),
    "containing": frozenset({"temporal_start", "temporal_end"}),
    "period": frozenset({"temporal_start", "temporal_end"}),
    "access_type": frozenset({"access_type"}),
    "organization": frozenset({"organization"}),
    "badge": frozenset({"badges"}),
    "organization_badge": frozenset({"organization_badges"}),
    "owner": frozenset({"owner"}),
    "ids": frozenset({"id"}),
    "formats": frozenset({"formats"}),
    "every_format": frozenset({"formats"}),
    "schemas": frozenset({"schemas"}),
    "schema_version": frozenset({"schema_versions"}),
    "private": frozenset({"private"}),
    "archived": frozenset({"archived"}),
    "deleted": frozenset({"deleted"}),
    "zone_ancestors": frozenset({"zones", "own_zones"}),
    "own_zone": frozenset({"own_zones"}),
    "organization_name": frozenset({"organization_title"}),
    "format_family": frozenset({"format_families"}),
    "producer_type": frozenset({"producer_types"}),
    "updated_since": frozenset({"last_update"}),
}
# What words are matched in and scored by (search/schema.TEXT_FIELDS, the popularity boost).
WORDS_FIELDS = frozenset(
    {"title", "acronym", "tags", "organization_name", "description", "resource_titles", "views"}
)
# Who may see a dataset: read by every listing.
VISIBILITY_FIELDS = frozenset({"id", "private", "deleted", "archived", "owner", "organization"})
_EMPTY_FILTERS = SearchFilters()
_EVERY_FIELD = frozenset(item.name for item in fields_of(SearchDocument))


def fields_read(request: SearchRequest) -> frozenset[str]:
    """The fields of ``SearchDocument`` that decide which datasets the request's answer holds,
    their order and their total."""
    read = set(VISIBILITY_FIELDS)
    if request.words and not request.sort:
        # Ordered by relevance: any document put again moves the scores of the others (Tantivy
        # counts a replaced document in its statistics until a merge), so equal-looking pages
        # could differ from one caught up (a review saw two results swap after follows).
        return _EVERY_FIELD
    if request.words:
        read |= WORDS_FIELDS
    sort = request.sort or ("" if request.words else "created")
    if sort:
        read.add(sort.lstrip("-"))
    for name, fields in FILTER_FIELDS.items():
        if getattr(request.filters, name) != getattr(_EMPTY_FILTERS, name):
            read |= fields
    return frozenset(read)


def changes_matter(request: SearchRequest, aspects: Sequence[Aspect | None]) -> bool:
    """Whether changes of these aspects may change the request's answer (None: any change)."""
    read = fields_read(request)
    return any(aspect is None or not ASPECT_FIELDS[aspect].isdisjoint(read) for aspect in aspects)


def aspect_named(name: str | None) -> Aspect | None:
    """The aspect a log entry names; one this release does not know (a newer node wrote it) may
    be any change."""
    try:
        return None if name is None else Aspect(name)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class AnswerReads:
    """What an anonymous answer was made of, as the change log names it: the datasets it shows
    (None: any, e.g. facets or suggestions over them all) and, for a listing, the search fields
    that chose and ordered them (None: no listing)."""

    datasets: frozenset[str] | None
    fields: frozenset[str] | None = None


def answer_unchanged(reads: AnswerReads, changes: Sequence[tuple[str, Aspect | None]]) -> bool:
    """Whether an answer is the same after these logged changes (a dataset and what changed of
    it): none is about something else than a dataset, about a dataset it shows, or, for a
    listing, about what chose its datasets (a change of unknown aspect may have)."""
    for dataset_id, aspect in changes:
        if aspect is Aspect.ELSEWHERE or reads.datasets is None or dataset_id in reads.datasets:
            return False
        if reads.fields is not None and (
            aspect is None or not ASPECT_FIELDS[aspect].isdisjoint(reads.fields)
        ):
            return False
    return True
