"""The catalog as udata's CSV exports (``/api/1/site/datasets.csv`` and ``/site/resources.csv``):
a row per public dataset, or per resource of one, with udata's columns (udata/core/dataset/csv.py)
written as udata writes them (udata/core/csv.py): ``;``-separated, every text quoted and numbers
and booleans bare (``csv.QUOTE_NONNUMERIC``), dates without their offset, nested values as Python
or JSON text. Re-users load these files, and udata-hydra reads its crawl list from the resources'.

Each row is read from the dataset's API document (what an anonymous reader gets), so that the
export says what the API says.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from opencat.api import serializers
from opencat.catalog import rdf as use_cases
from opencat.catalog.context import Catalog
from opencat.domain.accounts import ANONYMOUS
from opencat.domain.dates import utc_now
from opencat.domain.queries import DatasetQuery
from opencat.domain.urls import Urls

Row = list[object]
Document = dict[str, Any]

DATASET_METRICS = (
    "discussions",
    "discussions_open",
    "reuses",
    "reuses_by_months",
    "dataservices",
    "followers",
    "followers_by_months",
    "views",
    "resources_downloads",
)
DATASET_HARVEST = (
    "backend",
    "domain",
    "remote_id",
    "remote_url",
    "uri",
    "created_at",
    "issued_at",
    "modified_at",
    "last_update",
    "dct_identifier",
)
DATASET_COLUMNS = (
    "id",
    "title",
    "slug",
    "acronym",
    "url",
    "organization",
    "organization_id",
    "owner",
    "owner_id",
    "description",
    "description_short",
    "frequency",
    "license",
    "temporal_coverage.start",
    "temporal_coverage.end",
    "spatial.granularity",
    "spatial.zones",
    "spatial.geom",
    "featured",
    "created_at",
    "last_modified",
    "badges",
    "tags",
    "archived",
    "resources_count",
    "main_resources_count",
    "resources_formats",
    *(f"harvest.{key}" for key in DATASET_HARVEST),
    "quality_score",
    *(f"metric.{key}" for key in DATASET_METRICS),
)
RESOURCE_COLUMNS = (
    "dataset.id",
    "dataset.title",
    "dataset.slug",
    "dataset.url",
    "dataset.organization",
    "dataset.organization_id",
    "dataset.license",
    "dataset.private",
    "dataset.archived",
    "id",
    "url",
    "title",
    "description",
    "filetype",
    "type",
    "format",
    "mime",
    "filesize",
    "checksum.type",
    "checksum.value",
    "created_at",
    "modified",
    "downloads",
    "harvest.issued_at",
    "harvest.modified_at",
    "harvest.last_update",
    "schema_name",
    "schema_version",
    "preview_url",
    "extras",
)


def _text(value: object) -> object:
    """A cell as udata's ``safestr`` gives it: empty and numeric values as they are, the rest as text."""
    if not value or isinstance(value, int | float | bool):
        return value
    if isinstance(value, dict):
        return repr(value)  # udata's str() of a dict: Python's own notation
    return str(value)


