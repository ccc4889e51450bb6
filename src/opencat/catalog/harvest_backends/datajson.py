"""The data.json backend: a DCAT-US 1.1 catalog (Project Open Data), one JSON file of datasets."""

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from opencat.catalog.license_names import is_known_license
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
from opencat.domain.numerals import is_digits

# DCAT-US 1.1's accrualPeriodicity: ISO 8601 repeating durations → udata frequencies.
_DURATIONS = {
    "R/PT1S": "continuous",
    "R/PT1H": "hourly",
    "R/P1D": "daily",
    "R/P3.5D": "semiweekly",
    "R/P0.33W": "threeTimesAWeek",
    "R/P1W": "weekly",
    "R/P2W": "biweekly",
    "R/P0.5M": "semimonthly",
    "R/P0.33M": "threeTimesAMonth",
    "R/P1M": "monthly",
    "R/P2M": "bimonthly",
    "R/P3M": "quarterly",
    "R/P4M": "threeTimesAYear",
    "R/P6M": "semiannual",
    "R/P1Y": "annual",
    "R/P2Y": "biennial",
    "R/P3Y": "triennial",
    "R/P4Y": "quadrennial",
    "R/P10Y": "decennial",
    "irregular": "irregular",
}
# data.json 1.0 spelled them out (``Annual``, ``Three times a week``, ``Continuously updated``).
_NAMES = {"continuouslyupdated": "continuous", "threetimesaweek": "threeTimesAWeek"}
_NAMES |= {"threetimesamonth": "threeTimesAMonth", "threetimesayear": "threeTimesAYear"}
_ACCEPT = "application/json, */*;q=0.1"


class DataJsonBackend:
    name = "datajson"
    label = "data.json (DCAT-US)"
    extra_configs: tuple[ConfigKey, ...] = ()  # only the run's ``delay``

    def items(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object]
    ) -> Iterator[RemoteDataset | ItemFailure]:
        page = fetcher.get(url, accept=_ACCEPT)
        try:
            catalog = json.loads(page.body)
        except (ValueError, RecursionError) as error:
            raise HarvestSourceError(f"{page.url} is not JSON: {error}") from None
        # 1.1 wraps the datasets in a catalog; 1.0 was a bare list
        datasets = catalog.get("dataset") if isinstance(catalog, dict) else catalog
        if not isinstance(datasets, list):
            raise HarvestSourceError(f"{page.url} is not a data.json catalog (no dataset list)")
        for entry in datasets:
            yield read_entry(entry)


def read_entry(entry: object) -> RemoteDataset | ItemFailure:
    excerpt = json.dumps(entry, ensure_ascii=False)
    if not isinstance(entry, dict):
        return ItemFailure(None, "A dataset is not a JSON object", excerpt)
    identifier = _text(entry.get("identifier"))
    title = _text(entry.get("title"))
    if identifier is None:
        return ItemFailure(None, "The dataset has no identifier", excerpt)
    if title is None:
        return ItemFailure(identifier, "The dataset has no title", excerpt)
    start, end = _temporal(_text(entry.get("temporal")))
    return RemoteDataset(
        remote_id=identifier,
        title=title,
        description=_text(entry.get("description")) or "",
        tags=_keywords(entry.get("keyword")),
        license=_license(entry),
        frequency=frequency_of_duration(_text(entry.get("accrualPeriodicity"))),
        temporal_start=start,
        temporal_end=end,
        resources=tuple(filter(None, map(_distribution, _list(entry.get("distribution"))))),
        remote_url=_text(entry.get("landingPage")),
        uri=_text(entry.get("@id")),
        dct_identifier=identifier,
        issued_at=_when(entry.get("issued")),
        modified_at=_when(entry.get("modified")),
    )


def frequency_of_duration(value: str | None) -> str | None:
    """A udata frequency from DCAT-US's ISO 8601 duration, 1.0's spelled-out name or a udata id."""
    if not value:
        return None
    if value in _DURATIONS:
        return _DURATIONS[value]
    compact = re.sub(r"[^a-z]", "", value.lower())
    return _NAMES.get(compact) or frequency_of(compact) or frequency_of(value)


def _distribution(distribution: object) -> RemoteResource | None:
    if not isinstance(distribution, dict):
        return None
    url = _text(distribution.get("downloadURL")) or _text(distribution.get("accessURL"))
    if url is None:
        return None
    return RemoteResource(
        url=url,
        title=_text(distribution.get("title")),
        description=_text(distribution.get("description")),
        format=(_text(distribution.get("format")) or "").lower() or None,
        mime=media_type_of(_text(distribution.get("mediaType")) or ""),
        filesize=_size(distribution.get("byteSize")),  # not DCAT-US, but national profiles add it
        issued_at=_when(distribution.get("issued")),
        modified_at=_when(distribution.get("modified")),
        # only an accessURL: an API or a page in front of the data, not the file itself
        type="main" if _text(distribution.get("downloadURL")) else "api",
    )


def _size(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    return int(value) if isinstance(value, str) and is_digits(value.strip()) else None


def _license(entry: dict[str, Any]) -> str | None:
    license = _text(entry.get("license"))
    rights = _text(entry.get("rights"))
    given = [name for name in (license, rights) if name]
    return next((name for name in given if is_known_license(name)), given[0] if given else None)


def _temporal(value: str | None) -> tuple[date | None, date | None]:
    """``start/end`` with dates or datetimes; a part that is a duration or unreadable is None."""
    if not value or "/" not in value:
        return None, None
    start, _, end = value.partition("/")
    return _day(start), _day(end)


def _keywords(value: object) -> tuple[str, ...]:
    words = value.split(",") if isinstance(value, str) else _list(value)
    return tuple(dict.fromkeys(word.strip() for word in words if isinstance(word, str) and word.strip()))


def _day(value: str) -> date | None:
    moment = _when(value)
    return moment.date() if moment else None


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip() or value.strip().upper().startswith(("R/", "P")):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
