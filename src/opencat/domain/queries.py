"""What a client asks of a dataset listing, and what comes back."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from opencat.domain.search import SearchFilters

T = TypeVar("T")

SORT_KEYS = ("title", "created", "last_update", "reuses", "followers", "views")


@dataclass(frozen=True, slots=True)
class DatasetQuery:
    """A listing: words to match (``q``), exact filters, an order (None: relevance or newest)."""

    page: int = 1
    page_size: int = 20
    sort: str | None = None
    q: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    followed_by: str | None = None


@dataclass(frozen=True, slots=True)
class CommunityQuery:
    page: int = 1
    page_size: int = 20
    sort: str = "-created_at_internal"
    dataset: str | None = None
    owner: str | None = None
    organization: str | None = None


@dataclass(frozen=True, slots=True)
class ActivityQuery:
    """A page of the history of changes (udata: udata/core/activity/api.py), newest first by default."""

    page: int = 1
    page_size: int = 20
    related_to: str | None = None
    organization: str | None = None  # its own activities, and those of its datasets
    user: str | None = None  # the actor
    keys: tuple[str, ...] = ()
    newest_first: bool = True


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.page_size) if self.page_size else 0
