"""Reaching a dataset: resolving its identifier, then the read and edit rules every use case shares."""

from collections.abc import Callable

from opencat.db import datasets as db_datasets
from opencat.db.engine import Connection, Database
from opencat.domain import ids, permissions
from opencat.domain.accounts import Actor
from opencat.domain.datasets import Dataset
from opencat.domain.errors import (
    Gone,
    Locked,
    Moved,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    Reason,
    Unauthenticated,
)
from opencat.domain.queries import DatasetQuery
from opencat.domain.slugs import slugify

# A dataset's versions, as its ETags name them: (dataset id, revision).
Versions = frozenset[tuple[str, int]]


def check_version(dataset: Dataset, expected_versions: Versions | None) -> None:
    """``expected_versions``: the (dataset id, revision) pairs a write may change (an ``If-Match``
    list, or a page's revision); None when the writer named none. Checked in the write's own
    transaction, the dataset's row held: no other write can come between."""
    if expected_versions is not None and (dataset.id, dataset.revision) not in expected_versions:
        raise PreconditionFailed(Reason.STALE_REVISION)


def require_dataset(conn: Connection, ident: str, actor: Actor) -> Dataset:
    """The dataset an id or a slug names; ``Moved`` when only a redirect can answer (a renamed
    slug, or one that matches only once slugified), ``NotFound`` otherwise. A redirect names the
    current slug, which spells the current title: only a caller who may read the dataset gets it
    (the others get what the dataset itself answers them: 404, or 410 once deleted)."""
    if ids.is_object_id(ident):
        found = db_datasets.find_by_id(conn, ident.lower())
        if found is not None:
            return found
    found = db_datasets.find_by_slug(conn, ident)
    if found is not None:
        return found
    canonical = slugify(ident)
    if canonical and canonical != ident:
        target = db_datasets.find_by_slug(conn, canonical)
        if target is not None:
            check_readable(actor, target)
            raise Moved(canonical)
    current = db_datasets.find_slug_by_old_slug(conn, ident)
    if current is not None:
        target = db_datasets.find_by_slug(conn, current)
        if target is not None:
            check_readable(actor, target)
        raise Moved(current)
    raise NotFound()


def check_readable(actor: Actor, dataset: Dataset) -> None:
    """``Gone`` for a deleted public dataset, ``NotFound`` for one the caller may not see."""
    if not permissions.can_read(actor, dataset):
        if dataset.deleted is not None and not dataset.private:
            raise Gone(Reason.DATASET_DELETED)
        raise NotFound()


def readable_dataset(conn: Connection, actor: Actor, ident: str) -> Dataset:
    dataset = require_dataset(conn, ident, actor)
    check_readable(actor, dataset)
    return dataset


def check_not_hidden(actor: Actor, dataset: Dataset) -> None:
    """A private dataset the caller may not read is not there for their writes either (404, as
    its reads answer): udata's 403 told anyone with a key which guessed ids and titles are
    private datasets. A deleted public one stays as its reads show it (410) to the checks after."""
    if dataset.private and not permissions.can_read(actor, dataset):
        raise NotFound()


def check_editable(actor: Actor, dataset: Dataset) -> None:
    check_not_hidden(actor, dataset)
    if not permissions.can_edit(actor, dataset):
        raise PermissionDenied()


def check_creations_allowed(read_only: bool, actor: Actor) -> None:
    """udata's READ_ONLY_MODE (OPENCAT_READ_ONLY): a signed-in caller but a sysadmin adds no new
    content (datasets, resources, files, community resources, follows): 423, once the caller is
    known and before what they may do is checked."""
    if actor.user is None:
        raise Unauthenticated()
    if read_only and not actor.is_sysadmin:
        raise Locked(Reason.READ_ONLY)


def check_creations_allowed_under(
    db: Database, read_only: bool, actor: Actor, reach: Callable[[Connection], object]
) -> None:
    """``check_creations_allowed`` for a creation under the address of what ``reach`` finds (a
    dataset's resource or file, a community resource's file): udata's route finds it before its
    handler refuses, so an unknown one is a 404 before the 423 (one hidden from the caller is not
    there either). Read only when locked."""
    if read_only and actor.user is not None and not actor.is_sysadmin:
        with db.read() as conn:
            reach(conn)
    check_creations_allowed(read_only, actor)


def reach_dataset(actor: Actor, ident: str) -> Callable[[Connection], Dataset]:
    """What ``check_creations_allowed_under`` finds for a dataset's address."""

    def reach(conn: Connection) -> Dataset:
        dataset = require_dataset(conn, ident, actor)
        check_not_hidden(actor, dataset)
        return dataset

    return reach


def editable_dataset(conn: Connection, actor: Actor, ident: str) -> Dataset:
    """For writes: 401 for anonymous callers before anything else, then 404, then 403. Being
    deleted does not stop resource writes (udata checks nothing there either)."""
    if actor.user is None:
        raise Unauthenticated()
    dataset = require_dataset(conn, ident, actor)
    check_editable(actor, dataset)
    return dataset


def check_visibility_filters(actor: Actor, query: DatasetQuery) -> None:
    """The ``private``, ``archived`` and ``deleted`` filters need an identified caller, even =false."""
    hidden = (query.filters.private, query.filters.archived, query.filters.deleted)
    if not actor.is_authenticated and any(flag is not None for flag in hidden):
        raise Unauthenticated()
