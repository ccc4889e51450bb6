"""udata's pagination envelope, with absolute next/previous URLs (udata: udata/api/fields.py, pagination)."""

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from opencat.api.params import Argument, integer_argument, positive_int
from opencat.domain.queries import Page

T = TypeVar("T")


# udata v1 has no page size limit; one request asking for a million datasets would hold a
# worker for minutes, so we cap it (a documented deviation) and the offset with it.
MAX_PAGE_SIZE = 1000
MAX_PAGE = 10_000_000


PAGE_HELP = "The page to fetch"
PAGE_SIZE_HELP = "The page size to fetch"


def page_arguments(
    params: QueryParams, default_size: int = 20, max_size: int = MAX_PAGE_SIZE
) -> tuple[int, int]:
    page = positive_int(params, "page", 1, PAGE_HELP, MAX_PAGE)
    page_size = positive_int(params, "page_size", default_size, PAGE_SIZE_HELP, max_size)
    return page, page_size


def paging(default_size: int = 20, max_size: int = MAX_PAGE_SIZE) -> tuple[Argument, ...]:
    """What ``page_arguments`` reads, for the OpenAPI document."""
    return (
        integer_argument("page", PAGE_HELP, 1, MAX_PAGE),
        integer_argument("page_size", PAGE_SIZE_HELP, default_size, max_size),
    )


# What werkzeug's ``url_for`` leaves unescaped in a query (udata builds its page links with it):
# ``geozone=country:fr`` stays as sent, not ``country%3Afr``.
_QUERY_SAFE = "!$'()*,/:;?@"


def _query(items: list[tuple[str, Any]]) -> str:
    return urlencode(items, safe=_QUERY_SAFE)


def _page_url(base: str, path: str, params: QueryParams, page: int) -> str:
    """The same URL as udata writes it (``multi_to_dict`` then ``url_for``): each key's values
    together where the key first stood, ``page`` replaced there (one value) or appended last."""
    grouped: dict[str, list[str]] = {}
    for key, value in params.multi_items():
        grouped.setdefault(key, []).append(value)
    grouped["page"] = [str(page)]
    items = [(key, value) for key, values in grouped.items() for value in values]
    return f"{base}{path}?{_query(items)}"


def envelope(
    page: Page[T],
    render: Callable[[T], dict[str, Any]],
    base: str,
    path: str,
    params: QueryParams,
) -> dict[str, Any]:
    has_next = page.page < page.pages
    return {
        "data": [render(item) for item in page.items],
        "page": page.page,
        "page_size": page.page_size,
        "total": page.total,
        "next_page": _page_url(base, path, params, page.page + 1) if has_next else None,
        "previous_page": _page_url(base, path, params, page.page - 1) if page.page > 1 else None,
    }


def resources_envelope(
    page: Page[T],
    render: Callable[[T], dict[str, Any]],
    base: str,
    path: str,
    filters: list[tuple[str, str | None]],
) -> dict[str, Any]:
    """API v2's page of a dataset's resources, as udata builds it (udata-responses call 102): its
    own key order, and links that give ``page`` and ``page_size`` first, then the filters used
    (``filters``: name and value, None when unused); any other argument is not carried."""
    others = [(key, value) for key, value in filters if value]

    def link(number: int) -> str:
        return f"{base}{path}?{_query([('page', number), ('page_size', page.page_size), *others])}"

    return {
        "data": [render(item) for item in page.items],
        "next_page": link(page.page + 1) if page.page < page.pages else None,
        "previous_page": link(page.page - 1) if page.page > 1 else None,
        "page": page.page,
        "page_size": page.page_size,
        "total": page.total,
    }
