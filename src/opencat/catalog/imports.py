"""Bulk import of real udata documents, keeping their ids, slugs and dates (``opencat load-fixtures``).

Reading the input is ``catalog/import_files.py``'s job, decoding udata's documents
``catalog/import_documents.py``'s; this module checks every entry, then writes them in
transactions of its own, creating what each dataset refers to (owner, organization, members,
contact points) once.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from opencat.catalog.context import Catalog
from opencat.catalog.csv_exports import generated_organization_id
from opencat.catalog.import_documents import (
    Entry,
    community_resource_from_udata,
    contact_points_from_udata,
    dataset_from_udata,
    memberships,
    organization_from_udata,
    resource_from_udata,
    user_from_udata,
)
from opencat.catalog.import_files import read_entries
from opencat.catalog.license_names import match_license
from opencat.db import accounts as db_accounts
from opencat.db import community as db_community
from opencat.db import datasets as db_datasets
from opencat.db import references as db_references
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain import ids
from opencat.domain.community import CommunityResource
from opencat.domain.datasets import too_many_resources
from opencat.domain.documents import MAX_DEPTH, document_problem
from opencat.domain.errors import Invalid, Reason, problem
from opencat.domain.slugs import TAG_MAX_LENGTH, unique_slug

Progress = Callable[[int, int], None]
BATCH = 200  # datasets per transaction


def catalog_is_empty(catalog: Catalog) -> bool:
    with catalog.db.read() as conn:
        return not db_datasets.any_exists(conn)


def load_fixtures(catalog: Catalog, path: Path, progress: Progress | None = None) -> int:
    """Import every dataset found at ``path``; an entry already present is replaced (but by a row
    of a CSV export, a summary, which leaves a dataset that has files as it is).

    Every entry is checked before anything is written; then each batch of ``BATCH`` datasets is
    one transaction."""
    with catalog.db.read() as conn:
        licenses = db_references.fetch_licenses(conn)
    entries, organizations = read_entries(path, licenses)
    _check(catalog, entries, organizations)
    done = 0
    for start in range(0, len(entries), BATCH):
        batch = entries[start : start + BATCH]
        with catalog.db.write(patient=True) as conn:
            # The batch's datasets locked first, in id order, as a harvest batch takes them (on
            # PostgreSQL): taken one by one in the file's order, a load beside a harvest run
            # deadlocked with it, and the run failed.
            db_datasets.lock_in_order(conn, [str(entry.dataset["id"]) for entry in batch])
            writer = _Writer(catalog, conn, organizations)
            for entry in batch:
                writer.dataset(entry)
        done += len(batch)
        if progress is not None:
            progress(done, len(entries))
    return done


def _check(catalog: Catalog, entries: list[Entry], organizations: dict[str, dict[str, Any]]) -> None:
    """What the API refuses in a body is not imported either (too deep, NUL characters, too many
    resources): every stored document must be storable, and readable back."""
    for entry in entries:
        if not ids.is_object_id(str(entry.dataset.get("id", ""))):
            raise Invalid({"id": [f"Not a dataset id: {entry.dataset.get('id')!r}"]})
        unstorable = (
            document_problem(entry.dataset)
            # the resource list sits one level inside its dataset, as in a dataset body
            or document_problem(entry.resources, MAX_DEPTH - 1)
            or document_problem(entry.organization)
        )
        if unstorable is not None:
            raise Invalid({"dataset": [f"{entry.dataset['id']}: {unstorable}"]})
        if (malformed := _shape_problem(entry)) is not None:
            raise Invalid({"dataset": [f"{entry.dataset['id']}: {malformed}"]})
        # An entry replaces the dataset's resources: its own list is the count to check.
        if too_many_resources(len(entry.resources), catalog.max_resources) is not None:
            record, limit = entry.dataset["id"], catalog.max_resources
            raise Invalid(
                {"resources": [problem(Reason.RECORD_TOO_MANY_RESOURCES, record=record, limit=limit)]}
            )
    for organization in organizations.values():
        if (unstorable := document_problem(organization)) is not None:
            raise Invalid({"organization": [f"{organization.get('id')}: {unstorable}"]})
    _check_resource_ids(catalog, entries)


# The bounded columns an entry fills (``db/tables.py``): longer, PostgreSQL refuses the write half
# way through the file (SQLite stores them).
_BOUNDS = {"slug": 255, "license": 64, "acronym": 128}
_LARGEST = 2**63 - 1  # a BIGINT


def _shape_problem(entry: Entry) -> str | None:
    """What would make a document fail half-way through the import, or be stored in a shape the
    API never gives (``extras`` a list broke the DCAT catalog of the whole site): each decoded
    as it will be written, the bounded fields measured."""
    found = _dataset_shape_problem(entry.dataset) or _files_shape_problem(entry)
    if found is not None:
        return found
    try:
        dataset_from_udata(entry.dataset, None, None, ())
        for resource in entry.resources:
            resource_from_udata(resource)
        for proposed in entry.community:
            community_resource_from_udata(proposed)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
        return str(error) or type(error).__name__
    return None


def _dataset_shape_problem(dataset: dict[str, Any]) -> str | None:
    for name in ("extras", "metrics", "harvest", "schema", "internal", "temporal_coverage", "spatial"):
        if dataset.get(name) is not None and not isinstance(dataset[name], dict):
            return f"{name} must be an object"
    tags = dataset.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)):
        return "tags must be a list of texts"
    if any(len(tag) > TAG_MAX_LENGTH for tag in tags or ()):
        return f"a tag is longer than {TAG_MAX_LENGTH} characters"
    if not isinstance(dataset.get("title"), str) or not dataset["title"].strip():
        return "a dataset needs a title"
    for name, bound in _BOUNDS.items():
        if isinstance(dataset.get(name), str) and len(dataset[name]) > bound:
            return f"{name} is longer than {bound} characters"
    return None


def _files_shape_problem(entry: Entry) -> str | None:
    for kind, items in (("resource", entry.resources), ("community resource", list(entry.community))):
        for position, item in enumerate(items, start=1):
            if (found := _resource_shape_problem(item)) is not None:
                named = item.get("id", position) if isinstance(item, dict) else position
                return f"{kind} {named}: {found}"
    return None


def _resource_shape_problem(resource: object) -> str | None:
    if not isinstance(resource, dict):
        return "a resource must be an object"
    if ids.parse_uuid(str(resource.get("id", ""))) is None:
        return "a resource needs a UUID as its id"
    for name in ("extras", "metrics", "harvest", "schema", "internal", "checksum"):
        if resource.get(name) is not None and not isinstance(resource[name], dict):
            return f"{name} must be an object"
    filesize = resource.get("filesize")
    if isinstance(filesize, int | float) and not isinstance(filesize, bool) and abs(filesize) > _LARGEST:
        return "filesize is out of range"
    return None


def _check_resource_ids(catalog: Catalog, entries: list[Entry]) -> None:
    """A resource id is one resource: twice in the file, or held by another dataset already, it
    would fail the write (udata's catalogs hold such corrupted pairs: the permalink then answers
    404). Said with both datasets before anything is written."""
    holders: dict[str, str] = {}
    for entry in entries:
        dataset_id = str(entry.dataset["id"])
        own: set[str] = set()
        for item in entry.resources:
            resource_id = str(item.get("id"))
            # A dataset listed twice is loaded twice, the later entry replacing the earlier.
            if resource_id in own or holders.get(resource_id, dataset_id) != dataset_id:
                raise Invalid(
                    {"resources": [_twice(resource_id, holders.get(resource_id, dataset_id), dataset_id)]}
                )
            own.add(resource_id)
            holders[resource_id] = dataset_id
    with catalog.db.read() as conn:
        stored = db_resources.datasets_holding(conn, list(holders))
    for resource_id, dataset_id in stored.items():
        if dataset_id != holders[resource_id]:
            raise Invalid({"resources": [_twice(resource_id, dataset_id, holders[resource_id])]})


def _twice(resource_id: str, first: str, second: str) -> str:
    where = f"dataset {first}" if first == second else f"datasets {first} and {second}"
    return f"resource {resource_id} is in {where}: a resource id names one resource"


class _Writer:
    """Writes datasets within one transaction, creating what each refers to once."""

    def __init__(self, catalog: Catalog, conn: Connection, organizations: dict[str, dict[str, Any]]):
        self.catalog = catalog
        self.conn = conn
        self.organizations = organizations
        self.seen_users: set[str] = set()
        self.seen_orgs: set[str] = set()
        # A placeholder organization's id (a CSV export's) -> the organization that stands for it.
        self.aliases: dict[str, str] = {}
        self.licenses = db_references.fetch_licenses(conn)

    def user(self, ref: dict[str, Any]) -> str:
        user_id = str(ref["id"])
        if user_id in self.seen_users or db_accounts.find_user(self.conn, user_id) is not None:
            self.seen_users.add(user_id)
            return user_id
        user = user_from_udata(ref, self.catalog.clock())
        slug = unique_slug(user.slug, db_accounts.user_slugs_taken(self.conn, user.slug))
        db_accounts.insert_user(self.conn, replace(user, slug=slug))
        self.seen_users.add(user_id)
        return user_id

    def organization(self, ref: dict[str, Any]) -> str:
        """The organization's id here. A CSV export names an organization only by its name (a
        placeholder, ``generated_organization_id``): it is the organization of that name when
        one is here; and the real organization, loaded later from a document, takes over the
        placeholder of its name (its datasets and its slug) instead of standing beside it."""
        org_id = str(ref["id"])
        if org_id in self.aliases:
            return self.aliases[org_id]
        if org_id in self.seen_orgs or db_accounts.find_organization(self.conn, org_id) is not None:
            self.seen_orgs.add(org_id)
            return org_id
        doc = {**ref, **self.organizations.get(org_id, {})}
        name = str(doc.get("name") or "")
        if name and org_id == generated_organization_id(name):
            named = db_accounts.find_organization_by_name(self.conn, name)
            if named is not None:
                self.aliases[org_id] = named.id
                return named.id
        now = self.catalog.clock()
        org = organization_from_udata(doc, now)
        placeholder = None
        if name and org_id != generated_organization_id(name):
            placeholder = db_accounts.find_organization(self.conn, generated_organization_id(name))
            if placeholder is not None and placeholder.name == name and self._bare(placeholder.id):
                db_accounts.set_organization_slug(self.conn, placeholder.id, f"{placeholder.id}-replaced")
            else:
                placeholder = None
        slug = unique_slug(org.slug, db_accounts.organization_slugs_taken(self.conn, org.slug))
        db_accounts.insert_organization(self.conn, replace(org, slug=slug))
        if placeholder is not None:
            self._take_over(placeholder.id, org_id, now)
        for member in memberships(doc, now):
            user_id = self.user(member.user)
            db_accounts.set_member(self.conn, org_id, user_id, member.role, member.since)
        self.seen_orgs.add(org_id)
        return org_id

    def community_resource(self, doc: dict[str, Any], dataset_id: str) -> None:
        """A proposal on the dataset, by its owner or organization when the document names them
        (udata's fixtures name neither: a proposal of nobody, as udata loads it)."""
        owner_ref, org_ref = doc.get("owner"), doc.get("organization")
        org_id = self.organization(org_ref) if isinstance(org_ref, dict) and org_ref.get("id") else None
        owner_id = self.user(owner_ref) if isinstance(owner_ref, dict) and owner_ref.get("id") else None
        item = CommunityResource(community_resource_from_udata(doc), dataset_id, owner_id, org_id)
        if db_community.find(self.conn, item.id) is None:
            db_community.insert(self.conn, item)
        else:
            db_community.update(self.conn, item)

    def _bare(self, placeholder_id: str) -> bool:
        """Whether a placeholder holds nothing but datasets (no member, no contact point): one
        given members since the export was loaded is an organization of its own, left as is."""
        members = db_accounts.fetch_members(self.conn, placeholder_id)
        contacts = db_accounts.contact_points_of(self.conn, "", [placeholder_id])
        return not members and not contacts

    def _take_over(self, placeholder_id: str, org_id: str, now: datetime) -> None:
        """The placeholder's datasets become ``org_id``'s (the search index follows), then the
        placeholder goes."""
        for dataset_id in db_datasets.ids_of_organization(self.conn, placeholder_id):
            found = db_datasets.find_by_id(self.conn, dataset_id)
            if found is None:
                continue
            moved = replace(found, organization_id=org_id)
            resources = db_resources.fetch_for_dataset(self.conn, dataset_id)
            db_datasets.update(self.conn, moved, moved.last_update(resources, now), found.slug)
        db_accounts.delete_organization_row(self.conn, placeholder_id)
        self.aliases[placeholder_id] = org_id

    def contact_points(self, items: list[Any], owner_id: str | None, org_id: str | None) -> tuple[str, ...]:
        found: list[str] = []
        for contact in contact_points_from_udata(items, owner_id, org_id):
            if not db_accounts.fetch_contact_points(self.conn, [contact.id]):
                db_accounts.insert_contact_point(self.conn, contact)
            found.append(contact.id)
        return tuple(found)

    def dataset(self, entry: Entry) -> None:
        doc = entry.dataset
        if entry.summary and db_resources.fetch_for_dataset(self.conn, str(doc["id"])):
            # A dataset with files was loaded from its document, which says more than a row of
            # an export (a row replaces a row: such a dataset has none).
            return
        org_ref = entry.organization or doc.get("organization")
        org_id = self.organization(org_ref) if isinstance(org_ref, dict) and org_ref.get("id") else None
        owner_ref = doc.get("owner")
        owner_id = self.user(owner_ref) if isinstance(owner_ref, dict) and org_id is None else None
        contacts = self.contact_points(doc.get("contact_points") or [], owner_id, org_id)
        dataset = dataset_from_udata(doc, owner_id, org_id, contacts)
        # A license the catalog has not, by id, URL, title or common name, is none (as harvested):
        # the API refuses it when the dataset is written back.
        license_ = match_license(dataset.license, self.licenses)
        dataset = replace(dataset, license=None if license_ is None else license_.id)
        existing = db_datasets.find_by_id(self.conn, dataset.id)
        before = db_resources.fetch_for_dataset(self.conn, dataset.id) if existing else []
        taken = db_datasets.slugs_taken(self.conn, dataset.slug) - ({existing.slug} if existing else set())
        dataset = replace(dataset, slug=unique_slug(dataset.slug, taken))
        resources = [resource_from_udata(item) for item in entry.resources]
        now = self.catalog.clock()
        if existing is None:
            db_datasets.insert(self.conn, dataset, dataset.last_update(resources, now))
        else:
            # Another version of it: its revision moves on (an ETag kept of the one replaced must
            # not confirm this one, nor an If-Match naming it pass), never back to the first.
            dataset = replace(dataset, revision=existing.revision + 1)
            db_datasets.update(self.conn, dataset, dataset.last_update(resources, now), existing.slug)
            followers = dataset.metrics.get("followers")
            if isinstance(followers, int) and not isinstance(followers, bool):
                # A newer document's count, as an insert takes it (the row's counter is the follows').
                db_datasets.set_followers(self.conn, dataset.id, followers)
        db_resources.replace_all(self.conn, dataset.id, before, resources, now)
        for proposed in entry.community:
            self.community_resource(proposed, dataset.id)
