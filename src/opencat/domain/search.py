"""What the search index knows of a dataset, and what a listing asks of it."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime


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
    formats: tuple[str, ...]
    schemas: tuple[str, ...]
    schema_versions: tuple[str, ...]
    zones: tuple[str, ...]  # the dataset's zones and all their ancestors
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


@dataclass(frozen=True, slots=True)
class SearchFilters:
    tags: tuple[str, ...] = ()
    license: str | None = None
    featured: bool | None = None
    zone: str | None = None
    granularity: str | None = None
    coverage: tuple[date, date] | None = None
    access_type: str | None = None
    organization: str | None = None
    badge: str | None = None
    organization_badge: str | None = None
    owner: str | None = None
    ids: tuple[str, ...] | None = None  # e.g. the datasets a user follows
    formats: tuple[str, ...] = ()
    schema: str | None = None
    schema_version: str | None = None
    private: bool | None = None
    archived: bool | None = None
    deleted: bool | None = None


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
_WORD = re.compile(r"\w+")


def words_of(text: str) -> tuple[str, ...]:
    """The query's words, lower-cased; raw user text of any shape is safe here."""
    words = [word[:MAX_WORD_LENGTH] for word in _WORD.findall(text.casefold())][:MAX_WORDS]
    meaningful = [word for word in words if word not in STOPWORDS and len(word) > 1]
    return tuple(meaningful or words)
