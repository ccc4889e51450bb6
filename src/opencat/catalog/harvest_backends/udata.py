"""udata's API v1 (data.gouv.fr, another opencat): ``/api/1/datasets/`` paged through ``next_page``,
each dataset a ``RemoteDataset`` whose resources stay remote links."""

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from opencat.domain.dates import parse_date, parse_datetime
from opencat.domain.harvest import (
    ConfigKey,
    Fetcher,
    HarvestSourceError,
    ItemFailure,
    RemoteDataset,
    RemoteResource,
)

_DATASETS_PATH = "/api/1/datasets/"
_PAGE_SIZE = 100
_MAX_PAGE_SIZE = 1000
_CHECKSUM_TYPES = frozenset({"md5", "sha1", "sha256", "sha512"})
_RESOURCE_TYPES = frozenset({"main", "documentation", "update", "api", "code", "other"})


class UdataBackend:
    name = "udata"
    label = "udata"
    extra_configs = (
        ConfigKey(
            "page_size",
            "Page size",
            f"Datasets asked for per page of /api/1/datasets/ (1 to {_MAX_PAGE_SIZE})",
            str(_PAGE_SIZE),
        ),
        ConfigKey("organization", "Organization", "An organization id of the remote site: only its datasets"),
    )

    def items(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object]
    ) -> Iterator[RemoteDataset | ItemFailure]:
        seen: set[str] = set()
        page_url: str | None = first_page(url, config)
        while page_url is not None:
            if page_url in seen:
                raise HarvestSourceError(f"paging loops: {page_url} was already read")
            seen.add(page_url)
            page = fetcher.get(page_url, accept="application/json")
            envelope = _envelope(page_url, page.body)
            for entry in envelope["data"]:
                yield _item(entry)
            following = envelope.get("next_page")
            page_url = following if isinstance(following, str) and following else None


def first_page(url: str, config: Mapping[str, object]) -> str:
    """The datasets endpoint of the site at ``url`` (the site, or its endpoint given as is)."""
    parts = urlsplit(url)
    if parts.path.rstrip("/").endswith("/api/1/datasets"):
        if parts.query:
            return url
        base = url
    else:
        base = url.rstrip("/") + _DATASETS_PATH
    query: dict[str, str] = {"page_size": str(_page_size(config.get("page_size")))}
    organization = config.get("organization")
    if isinstance(organization, str) and organization:
        query["organization"] = organization
    return f"{base}?{urlencode(query)}"


def _page_size(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_PAGE_SIZE:
        return value
    return _PAGE_SIZE


def _envelope(url: str, body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested beyond what the parser follows
        raise HarvestSourceError(f"{url} did not answer JSON: {body[:200]!r}") from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise HarvestSourceError(f"{url} did not answer a page of datasets (no 'data' list)")
    return document


def _item(entry: object) -> RemoteDataset | ItemFailure:
    excerpt = json.dumps(entry, ensure_ascii=False, default=str)
    if not isinstance(entry, dict):
        return ItemFailure(None, "a dataset entry is not an object", excerpt)
    remote_id = entry.get("id")
    if not isinstance(remote_id, str) or not remote_id:
        return ItemFailure(None, "a dataset without an id", excerpt)
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        return ItemFailure(remote_id, "a dataset without a title", excerpt)
    try:
        return _dataset(remote_id, title, entry)
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        return ItemFailure(remote_id, f"unreadable dataset: {error}", excerpt)


def _dataset(remote_id: str, title: str, entry: dict[str, Any]) -> RemoteDataset:
    coverage = entry.get("temporal_coverage") or {}
    spatial = entry.get("spatial") or {}
    extras = entry.get("extras")
    return RemoteDataset(
        remote_id=remote_id,
        title=title.strip(),
        description=_text(entry.get("description")) or "",
        acronym=_text(entry.get("acronym")),
        tags=tuple(tag for tag in entry.get("tags") or () if isinstance(tag, str) and tag),
        license=_text(entry.get("license")),
        frequency=_text(entry.get("frequency")),
        temporal_start=_day(coverage.get("start")),
        temporal_end=_day(coverage.get("end")),
        zones=tuple(zone for zone in spatial.get("zones") or () if isinstance(zone, str)),
        granularity=_text(spatial.get("granularity")),
        resources=tuple(
            resource for resource in map(_resource, entry.get("resources") or ()) if resource is not None
        ),
        remote_url=_text(entry.get("page")),
        issued_at=_moment(entry.get("created_at")),
        modified_at=_moment(entry.get("last_modified")),
        extras=extras if isinstance(extras, dict) else {},
    )


def _resource(entry: object) -> RemoteResource | None:
    if not isinstance(entry, dict) or not _text(entry.get("url")):
        return None  # a resource without a link has nothing to keep
    checksum = entry.get("checksum") or {}
    kind = _text(checksum.get("type")) or "sha1"
    value = _text(checksum.get("value"))
    filesize = entry.get("filesize")
    resource_type = entry.get("type")
    return RemoteResource(
        url=str(entry["url"]),
        title=_text(entry.get("title")),
        description=_text(entry.get("description")),
        format=_text(entry.get("format")),
        mime=_text(entry.get("mime")),
        filesize=filesize if isinstance(filesize, int) and not isinstance(filesize, bool) else None,
        checksum=(kind, value) if value and kind in _CHECKSUM_TYPES else None,
        type=resource_type if resource_type in _RESOURCE_TYPES else "other",
        issued_at=_moment(entry.get("created_at")),
        modified_at=_moment(entry.get("last_modified")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _day(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_date(value[:10])
    except ValueError:
        return None
