"""The CKAN backend: ``/api/3/action/package_search`` paged with rows/start, each package a RemoteDataset."""

import calendar
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from opencat.catalog.harvest_backends.paging import RecentIds, json_or_missing
from opencat.catalog.license_names import is_known_license
from opencat.dcat.remote_spatial import geojson_area
from opencat.dcat.remote_vocabularies import frequency_of, media_type_of
from opencat.domain.dates import parse_datetime
from opencat.domain.harvest import (
    ConfigKey,
    Fetcher,
    HarvestSourceError,
    ItemFailure,
    RemoteDataset,
    RemoteResource,
)
from opencat.domain.html_markdown import html_as_markdown

DEFAULT_ROWS = 100
MAX_ROWS = 1000
# Pages in a row without a public dataset (private, draft, harvest packages) before a run stops.
LEFT_OUT_PAGES = 100
# Extras read into fields; the others are kept in the dataset's extras as the source wrote them.
_MAPPED_EXTRAS = frozenset({"temporal_start", "temporal_end", "frequency"})
# HDX's ``data_update_frequency``, in days.
_DAYS = {"1": "daily", "7": "weekly", "14": "biweekly", "30": "monthly", "90": "quarterly"}
_DAYS |= {"180": "semiannual", "365": "annual", "-1": "punctual", "-2": "irregular", "0": "continuous"}
# CKAN's resource_type → udata's resource types.
_RESOURCE_TYPES = {"api": "api", "documentation": "documentation", "code": "code"}
_DIGESTS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


class CkanBackend:
    name = "ckan"
    label = "CKAN"
    extra_configs = (
        ConfigKey(
            "page_size",
            "Page size",
            f"Packages asked for per page of package_search (its rows, 1 to {MAX_ROWS})",
            str(DEFAULT_ROWS),
        ),
    )

    def items(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object]
    ) -> Iterator[RemoteDataset | ItemFailure]:
        """Pages of ``rows`` packages, oldest first (new packages land on later pages, not on
        ones already read); a page made only of packages of the pages just read is a paging loop.
        What is no public dataset (a ckanext-harvest source, a private or draft package) is left
        out, as udata-ckan does."""
        site = _site(url)
        rows = _rows(config)
        start = 0
        recent = RecentIds()
        left_out = 0  # pages in a row of which nothing was a public dataset
        while True:
            query = urlencode({"rows": rows, "start": start, "sort": "metadata_created asc"})
            count, packages = _search_page(
                fetcher.get(f"{site}/api/3/action/package_search?{query}", accept="application/json")
            )
            ids = [package.get("id") if isinstance(package, dict) else None for package in packages]
            if recent.repeats(ids):
                raise HarvestSourceError(f"{site} answers the same packages whatever the start ({start})")
            kept = [
                package for package in packages if not isinstance(package, dict) or _public_dataset(package)
            ]
            left_out = 0 if kept else left_out + 1
            if left_out >= LEFT_OUT_PAGES:  # a count of 10^12 private packages is no catalog
                raise HarvestSourceError(
                    f"{site}: {left_out} pages in a row hold no public dataset (start {start})"
                )
            for package in kept:
                yield read_package(package, site)
            start += len(packages)
            if not packages or start >= count:
                return

    def gone(self, url: str, fetcher: Fetcher, config: Mapping[str, object], remote_id: str) -> bool:
        """Asked of ``package_show``: gone when CKAN does not find it (404), or when it is no
        public dataset any more (deleted, draft, private). A 403 may be CKAN's refusal of a
        private package or a firewall's of a burst of requests: it says nothing (the dataset is
        kept, the job says the source could not answer)."""
        address = f"{_site(url)}/api/3/action/package_show?{urlencode({'id': remote_id})}"
        found = json_or_missing(fetcher, address)
        if found is None:
            return True
        package = found.get("result") if isinstance(found, dict) else None
        if not isinstance(found, dict) or found.get("success") is not True or not isinstance(package, dict):
            raise HarvestSourceError(f"{address} is not a successful package_show answer")
        return not _public_dataset(package)


def _public_dataset(package: dict[str, Any]) -> bool:
    """A package udata-ckan would harvest: a dataset (not a ckanext-harvest source, whose type
    is ``harvest``), public, and active (not a draft or deleted)."""
    return (
        package.get("type") in (None, "dataset")
        and package.get("private") is not True
        and package.get("state") in (None, "active")
    )


def _site(url: str) -> str:
    """The portal's root, whether the source was given as the root or as an API URL."""
    site = url.split("?", 1)[0].rstrip("/")
    for suffix in ("/package_search", "/action", "/3", "/api"):
        site = site.removesuffix(suffix)
    return site


def _rows(config: Mapping[str, object]) -> int:
    rows = config.get("page_size", DEFAULT_ROWS)
    return max(1, min(rows, MAX_ROWS)) if isinstance(rows, int) else DEFAULT_ROWS


def _search_page(page: Any) -> tuple[int, list[Any]]:
    try:
        answer = json.loads(page.body)
    except (ValueError, RecursionError) as error:
        raise HarvestSourceError(f"{page.url} is not JSON: {error}") from None
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(answer, dict) or answer.get("success") is not True or not isinstance(result, dict):
        raise HarvestSourceError(f"{page.url} is not a successful package_search answer")
    count, packages = result.get("count"), result.get("results")
    if not isinstance(count, int) or not isinstance(packages, list):
        raise HarvestSourceError(f"{page.url} has no count or results")
    return count, packages


