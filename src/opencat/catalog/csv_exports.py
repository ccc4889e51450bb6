"""data.gouv.fr's CSV catalogue exports read as API v1 dataset documents (no database).

Two exports are understood, told apart by their header line: the official ``;``-separated dataset
export (``export-dataset-*.csv``) and the comma-separated ``id,title,url,description,organization``
cut of the 2020 export. Each row becomes an API v1 document, so every input shape is imported alike
(``catalog/import_documents.py``).
"""

import ast
import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from opencat.catalog.import_documents import Entry
from opencat.domain.errors import Invalid
from opencat.domain.numerals import is_digits
from opencat.domain.references import License
from opencat.domain.slugs import slugify

# The csvcut of the 2020-01-11 export kept in shared/realdata (README section 3). It has no dates:
# every dataset and organization gets the export's day.
EXPORT_2020_COLUMNS = ("id", "title", "url", "description", "organization")
EXPORT_2020_DATE = "2020-01-11T00:00:00+00:00"
# The columns the official dataset export must have for us to read it (the sample has 40).
EXPORT_COLUMNS = frozenset(
    {"id", "title", "slug", "organization", "organization_id", "created_at", "last_modified"}
)
_FALSE = frozenset({"", "false", "0", "none"})
_CSV_FIELD_LIMIT = 64 * 1024 * 1024  # descriptions can be long; the csv default is 128 KiB

Row = dict[str, str]


def read_export(path: Path, licenses: Iterable[License]) -> list[Entry]:
    """The entries of a CSV catalogue export, whose header line tells which export it is.

    The official export writes a license's title: ``licenses`` (the catalog's list) maps it back to
    its id."""
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            delimiter = ";" if ";" in first else ","
            columns = [name.strip() for name in next(csv.reader([first], delimiter=delimiter), [])]
            rows = _rows(csv.reader(handle, delimiter=delimiter), columns, path)
            if tuple(columns) == EXPORT_2020_COLUMNS:
                return [_export_2020_entry(row) for row in rows]
            if delimiter == ";" and EXPORT_COLUMNS.issubset(columns):
                license_ids = _license_ids(licenses)
                return [_export_entry(row, license_ids) for row in rows]
    except UnicodeDecodeError as error:  # a Latin-1 export: Python's words named no file or place
        where = f"byte {error.start} of a line" if error.start is not None else "a line"
        raise Invalid({"path": [f"{path} is not UTF-8 ({where} is not): save the export as UTF-8"]}) from None
    raise Invalid(
        {
            "path": [
                f"{path} is not a catalogue export: expected the header "
                f"{','.join(EXPORT_2020_COLUMNS)!r} or a ';'-separated one with "
                f"{', '.join(sorted(EXPORT_COLUMNS))}"
            ]
        }
    )


def _rows(reader: Iterable[list[str]], columns: list[str], path: Path) -> Iterator[Row]:
    """Each row by column name.

    A row short of values keeps its head (up to ``description``) and its tail (dates, counts)
    in place: the missing values are taken to be those in between, and left empty. The real
    sample of the current export has one such row, three values short.
    """
    head = columns.index("description") + 1 if "description" in columns else len(columns)
    for number, values in enumerate(reader, start=2):
        if not values:
            continue
        missing = len(columns) - len(values)
        if missing > 0 and len(values) > head:
            values = values[:head] + [""] * missing + values[head:]
        if len(values) != len(columns):
            problem = f"{path}, record {number}: {len(values)} values for {len(columns)} columns"
            raise Invalid({"path": [problem]})
        yield dict(zip(columns, values, strict=True))


def _cell(row: Row, name: str) -> str:
    return (row.get(name) or "").strip()


def generated_organization_id(name: str) -> str:
    """A stable id for an organization known only by its name (24 hex digits, like udata's)."""
    return hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()[:24]


_DATASET_PATH = re.compile(r"^/(?:[a-z]{2}/)?datasets/([^/]+)/?$")


