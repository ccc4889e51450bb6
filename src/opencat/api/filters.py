"""The query arguments of ``GET /datasets/`` (udata: udata/core/dataset/api.py, DatasetApiParser), parsed with udata's errors."""

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from starlette.datastructures import QueryParams

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
from opencat.domain import ids
from opencat.domain.accounts import ORGANIZATION_BADGE_KINDS
from opencat.domain.datasets import ACCESS_TYPES, BADGE_KINDS
from opencat.domain.errors import BadRequest
from opencat.domain.queries import SORT_KEYS, DatasetQuery
from opencat.domain.search import SearchFilters

# The arguments that narrow the list (udata: udata/core/dataset/api.py, DatasetApiParser; ``credit`` is accepted and ignored).
FILTERS = frozenset(
    ("tag", "license", "featured", "geozone", "granularity", "temporal_coverage", "access_type",
     "organization", "badge", "organization_badge", "owner", "followed_by", "format", "schema",
     "schema_version", "topic", "dataservice", "reuse", "archived", "deleted", "private")
)  # fmt: skip
SORT_CHOICES = tuple(key for name in SORT_KEYS for key in (name, f"-{name}"))
_COVERAGE = re.compile(r"^(\d{4}-\d{2}-\d{2})-(\d{4}-\d{2}-\d{2})$")
# Ids of objects opencat does not hold yet: malformed is a 400, a valid one is ignored (udata).
IGNORED_IDS = {"topic": "Topic", "dataservice": "Dataservice", "reuse": "Reuse"}
# reqparse starts an argument's error with its help text: udata's, word for word.
SORT_HELP = "The field (and direction) on which sorting apply"
_HIDDEN_HELP = (
    "If set to true, it will filter on {0} datasets only. If set to false, it will exclude {0} datasets."
    " User must be authenticated and results are limited to user visibility"
)
FEATURED_HELP = "If set to true, it will filter on featured datasets only. If set to false, it will exclude featured datasets."


COVERAGE_HELP = "A period, YYYY-MM-DD-YYYY-MM-DD"
SHARED_ARGUMENTS = (
    text_argument("tag", "Datasets carrying every one of these tags", repeated=True),
    text_argument("license", "A license id"),
    boolean_argument("featured", FEATURED_HELP),
    text_argument("geozone", "A geozone id"),
    Argument("temporal_coverage", {"type": "string", "pattern": _COVERAGE.pattern + "|^$"}, COVERAGE_HELP),
    choice_argument("access_type", ACCESS_TYPES),
    identifier_argument("organization", "An organization id"),
    choice_argument("badge", BADGE_KINDS),
    choice_argument("organization_badge", ORGANIZATION_BADGE_KINDS),
    identifier_argument("owner", "A user id"),
)


def identifier(params: QueryParams, name: str, label: str) -> str | None:
    value = first(params, name)
    if not value:  # udata ignores an empty filter
        return None
    if not ids.is_object_id(value):
        raise BadRequest(f"{label} arg must be an identifier")
    return value.lower()


def period(raw: str) -> tuple[date, date] | None:
    """``YYYY-MM-DD-YYYY-MM-DD`` read as two days in order, or None when it is not one."""
    match = _COVERAGE.match(raw)
    if match is None:
        return None
    try:
        start, end = (date.fromisoformat(part) for part in match.groups())
    except ValueError:
        return None
    return (start, end) if start <= end else (end, start)


def coverage(params: QueryParams) -> tuple[date, date] | None:
    """``YYYY-MM-DD-YYYY-MM-DD``, both bounds whole (udata cut the first one short)."""
    raw = first(params, "temporal_coverage")
    if not raw:
        return None
    found = period(raw)
    if found is None:
        raise invalid_argument(
            "temporal_coverage", f"Invalid temporal coverage {raw!r}: expected YYYY-MM-DD-YYYY-MM-DD"
        )
    return found


def shared_filters(
    params: QueryParams,
    featured_help: str = FEATURED_HELP,
    coverage_of: Callable[[QueryParams], tuple[date, date] | None] = coverage,
) -> SearchFilters:
    """The filters v1's list and v2's search read alike (the rest differ, see filters_v2, which
    words two of them as v2's own parser does)."""
    return SearchFilters(
        tags=tuple(params.getlist("tag")),
        license=first(params, "license") or None,
        featured=boolean(params, "featured", featured_help),
        zone=first(params, "geozone") or None,
        coverage=coverage_of(params),
        access_type=choice(params, "access_type", ACCESS_TYPES),
        organization=identifier(params, "organization", "Organization"),
        badge=choice(params, "badge", BADGE_KINDS),
        organization_badge=choice(params, "organization_badge", ORGANIZATION_BADGE_KINDS),
        owner=identifier(params, "owner", "Owner"),
    )


def _filters(params: QueryParams) -> SearchFilters:
    return replace(
        shared_filters(params),
        granularities=(value,) if (value := first(params, "granularity")) else (),  # one value in v1
        formats=(value,) if (value := first(params, "format")) else (),
        schemas=(value,) if (value := first(params, "schema")) else (),
        schema_version=first(params, "schema_version") or None,
        private=boolean(params, "private", _HIDDEN_HELP.format("private")),
        archived=boolean(params, "archived", _HIDDEN_HELP.format("archived")),
        deleted=boolean(params, "deleted", _HIDDEN_HELP.format("deleted")),
    )


# What ``dataset_query`` reads, in the OpenAPI document.
LIST_ARGUMENTS: tuple[Argument, ...] = (
    text_argument("q", "The search query"),
    choice_argument("sort", SORT_CHOICES, SORT_HELP),
    *paging(),
    *SHARED_ARGUMENTS,
    text_argument("granularity", "A spatial granularity id"),
    text_argument("format", "A resource format"),
    text_argument("schema", "A resource schema name"),
    text_argument("schema_version", "A resource schema version"),
    boolean_argument("private", _HIDDEN_HELP.format("private")),
    boolean_argument("archived", _HIDDEN_HELP.format("archived")),
    boolean_argument("deleted", _HIDDEN_HELP.format("deleted")),
    *(identifier_argument(name, f"A {label} id (accepted, ignored)") for name, label in IGNORED_IDS.items()),
    identifier_argument("followed_by", "Datasets a user follows"),
)


def dataset_query(params: QueryParams) -> DatasetQuery:
    page, page_size = page_arguments(params)
    sort = choice(params, "sort", SORT_CHOICES, SORT_HELP)
    for name, label in IGNORED_IDS.items():
        identifier(params, name, label)
    return DatasetQuery(
        page=page,
        page_size=page_size,
        sort=sort,
        q=(first(params, "q") or "").strip(),
        filters=_filters(params),
        followed_by=identifier(params, "followed_by", "`followed_by`"),
    )
