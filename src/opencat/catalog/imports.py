"""Bulk import of real udata documents, keeping their ids, slugs and dates.

Four input shapes are understood: udata's fixture file (``{"datasets": [{"dataset",
"resources", "organization", ...}]}``), API v1 dataset documents (a JSON array, or a
folder of ``<id>.json`` files, with an optional sibling ``organizations/`` folder), and two
CSV catalogue exports told apart by their header line: the official ``;``-separated dataset
export (``export-dataset-*.csv``) and the comma-separated ``id,title,url,description,organization``
cut of the 2020 export. CSV rows become API v1 documents first, so every shape is imported alike.
"""

import ast
import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain import ids
from opencat.domain.accounts import ContactPoint, Organization, User
from opencat.domain.datasets import (
    Badge,
    Checksum,
    Dataset,
    Resource,
    Spatial,
    TemporalCoverage,
    too_many_resources,
)
from opencat.domain.dates import parse_date, parse_datetime
from opencat.domain.documents import MAX_DEPTH, document_problem, too_deep
from opencat.domain.errors import Invalid, Reason, problem
from opencat.domain.frequencies import normalize_frequency
from opencat.domain.slugs import slugify, unique_slug

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Entry:
    """One dataset document with what it embeds or comes with."""

    dataset: dict[str, Any]
    resources: list[dict[str, Any]]
    organization: dict[str, Any] | None


def _read_json(path: Path) -> Any:
    with path.open("rb") as handle:
        try:
            return json.load(handle)
        except RecursionError:  # the decoder recurses: past ~1000 levels it gives up
            raise Invalid({"path": [f"{path}: {too_deep(MAX_DEPTH)}"]}) from None


def read_entries(path: Path) -> tuple[list[Entry], dict[str, dict[str, Any]]]:
    """The entries found at ``path`` and the full organization documents beside them."""
    organizations: dict[str, dict[str, Any]] = {}
    if path.is_file() and not _holds_json(path):
        return read_export(path), organizations
    if path.is_dir():
        documents = [_read_json(item) for item in sorted(path.glob("*.json"))]
        sibling = path.parent / "organizations"
        if sibling.is_dir():
            for item in sorted(sibling.glob("*.json")):
                org = _read_json(item)
                organizations[org["id"]] = org
    else:
        documents = _read_json(path)
    if isinstance(documents, dict) and "datasets" in documents:
        entries = [
            Entry(item["dataset"], item.get("resources") or [], item.get("organization"))
            for item in documents["datasets"]
        ]
        return entries, organizations
    if not isinstance(documents, list):
        raise Invalid({"path": [f"{path} holds neither udata fixtures nor dataset documents"]})
    return [
        Entry(doc, doc.get("resources") or [], doc.get("organization")) for doc in documents
    ], organizations


def _holds_json(path: Path) -> bool:
    """JSON starts with an object or an array; a CSV export starts with its header line."""
    with path.open("rb") as handle:
        start = handle.read(1024).removeprefix(b"\xef\xbb\xbf").lstrip()
    return start[:1] in (b"{", b"[")


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


def read_export(path: Path) -> list[Entry]:
    """The entries of a CSV catalogue export, whose header line tells which export it is."""
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        delimiter = ";" if ";" in first else ","
        columns = [name.strip() for name in next(csv.reader([first], delimiter=delimiter), [])]
        rows = _rows(csv.reader(handle, delimiter=delimiter), columns, path)
        if tuple(columns) == EXPORT_2020_COLUMNS:
            return [_export_2020_entry(row) for row in rows]
        if delimiter == ";" and EXPORT_COLUMNS.issubset(columns):
            licenses = _license_ids()
            return [_export_entry(row, licenses) for row in rows]
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
    return Entry(dataset, [], organization)


def _license_ids() -> dict[str, str]:
    """The export writes a license's title: the bundled list maps titles (and ids) back to ids."""
    text = (files("opencat") / "refdata" / "licenses.json").read_text("utf-8")
    found: dict[str, str] = {}
    for item in json.loads(text):
        for name in (item["id"], item["title"], *item.get("alternate_titles", ())):
            found.setdefault(name.casefold(), item["id"])
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
        elif value.isdigit():
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
    return Entry(dataset, [], organization)