def slug_from_url(url: str) -> str | None:
    """The slug in a data.gouv.fr dataset page address, such as ``/fr/datasets/<slug>/``."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if host != "data.gouv.fr" and not host.endswith(".data.gouv.fr"):
        return None
    match = _DATASET_PATH.match(parts.path)
    return unquote(match.group(1)) if match else None


def _export_2020_entry(row: Row) -> Entry:
    title = row.get("title") or ""
    name = _cell(row, "organization")
    organization = (
        {
            "id": generated_organization_id(name),
            "name": name,
            "created_at": EXPORT_2020_DATE,
            "last_modified": EXPORT_2020_DATE,
        }
        if name
        else None
    )
    dataset = {
        "id": _cell(row, "id"),
        "title": title,
        "slug": slug_from_url(row.get("url") or "") or slugify(title),
        "description": row.get("description") or "",
        "created_at": EXPORT_2020_DATE,
        "last_modified": EXPORT_2020_DATE,
    }
    return Entry(dataset, [], organization, summary=True)


def _license_ids(licenses: Iterable[License]) -> dict[str, str]:
    """Each license's id, title and alternate titles, any case, to its id."""
    found: dict[str, str] = {}
    for item in licenses:
        for name in (item.id, item.title, *item.alternate_titles):
            found.setdefault(name.casefold(), item.id)
    return found


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _export_metrics(row: Row) -> dict[str, Any]:
    """``metric.*`` columns: counts, and ``*_by_months`` written as Python dict literals."""
    metrics: dict[str, Any] = {}
    for column in row:
        if not column or not column.startswith("metric."):
            continue
        name, value = column.removeprefix("metric."), _cell(row, column)
        if name.endswith("_by_months"):
            months = _literal(value) if value.startswith("{") else None
            if isinstance(months, dict):
                metrics[name] = {str(k): v for k, v in months.items() if isinstance(v, int)}
        elif is_digits(value):
            metrics[name] = int(value)
    return metrics


def _export_harvest(row: Row) -> dict[str, str] | None:
    harvest = {
        column.removeprefix("harvest."): _cell(row, column)
        for column in row
        if column and column.startswith("harvest.") and _cell(row, column)
    }
    return harvest or None


def _export_archived(value: str, last_modified: str) -> str | None:
    """udata writes the archive date, or False; a bare True falls back to the last modification."""
    if value.casefold() in _FALSE:
        return None
    return last_modified if value.casefold() == "true" else value


def _export_entry(row: Row, licenses: dict[str, str]) -> Entry:
    """One row of the official export as an API v1 document (its zones are names: not kept)."""
    org_id, owner_id = _cell(row, "organization_id"), _cell(row, "owner_id")
    last_modified = _cell(row, "last_modified")
    start, end = _cell(row, "temporal_coverage.start"), _cell(row, "temporal_coverage.end")
    granularity = _cell(row, "spatial.granularity")
    dataset = {
        "id": _cell(row, "id"),
        "title": row.get("title") or "",
        "slug": _cell(row, "slug") or slug_from_url(row.get("url") or ""),
        "acronym": _cell(row, "acronym") or None,
        "description": row.get("description") or "",
        "description_short": _cell(row, "description_short") or None,
        "frequency": _cell(row, "frequency"),
        "license": licenses.get(_cell(row, "license").casefold()),
        "temporal_coverage": {"start": start, "end": end or None} if start else None,
        "spatial": {"granularity": granularity} if granularity else None,
        "featured": _cell(row, "featured").casefold() not in _FALSE,
        "created_at": _cell(row, "created_at"),
        "last_modified": last_modified,
        "tags": [tag.strip() for tag in _cell(row, "tags").split(",") if tag.strip()],
        "archived": _export_archived(_cell(row, "archived"), last_modified),
        "harvest": _export_harvest(row),
        "metrics": _export_metrics(row),
        "owner": {"id": owner_id, "slug": _cell(row, "owner") or None} if owner_id and not org_id else None,
    }
    organization = {"id": org_id, "name": _cell(row, "organization") or org_id} if org_id else None
    return Entry(dataset, [], organization, summary=True)
