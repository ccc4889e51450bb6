"""The search page's state, all of it in the URL: read it, and build the URL of a changed state."""

import re
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from opencat.domain.datasets import BADGE_KINDS
from opencat.domain.ids import is_object_id
from opencat.domain.numerals import is_digits
from opencat.domain.periods import Period
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters

PAGE_SIZE = 20
# Relevance (no sort) first; the index sorts these (the v2 search cannot sort by title).
SORTS = ("", "-last_update", "-created", "-followers", "-views")
# Facets a visitor narrows by: URL argument -> (facet of the search use case, several values allowed).
FACETS = {
    "organization": ("organization", False),
    "tag": ("tag", True),
    "format": ("format", True),
    "license": ("license", False),
    "geozone": ("geozone", False),
    "granularity": ("granularity", True),
    "schema": ("schema", True),
    "badge": ("badge", False),
}
# Everything the URL may carry, in the order links write it.
KEYS = ("q", *FACETS, "temporal_start", "temporal_end", "sort", "page")
# Pages of results the site pages through, at most.
PAGES_SHOWN = 10_000
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class SearchState:
    """What the visitor asked: ``args`` keeps the URL's own values (each key, its values in order)."""

    args: tuple[tuple[str, tuple[str, ...]], ...]

    def get(self, key: str) -> str:
        for name, values in self.args:
            if name == key and values:
                return values[0]
        return ""

    def values(self, key: str) -> tuple[str, ...]:
        return next((values for name, values in self.args if name == key), ())

    def has(self, key: str, value: str) -> bool:
        return value in self.values(key)

    @property
    def narrowed(self) -> bool:
        """Whether the visitor searched or filtered (an empty list then matches nothing asked,
        rather than having nothing at all)."""
        return any(any(values) for key, values in self.args if key not in ("sort", "page", "lang"))

    @property
    def page(self) -> int:
        raw = self.get("page")
        return int(raw) if is_digits(raw) and 0 < int(raw) < PAGES_SHOWN else 1

    @staticmethod
    def shows(page: int) -> bool:
        """Whether the site shows this page of results (a link to one past them would be a 404)."""
        return page < PAGES_SHOWN

    @property
    def past_the_pages(self) -> bool:
        """A page number past any the site shows (an old or forged link): past the end, as a page
        past the results' last is (it was their first page, under its own address)."""
        raw = self.get("page")
        return is_digits(raw) and int(raw) >= PAGES_SHOWN

    def url(self, path: str, **changes: tuple[str, ...]) -> str:
        """This state's URL with ``changes`` (a key's new values); any change but the page's own
        goes back to the first page."""
        merged = dict(self.args)
        merged.update(changes)
        if "page" not in changes:
            merged.pop("page", None)
        pairs = [(key, value) for key in KEYS for value in merged.get(key, ()) if value]
        return f"{path}?{urlencode(pairs)}" if pairs else path

    def toggled(self, path: str, key: str, value: str) -> str:
        """The URL with ``value`` added to ``key`` (or removed if it is there)."""
        several = FACETS[key][1]
        current = self.values(key)
        if value in current:
            return self.url(path, **{key: tuple(v for v in current if v != value)})
        return self.url(path, **{key: (*current, value) if several else (value,)})


# The values of one filter a page reads (a tag, a format...), the first ones, each once: every
# selected value's "remove" link repeats the others, so that thousands of them in one address
# made a page of hundreds of megabytes, built in a minute, from one anonymous request.
MAX_VALUES = 20


def read_state(pairs: list[tuple[str, str]]) -> SearchState:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key in KEYS and value.strip():
            group = grouped.setdefault(key, [])
            kept = value.strip()[:200]
            if key == "organization" and is_object_id(kept):
                kept = kept.lower()  # an ObjectId in capitals is the same one, as the API reads it
            if kept not in group and len(group) < MAX_VALUES:
                group.append(kept)
    return SearchState(tuple((key, tuple(grouped[key])) for key in KEYS if key in grouped))


def _day(raw: str) -> date | None:
    if not _DAY.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def coverage(state: SearchState) -> tuple[date, date] | None:
    """The period asked (datasets whose temporal coverage overlaps it): either bound may be left
    open."""
    start, end = _day(state.get("temporal_start")), _day(state.get("temporal_end"))
    if start is None and end is None:
        return None
    low, high = start or date(1, 1, 1), end or date(9999, 12, 31)
    return (low, high) if low <= high else (high, low)


def dataset_query(state: SearchState, base: SearchFilters | None = None) -> DatasetQuery:
    """The use case's query; ``base`` holds the page's own filter (an organization, an owner)."""
    badge = state.get("badge")
    filters = replace(
        base or SearchFilters(),
        tags=state.values("tag"),
        every_format=state.values("format"),
        schemas=state.values("schema"),
        granularities=state.values("granularity"),
        license=state.get("license") or None,
        zone=state.get("geozone") or None,
        badge=badge if badge in BADGE_KINDS else None,
        period=coverage(state),
    )
    if base is None or base.organization is None:
        filters = replace(filters, organization=state.get("organization") or None)
    sort = state.get("sort")
    return DatasetQuery(
        page=state.page,
        page_size=PAGE_SIZE,
        sort=sort if sort in SORTS and sort else None,
        q=state.get("q"),
        filters=filters,
    )


@dataclass(frozen=True, slots=True)
class PeriodLink:
    """One line of the temporal coverage facet: a decade, or a year of the decade chosen."""

    label: str
    url: str
    count: int
    on: bool
    is_year: bool


def period_links(state: SearchState, path: str, counted: tuple[tuple[Period, int], ...]) -> list[PeriodLink]:
    """The periods that hold matches (and the one chosen), recent first, the years of a decade
    under it; a link chooses its period, or leaves it when it is the one chosen."""
    chosen = coverage(state)
    links: list[tuple[tuple[int, int, int], PeriodLink]] = []
    for period, count in counted:
        on = chosen == (period.first, period.last)
        if count == 0 and not on:
            continue
        if on:
            url = state.url(path, temporal_start=(), temporal_end=())
        else:
            url = state.url(
                path, temporal_start=(period.first.isoformat(),), temporal_end=(period.last.isoformat(),)
            )
        is_year = period.is_year
        label = str(period.first.year) if is_year else f"{period.first.year}\u2013{period.last.year}"
        # Decades newest first, each decade's years (only the chosen decade has them) just under it.
        decade_start = period.first.year - period.first.year % 10
        key = (-decade_start, 1 if is_year else 0, -period.first.year)
        links.append((key, PeriodLink(label, url, count, on, is_year)))
    return [link for _, link in sorted(links, key=lambda pair: pair[0])]


def custom_period(state: SearchState, links: list[PeriodLink]) -> tuple[date | None, date | None] | None:
    """The period of the date fields as it is applied (its bounds, None for an open one: the page
    says them in words, "…" for none), when no line of the facet is it: its own line then takes
    it away. None when no period is applied (a date that is none is ignored, and was shown as a
    filter)."""
    if coverage(state) is None or any(link.on for link in links):
        return None
    start, end = _day(state.get("temporal_start")), _day(state.get("temporal_end"))
    if start is not None and end is not None and start > end:
        start, end = end, start
    return (start, end)