def _when(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    return parse_datetime(value)


def _required_when(*values: Any) -> datetime:
    for value in values:
        parsed = _when(value)
        if parsed is not None:
            return parsed
    raise Invalid({"dates": ["A dataset document without any date cannot be imported"]})


def _frequency(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return normalize_frequency(value)
    except ValueError:
        return None


def _coverage(value: Any) -> TemporalCoverage | None:
    if not isinstance(value, dict) or not value.get("start"):
        return None
    end = value.get("end")
    return TemporalCoverage(parse_date(value["start"]), parse_date(end) if end else None)


def _spatial(value: Any) -> Spatial | None:
    if not isinstance(value, dict):
        return None
    return Spatial(tuple(value.get("zones") or ()), value.get("granularity"), value.get("geom"))


def _resource(doc: dict[str, Any]) -> Resource:
    internal = doc.get("internal") or {}
    checksum = doc.get("checksum")
    created = _required_when(internal.get("created_at_internal"), doc.get("created_at"))
    return Resource(
        id=doc["id"],
        title=doc.get("title") or "",
        url=doc.get("url") or "",
        created_at_internal=created,
        last_modified_internal=_required_when(
            internal.get("last_modified_internal"), doc.get("last_modified"), created
        ),
        filetype=doc.get("filetype") or "remote",
        type=doc.get("type") or "main",
        description=doc.get("description"),
        format=doc.get("format"),
        checksum=Checksum(checksum.get("type") or "sha1", checksum["value"])
        if isinstance(checksum, dict) and checksum.get("value")
        else None,
        filesize=doc.get("filesize"),
        mime=doc.get("mime"),
        extras=doc.get("extras") or {},
        harvest=doc.get("harvest"),
        schema=doc.get("schema"),
        metrics=doc.get("metrics") or {},
        preview_url=doc.get("preview_url"),
    )


def _dataset(
    doc: dict[str, Any], owner_id: str | None, org_id: str | None, contacts: tuple[str, ...]
) -> Dataset:
    internal = doc.get("internal") or {}
    created = _required_when(
        internal.get("created_at_internal"), doc.get("created_at_internal"), doc.get("created_at")
    )
    return Dataset(
        id=doc["id"],
        slug=doc.get("slug") or slugify(doc.get("title") or "") or doc["id"],
        title=doc.get("title") or "",
        description=doc.get("description") or "",
        created_at_internal=created,
        last_modified_internal=_required_when(
            internal.get("last_modified_internal"),
            doc.get("last_modified_internal"),
            doc.get("last_modified"),
            created,
        ),
        acronym=doc.get("acronym"),
        description_short=doc.get("description_short"),
        license=doc.get("license"),
        frequency=_frequency(doc.get("frequency")),
        frequency_date=_when(doc.get("frequency_date")),
        temporal_coverage=_coverage(doc.get("temporal_coverage")),
        spatial=_spatial(doc.get("spatial")),
        tags=tuple(sorted(set(doc.get("tags") or ()))),
        private=bool(doc.get("private")),
        featured=bool(doc.get("featured")),
        deleted=_when(doc.get("deleted")),
        archived=_when(doc.get("archived")),
        extras=doc.get("extras") or {},
        harvest=doc.get("harvest"),
        metrics=doc.get("metrics") or {},
        badges=tuple(Badge(badge["kind"]) for badge in doc.get("badges") or () if "kind" in badge),
        owner_id=owner_id,
        organization_id=org_id,
        contact_point_ids=contacts,
        access_type=doc.get("access_type") or "open",
        access_audiences=tuple(doc.get("access_audiences") or ()),
        authorization_request_url=doc.get("authorization_request_url"),
        access_type_reason_category=doc.get("access_type_reason_category"),
        access_type_reason=doc.get("access_type_reason"),
        schema=doc.get("schema"),
        doi=doc.get("doi"),
    )


class _Importer:
    """Creates what each dataset refers to, once, within one transaction."""

    def __init__(self, catalog: Catalog, conn: Connection, organizations: dict[str, dict[str, Any]]):
        self.catalog = catalog
        self.conn = conn
        self.organizations = organizations
        self.seen_users: set[str] = set()
        self.seen_orgs: set[str] = set()

    def user(self, ref: dict[str, Any]) -> str:
        user_id = str(ref["id"])
        if user_id in self.seen_users or db_accounts.find_user(self.conn, user_id) is not None:
            self.seen_users.add(user_id)
            return user_id
        base = (
            ref.get("slug") or slugify(f"{ref.get('first_name', '')} {ref.get('last_name', '')}") or user_id
        )
        db_accounts.insert_user(
            self.conn,
            User(
                id=user_id,
                email=f"{user_id}@imported.invalid",
                first_name=ref.get("first_name") or "",
                last_name=ref.get("last_name") or "",
                slug=unique_slug(base, db_accounts.user_slugs_like(self.conn, base)),
                created_at=_when(ref.get("since")) or self.catalog.clock(),
                avatar=ref.get("avatar"),
                avatar_thumbnail=ref.get("avatar_thumbnail"),
            ),
        )
        self.seen_users.add(user_id)
        return user_id

    def organization(self, ref: dict[str, Any]) -> str:
        org_id = str(ref["id"])
        if org_id in self.seen_orgs or db_accounts.find_organization(self.conn, org_id) is not None:
            self.seen_orgs.add(org_id)
            return org_id
        doc = {**ref, **self.organizations.get(org_id, {})}
        now = self.catalog.clock()
        base = doc.get("slug") or slugify(doc.get("name") or "") or org_id
        db_accounts.insert_organization(
            self.conn,
            Organization(
                id=org_id,
                name=doc.get("name") or org_id,
                slug=unique_slug(base, db_accounts.organization_slugs_like(self.conn, base)),
                created_at=_when(doc.get("created_at")) or now,
                last_modified=_when(doc.get("last_modified")) or now,
                acronym=doc.get("acronym"),
                description=doc.get("description") or "",
                url=doc.get("url"),
                logo=doc.get("logo"),
                logo_thumbnail=doc.get("logo_thumbnail"),
                business_number_id=doc.get("business_number_id"),
                badges=tuple(b["kind"] for b in doc.get("badges") or () if "kind" in b),
                extras=doc.get("extras") or {},
                metrics=doc.get("metrics") or {},
            ),
        )
        for member in doc.get("members") or ():
            if isinstance(member.get("user"), dict) and member.get("role"):
                user_id = self.user(member["user"])
                since = _when(member.get("since")) or now
                db_accounts.set_member(self.conn, org_id, user_id, member["role"], since)
        self.seen_orgs.add(org_id)
        return org_id

    def contact_points(
        self, items: Iterable[Any], owner_id: str | None, org_id: str | None
    ) -> tuple[str, ...]:
        found: list[str] = []
        for item in items:
            if not isinstance(item, dict) or "id" not in item:
                continue
            if not db_accounts.fetch_contact_points(self.conn, [item["id"]]):
                db_accounts.insert_contact_point(
                    self.conn,
                    ContactPoint(
                        item["id"],
                        item.get("name"),
                        item.get("email"),
                        item.get("contact_form"),
                        item.get("role") or "contact",
                        owner_id if org_id is None else None,
                        org_id,
                    ),
                )
            found.append(item["id"])
        return tuple(found)

    def dataset(self, entry: Entry) -> None:
        doc = entry.dataset
        org_ref = entry.organization or doc.get("organization")
        org_id = self.organization(org_ref) if isinstance(org_ref, dict) and org_ref.get("id") else None
        owner_ref = doc.get("owner")
        owner_id = self.user(owner_ref) if isinstance(owner_ref, dict) and org_id is None else None
        contacts = self.contact_points(doc.get("contact_points") or (), owner_id, org_id)
        dataset = _dataset(doc, owner_id, org_id, contacts)
        existing = db_datasets.find_by_id(self.conn, dataset.id)
        before = db_resources.fetch_for_dataset(self.conn, dataset.id) if existing else []
        taken = db_datasets.slugs_like(self.conn, dataset.slug) - ({existing.slug} if existing else set())
        dataset = _with_slug(dataset, unique_slug(dataset.slug, taken))
        resources = [_resource(item) for item in entry.resources]
        now = self.catalog.clock()
        if existing is None:
            db_datasets.insert(self.conn, dataset, dataset.last_update(resources, now))
        else:
            db_datasets.update(self.conn, dataset, dataset.last_update(resources, now), existing.slug)
        db_resources.replace_all(self.conn, dataset.id, before, resources, now)


def _with_slug(dataset: Dataset, slug: str) -> Dataset:
    return replace(dataset, slug=slug)


def _batches(entries: list[Entry], size: int) -> Iterator[list[Entry]]:
    for start in range(0, len(entries), size):
        yield entries[start : start + size]


def catalog_is_empty(catalog: Catalog) -> bool:
    with catalog.db.read() as conn:
        return not db_datasets.any_exists(conn)


def _check_documents(entry: Entry) -> None:
    """What the API refuses in a body is not imported either (too deep, NUL characters): every
    stored document must be storable, and readable back."""
    problem = (
        document_problem(entry.dataset)
        # the resource list sits one level inside its dataset, as in a dataset body
        or document_problem(entry.resources, MAX_DEPTH - 1)
        or document_problem(entry.organization)
    )
    if problem is not None:
        raise Invalid({"dataset": [f"{entry.dataset['id']}: {problem}"]})


def load_fixtures(catalog: Catalog, path: Path, progress: Progress | None = None) -> int:
    """Import every dataset found at ``path``; an entry already present is replaced."""
    entries, organizations = read_entries(path)
    for entry in entries:
        if not ids.is_object_id(str(entry.dataset.get("id", ""))):
            raise Invalid({"id": [f"Not a dataset id: {entry.dataset.get('id')!r}"]})
        _check_documents(entry)
        # An entry replaces the dataset's resources: its own list is the count to check, before
        # anything is written.
        if too_many_resources(len(entry.resources), catalog.max_resources) is not None:
            record = entry.dataset["id"]
            raise Invalid(
                {
                    "resources": [
                        problem(Reason.RECORD_TOO_MANY_RESOURCES, record=record, limit=catalog.max_resources)
                    ]
                }
            )
    for organization in organizations.values():
        if (unstorable := document_problem(organization)) is not None:
            raise Invalid({"organization": [f"{organization.get('id')}: {unstorable}"]})
    done = 0
    for batch in _batches(entries, 200):
        with catalog.db.write() as conn:
            importer = _Importer(catalog, conn, organizations)
            for entry in batch:
                importer.dataset(entry)
        done += len(batch)
        if progress is not None:
            progress(done, len(entries))
    return done
