"""The query arguments of ``GET /api/2/datasets/search/``, as udata's v2 search declares them.

udata parses this search with its own parser (``DatasetSearch.filters``, udata/core/dataset/search.py),
not with v1's: the arguments both share are read here with the v1 helpers; ``private``,
``archived``, ``deleted`` and the other v1-only arguments are not declared, so they are ignored, as
reqparse ignores any undeclared argument.
"""

from dataclasses import dataclass, replace
from datetime import date

from starlette.datastructures import QueryParams

from opencat.api.filters import SHARED_ARGUMENTS, SORT_CHOICES, SORT_HELP, identifier, period, shared_filters
from opencat.api.pagination import page_arguments, paging
from opencat.api.params import (
    Argument,
    boolean,
    boolean_argument,
    choice,
    choice_argument,
    first,
    identifier_argument,
    invalid_argument,
    text_argument,
)
from opencat.domain.format_families import FORMAT_FAMILIES
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import LAST_UPDATE_RANGES, PRODUCER_TYPES, SearchFilters

# The v2 search cannot sort by title (udata-swagger-v2).
SEARCH_SORTS = tuple(key for key in SORT_CHOICES if key.lstrip("-") != "title")

# What ``search_arguments`` reads, in the OpenAPI document.
SEARCH_ARGUMENTS: tuple[Argument, ...] = (
    text_argument("q", "The search query"),
    choice_argument("sort", SEARCH_SORTS, SORT_HELP),
    *paging(),
    *SHARED_ARGUMENTS,
    text_argument("organization_name", "An organization's name"),
    text_argument("granularity", "Spatial granularity ids, any of which matches", repeated=True),
    text_argument("format", "Resource formats, any of which matches", repeated=True),
    text_argument("schema", "Resource schema names, any of which matches", repeated=True),
    choice_argument("format_family", FORMAT_FAMILIES),
    choice_argument("producer_type", PRODUCER_TYPES),
    identifier_argument("topic", "A topic id (accepted, ignored)"),
    choice_argument("last_update_range", tuple(LAST_UPDATE_RANGES)),
    boolean_argument("include_geozone_ancestors", "Also match the datasets of the geozone's ancestors"),
)


@dataclass(frozen=True, slots=True)
class SearchArguments:
    query: DatasetQuery
    last_update_range: str | None = None
    include_geozone_ancestors: bool = False


def _listed(params: QueryParams, name: str) -> tuple[str, ...]:
    """An array argument (``collectionFormat: multi``): its non-empty values, any of which matches."""
    return tuple(value for value in params.getlist(name) if value)


# udata's ``TemporalCoverageFilter`` (udata/search/fields.py): its help starts its errors.
COVERAGE_HELP = (
    "A date range expressed as start-end where both dates are in iso format (ie. YYYY-MM-DD-YYYY-MM-DD)"
)


def _coverage(params: QueryParams) -> tuple[date, date] | None:
    """v2 reads every value, an empty one too (its pattern refuses it), and says so in its words."""
    periods = [_period(raw) for raw in params.getlist("temporal_coverage")]
    return periods[0] if periods else None


def _period(raw: str) -> tuple[date, date]:
    found = period(raw)
    if found is None:
        message = f'{COVERAGE_HELP} "{raw}" does not match YYYY-MM-DD-YYYY-MM-DD'
        raise invalid_argument("temporal_coverage", message)
    return found


def _filters(params: QueryParams) -> SearchFilters:
    # v2's ``featured`` is a ``BoolFilter``, declared without v1's help text.
    shared = shared_filters(params, featured_help="", coverage_of=_coverage)
    return replace(
        shared,
        # udata-search-service reads ``A-B`` as the coverages holding the whole period (v1: a start
        # between the two days).
        coverage=None,
        containing=shared.coverage,
        tags=_listed(params, "tag"),  # v1 keeps an empty tag, which matches nothing, as udata's v1
        organization_name=(first(params, "organization_name") or "").strip() or None,
        granularities=_listed(params, "granularity"),
        formats=_listed(params, "format"),
        schemas=_listed(params, "schema"),
        format_family=choice(params, "format_family", FORMAT_FAMILIES),
        producer_type=choice(params, "producer_type", PRODUCER_TYPES),
    )


def search_arguments(params: QueryParams) -> SearchArguments:
    page, page_size = page_arguments(params)
    identifier(params, "topic", "Topic")  # no topics yet: a well-formed id is ignored, as in v1
    query = DatasetQuery(
        page=page,
        page_size=page_size,
        sort=choice(params, "sort", SEARCH_SORTS, SORT_HELP),
        q=(first(params, "q") or "").strip(),
        filters=_filters(params),
    )
    return SearchArguments(
        query,
        last_update_range=choice(params, "last_update_range", tuple(LAST_UPDATE_RANGES)),
        include_geozone_ancestors=bool(boolean(params, "include_geozone_ancestors")),
    )
