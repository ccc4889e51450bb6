"""udata's API v1 (data.gouv.fr, another opencat): ``/api/1/datasets/`` paged through ``next_page``,
each dataset a ``RemoteDataset`` whose resources stay remote links."""

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from opencat.catalog.harvest_backends.paging import RecentIds, json_or_missing
from opencat.domain.datasets import CHECKSUM_TYPES, RESOURCE_TYPES
from opencat.domain.dates import parse_date, parse_datetime
from opencat.domain.harvest import (
    ConfigKey,
    Fetcher,
    HarvestSourceError,
    ItemFailure,
    RemoteContact,
    RemoteDataset,
    RemoteResource,
)

_DATASETS_PATH = "/api/1/datasets/"
# A listing's arguments that select nothing (its language, paging and order).
_NOT_FILTERS = frozenset({"lang", "page", "page_size", "sort"})
_PAGE_SIZE = 100
_MAX_PAGE_SIZE = 1000
_CHECKSUM_TYPES = frozenset(CHECKSUM_TYPES)  # udata's own, sha2 and crc included


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
        """The pages oldest first (``sort=created``: a dataset created while they are read lands
        on a later page, not on one already read). A page whose every dataset was on one of the
        pages just read is a paging loop (a site answering the same datasets for every page)."""
        seen: set[str] = set()
        recent = RecentIds()
        page_url: str | None = first_page(url, config)
        while page_url is not None:
            if page_url in seen:
                raise HarvestSourceError(f"paging loops: {page_url} was already read")
            seen.add(page_url)
            page = fetcher.get(page_url, accept="application/json")
            envelope = _envelope(page_url, page.body)
            entries = envelope["data"]
            if recent.repeats([entry.get("id") if isinstance(entry, dict) else None for entry in entries]):
                raise HarvestSourceError(f"paging loops: {page_url} lists only datasets already read")
            for entry in entries:
                yield _item(entry)
            following = envelope.get("next_page")
            page_url = following if isinstance(following, str) and following else None

    def gone(self, url: str, fetcher: Fetcher, config: Mapping[str, object], remote_id: str) -> bool:
        """Asked of the dataset itself: gone on a 404 or 410 (deleted, private), or when it is
        deleted, archived, or no longer the configured organization's. A source URL that filters
        the listing otherwise (``?tag=…``, ``?q=…``) selects what one dataset's answer cannot
        tell: a dataset it no longer lists is gone, as before asking (a shifted page may then
        archive one, as it did)."""
        parts = urlsplit(first_page(url, config))
        filters = {name for name, _ in parse_qsl(parts.query)} - _NOT_FILTERS
        if filters - {"organization"}:
            return True
        selected = [value for name, value in parse_qsl(parts.query) if name == "organization"]
        prefix = parts.path.rstrip("/").removesuffix(_DATASETS_PATH.rstrip("/"))  # a site under a path
        path = f"{prefix}{_DATASETS_PATH}{quote(remote_id, safe='')}/"
        address = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        found = json_or_missing(fetcher, address)
        if found is None:
            return True
        if not isinstance(found, dict) or found.get("id") != remote_id:
            raise HarvestSourceError(f"{address} did not answer the dataset {remote_id}")
        owner = found.get("organization")
        owned = (owner.get("id"), owner.get("slug")) if isinstance(owner, dict) else ()
        moved = any(organization not in owned for organization in selected)
        return bool(found.get("deleted") or found.get("archived") or found.get("private") or moved)


def first_page(url: str, config: Mapping[str, object]) -> str:
    """The datasets endpoint of the site at ``url`` (the site, or its endpoint given as is, whose
    own query is then kept whole), oldest first. The site's own query (``?lang=fr``) is kept."""
    parts = urlsplit(url)
    if parts.path.rstrip("/").endswith("/api/1/datasets"):
        if parts.query:
            return url
        path = parts.path
    else:
        path = parts.path.rstrip("/") + _DATASETS_PATH
    query: list[tuple[str, str]] = parse_qsl(parts.query, keep_blank_values=True)
    query += [("page_size", str(_page_size(config.get("page_size")))), ("sort", "created")]
    organization = config.get("organization")
    if isinstance(organization, str) and organization:
        query.append(("organization", organization))
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


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
        geom=_geom(spatial.get("geom")),
        schema=_schema(entry.get("schema")),
        contacts=tuple(contact for contact in map(_contact, entry.get("contact_points") or ()) if contact),
    )


def _contact(value: object) -> RemoteContact | None:
    """A contact point as udata embeds it (``{name, email, contact_form, role}``)."""
    if not isinstance(value, dict):
        return None
    role = _text(value.get("role")) or "contact"
    name = _text(value.get("name")) or ""
    email, form = _text(value.get("email")), _text(value.get("contact_form"))
    return RemoteContact(role, name, email, form) if name or email or form else None


def _geom(value: object) -> dict[str, Any] | None:
    """A drawn area as udata gives it (a GeoJSON MultiPolygon); the mapping checks it further."""
    if (
        isinstance(value, dict)
        and value.get("type") == "MultiPolygon"
        and isinstance(value.get("coordinates"), list)
    ):
        return value
    return None


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
        type=resource_type if resource_type in RESOURCE_TYPES else "other",
        issued_at=_moment(entry.get("created_at")),
        modified_at=_moment(entry.get("last_modified")),
        # Its permalink, stable when its file is replaced (a new URL): the resource keeps its id.
        uri=_text(entry.get("latest")),
        schema=_schema(entry.get("schema")),
    )


def _schema(value: object) -> dict[str, str] | None:
    """udata's schema object (``name``, ``version``, ``url``): its text keys, if it names one."""
    if not isinstance(value, dict):
        return None
    found = {key: text for key in ("name", "version", "url") if (text := _text(value.get(key)))}
    return found if "name" in found or "url" in found else None


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