def _date(value: object) -> str | None:
    """A date of the API document as udata's CSV writes it: the stored UTC time without its offset."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


def _get(document: Document | None, *keys: str) -> Any:
    value: Any = document
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def dataset_row(document: Document, batch: use_cases.ExportBatch) -> Row:
    resources = document.get("resources") or []
    spatial = document.get("spatial") or {}
    quality = _get(document, "quality", "score")
    archived = document.get("archived")
    return [
        document["id"],
        document.get("title"),
        document.get("slug"),
        document.get("acronym"),
        document.get("page"),
        _get(document, "organization", "name"),
        _get(document, "organization", "id"),
        _get(document, "owner", "slug"),
        _get(document, "owner", "id"),
        document.get("description"),
        document.get("description_short"),
        document.get("frequency"),
        batch.license_titles.get(document.get("license") or ""),
        _get(document, "temporal_coverage", "start"),
        _get(document, "temporal_coverage", "end"),
        spatial.get("granularity"),
        ",".join(batch.zone_names.get(zone, zone) for zone in spatial.get("zones") or []) or None,
        json.dumps(spatial["geom"], default=str) if spatial.get("geom") else None,
        bool(document.get("featured")),
        _date(document.get("created_at")),
        _date(document.get("last_modified")),
        ",".join(badge["kind"] for badge in document.get("badges") or []),
        ",".join(document.get("tags") or []),
        _date(archived) if archived else False,
        len(resources),
        sum(1 for resource in resources if resource.get("type") == "main"),
        ",".join(_unique(resource["format"] for resource in resources if resource.get("format"))),
        *(_harvest_cell(document, key) for key in DATASET_HARVEST),
        None if quality is None else format(quality, ".2f"),
        *(_metric(document, key) for key in DATASET_METRICS),
    ]


def _metric(document: Document, key: str) -> object:
    value = _get(document, "metrics", key)
    return 0 if value is None else value


def _harvest_cell(document: Document, key: str) -> object:
    value = _get(document, "harvest", key)
    return _date(value) if key.endswith(("_at", "last_update")) else value


def resource_rows(document: Document, batch: use_cases.ExportBatch) -> Iterator[Row]:
    archived = document.get("archived")
    head: Row = [
        document["id"],
        document.get("title"),
        document.get("slug"),
        document.get("page"),
        _get(document, "organization", "name"),
        _get(document, "organization", "id"),
        batch.license_titles.get(document.get("license") or ""),
        False,  # the export holds public datasets only
        _date(archived) if archived else False,
    ]
    for resource in document.get("resources") or []:
        harvest = resource.get("harvest")
        yield [
            *head,
            resource.get("id"),
            resource.get("url"),
            resource.get("title"),
            resource.get("description"),
            resource.get("filetype"),
            resource.get("type"),
            resource.get("format"),
            resource.get("mime"),
            resource.get("filesize"),
            _get(resource, "checksum", "type"),
            _get(resource, "checksum", "value"),
            _date(resource.get("created_at")),
            _date(resource.get("last_modified")),
            int(_get(resource, "metrics", "views") or 0),
            _date(_get(harvest, "issued_at")),
            _date(_get(harvest, "modified_at")),
            _date(_get(harvest, "last_update")),
            _get(resource, "schema", "name"),
            _get(resource, "schema", "version"),
            resource.get("preview_url") or None,
            json.dumps(resource.get("extras") or {}, default=str),
        ]


def _write(
    catalog: Catalog,
    urls: Urls,
    out: BinaryIO,
    header: tuple[str, ...],
    rows_of: Callable[[Document, use_cases.ExportBatch], Iterable[Row]],
    query: DatasetQuery | None,
    with_archived: bool,
) -> int:
    """Write the header, then each dataset's rows as its batch is read; returns the rows' count."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", quotechar='"', quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(header)
    count = 0
    for batch in use_cases.export_batches(catalog, query, with_archived):
        now = utc_now()
        for view in batch.views:
            document = serializers.dataset(view, ANONYMOUS, urls, now)
            # The stored license: udata's cell is empty without one (the API shows "notspecified").
            document["license"] = view.dataset.license
            for row in rows_of(document, batch):
                writer.writerow([_text(cell) for cell in row])
                count += 1
            # Written dataset by dataset: the pipe's chunks stay small, and a client that stops
            # reading holds a few of them, not whole batches (a batch was one 37 MB chunk).
            out.write(text.getvalue().encode())
            text.seek(0)
            text.truncate()
    out.write(text.getvalue().encode())
    return count


def write_datasets(
    catalog: Catalog, urls: Urls, out: BinaryIO, query: DatasetQuery | None = None, with_archived: bool = True
) -> int:
    return _write(catalog, urls, out, DATASET_COLUMNS, lambda d, b: [dataset_row(d, b)], query, with_archived)


def write_resources(
    catalog: Catalog, urls: Urls, out: BinaryIO, query: DatasetQuery | None = None, with_archived: bool = True
) -> int:
    return _write(catalog, urls, out, RESOURCE_COLUMNS, resource_rows, query, with_archived)