def read_package(package: object, site: str) -> RemoteDataset | ItemFailure:
    excerpt = json.dumps(package, ensure_ascii=False)
    if not isinstance(package, dict):
        return ItemFailure(None, "A package is not a JSON object", excerpt)
    remote_id = _text(package.get("id")) or _text(package.get("name"))
    title = _text(package.get("title"))
    if remote_id is None:
        return ItemFailure(None, "The package has neither an id nor a name", excerpt)
    if title is None:
        return ItemFailure(remote_id, "The package has no title", excerpt)
    extras = _extras(package.get("extras"))
    geom = _drawn_area(package.get("extras"))
    name = _text(package.get("name"))
    return RemoteDataset(
        remote_id=remote_id,
        title=title,
        # CKAN's notes are Markdown, or HTML on portals that edit them so: udata-ckan stores
        # ``parse_html(notes)``, Markdown (an HTML description was stored as HTML).
        description=_markdown(package.get("notes")) or "",
        tags=_tags(package.get("tags")),
        license=_license(package),
        frequency=_frequency(extras, package),
        temporal_start=_day(extras.get("temporal_start")),
        temporal_end=_last_day(extras.get("temporal_end")),
        resources=tuple(
            filter(
                None,
                (
                    _resource(resource, f"{site}/dataset/{remote_id}")
                    for resource in _list(package.get("resources"))
                ),
            )
        ),
        remote_url=f"{site}/dataset/{name}" if name else None,
        issued_at=_when(package.get("metadata_created")),
        modified_at=_when(package.get("metadata_modified")),
        geom=geom,
        extras={
            key: value
            for key, value in extras.items()
            if key not in _MAPPED_EXTRAS and not (key == "spatial" and geom is not None)
        },
    )


def _drawn_area(extras: object) -> dict[str, object] | None:
    """The ``spatial`` extra of ckanext-spatial, a GeoJSON Polygon or MultiPolygon (as text, or as
    an object some portals give), as udata's CKAN harvester reads it; any other shape stays an
    extra."""
    for item in _list(extras):
        if isinstance(item, dict) and item.get("key") == "spatial":
            value = item.get("value")
            text = json.dumps(value) if isinstance(value, dict) else value
            return geojson_area(text) if isinstance(text, str) else None
    return None


def _resource(resource: object, package_page: str) -> RemoteResource | None:
    if not isinstance(resource, dict) or not _text(resource.get("url")):
        return None
    size = resource.get("size")
    resource_id = _text(resource.get("id"))
    return RemoteResource(
        url=str(resource["url"]).strip(),
        title=_text(resource.get("name")),
        description=_markdown(resource.get("description")),
        format=(_text(resource.get("format")) or "").lower() or None,
        mime=media_type_of(_text(resource.get("mimetype")) or ""),
        filesize=_size(size),
        checksum=_checksum(_text(resource.get("hash"))),
        type=_RESOURCE_TYPES.get(_text(resource.get("resource_type")) or "", "main"),
        issued_at=_when(resource.get("created")),
        modified_at=_when(resource.get("last_modified") or resource.get("metadata_modified")),
        # Its page at the source: the resource keeps its id here when its file moves (a new URL).
        uri=f"{package_page}/resource/{resource_id}" if resource_id else None,
    )


def _markdown(value: object) -> str | None:
    """A text as the Markdown the catalog stores: HTML converted, Markdown as it is."""
    text = _text(value)
    return (html_as_markdown(text) or None) if text is not None else None


def _size(value: object) -> int | None:
    """A file's size in bytes: a number, or its digits in a string (older CKANs and their
    datastore give sizes as text: ``"51654"`` was dropped)."""
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    return None


def _license(package: dict[str, Any]) -> str | None:
    """The first of id, URL and title the catalog knows, else the first given."""
    names = [_text(package.get(key)) for key in ("license_id", "license_url", "license_title")]
    given = [name for name in names if name]
    return next((name for name in given if is_known_license(name)), given[0] if given else None)


def _frequency(extras: Mapping[str, str], package: dict[str, Any]) -> str | None:
    named = extras.get("frequency")
    if named and frequency_of(named):
        return frequency_of(named)
    days = _text(package.get("data_update_frequency"))
    return _DAYS.get(days) if days else None


def _extras(extras: object) -> dict[str, str]:
    pairs = (item for item in _list(extras) if isinstance(item, dict))
    # an empty value says nothing (CKAN forms save every field they show)
    return {
        str(item["key"]): str(item["value"])
        for item in pairs
        if item.get("key") and item.get("value") not in (None, "")
    }


def _tags(tags: object) -> tuple[str, ...]:
    names = (_text(tag.get("name")) if isinstance(tag, dict) else _text(tag) for tag in _list(tags))
    return tuple(dict.fromkeys(name for name in names if name))


def _checksum(value: str | None) -> tuple[str, str] | None:
    """CKAN's ``hash``: a bare hex digest or ``algorithm:digest``."""
    if not value:
        return None
    algorithm, _, digest = value.rpartition(":")
    digest = digest.lower()
    if not digest or any(char not in "0123456789abcdef" for char in digest):
        return None
    kind = algorithm.lower().replace("-", "") or _DIGESTS.get(len(digest), "")
    return (kind, digest) if kind in _DIGESTS.values() else None


def _last_day(value: str | None) -> date | None:
    """The end of a period: a year (``2020``) ends on 31 December, a month (``2019-06``) on its
    last day (udata-ckan's ``daterange_end``); a day or a moment is that day."""
    text = (value or "").strip()
    if len(text) == 4 and text.isdigit():
        return date(int(text), 12, 31)
    if (
        len(text) == 7
        and text[:4].isdigit()
        and text[4] == "-"
        and text[5:].isdigit()
        and 1 <= int(text[5:]) <= 12
    ):
        year, month = int(text[:4]), int(text[5:])
        return date(year, month, calendar.monthrange(year, month)[1])
    return _day(value)


def _day(value: str | None) -> date | None:
    moment = _when(value)
    return moment.date() if moment else None


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
