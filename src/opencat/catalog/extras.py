"""The extras of a dataset and of a resource, read and edited key by key (API v2's extras
endpoints; udata: udata/core/dataset/apiv2.py, DatasetExtrasAPI and ResourceExtrasAPI).

The order of the checks is udata's: 401, 404 (the dataset), the body (400), 410 (deleted), 403,
then 404 for the resource. An edit that changes nothing writes nothing. One that changes
something moves the dataset's revision (its ETag: the extras are part of its answer) but not its
modification date, as in udata, and re-indexes it (a resource's availability counts in the
dataset's quality). A dataset's extras edit is recorded in its history; a resource's is not: in
udata it is the analysers' path (availability checks), whose changes no user made."""

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from opencat.catalog import history
from opencat.catalog.access import (
    Versions,
    check_editable,
    check_not_hidden,
    check_version,
    readable_dataset,
    require_dataset,
)
from opencat.catalog.context import Catalog
from opencat.catalog.ownership import check_custom_extras
from opencat.catalog.resources import resource_of, store_dataset
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain import extras as domain_extras
from opencat.domain.accounts import Actor
from opencat.domain.changes import Submitted
from opencat.domain.datasets import Dataset
from opencat.domain.errors import BadRequest, Gone, Reason, Unauthenticated
from opencat.domain.history import Key, dataset_diff

# The JSON shape each edit takes, and the reason another one is refused.
_OBJECT = (dict, Reason.EXTRAS_OBJECT_EXPECTED)
_LIST = (list, Reason.EXTRAS_LIST_EXPECTED)


def dataset_extras(catalog: Catalog, actor: Actor, ident: str) -> dict[str, Any]:
    with catalog.db.read() as conn:
        return dict(readable_dataset(conn, actor, ident).extras)


def resource_extras(catalog: Catalog, actor: Actor, ident: str, resource_id: str) -> dict[str, Any]:
    with catalog.db.read() as conn:
        return dict(resource_of(conn, readable_dataset(conn, actor, ident), resource_id).extras)


def _editable(
    conn: Connection,
    actor: Actor,
    ident: str,
    submitted: Submitted[Any],
    shape: tuple[type, Reason],
    expected_versions: Versions | None = None,
) -> tuple[Dataset, Any]:
    """The dataset and the sent body, once the caller may edit it (and, with ``expected_versions``,
    an ``If-Match``, edits the version it read)."""
    if actor.user is None:
        raise Unauthenticated()
    dataset = require_dataset(conn, ident, actor)
    check_not_hidden(actor, dataset)  # answered as an unknown dataset is, before the body's shape
    sent = submitted.value()
    kind, refusal = shape
    if not isinstance(sent, kind):
        raise BadRequest(refusal)
    if dataset.deleted is not None:
        raise Gone(Reason.DATASET_DELETED)
    check_editable(actor, dataset)
    check_version(dataset, expected_versions)
    return dataset, sent


def _edit_dataset(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    submitted: Submitted[Any],
    shape: tuple[type, Reason],
    change: Callable[[Mapping[str, Any], Any], dict[str, Any]],
    expected_versions: Versions | None = None,
) -> dict[str, Any]:
    now = catalog.clock()
    with catalog.db.write() as conn:
        current, sent = _editable(conn, actor, ident, submitted, shape, expected_versions)
        extras = change(current.extras, sent)
        if extras == current.extras:
            return extras
        domain_extras.check_extras_count(current.extras, extras)
        dataset = replace(current, extras=extras, revision=current.revision + 1)
        check_custom_extras(conn, dataset)
        store_dataset(conn, dataset)
        changed = dataset_diff(current, dataset)
        history.record(conn, [history.on_dataset(catalog, actor, Key.DATASET_UPDATED, dataset, now, changed)])
        return extras


def update_dataset_extras(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    submitted: Submitted[Any],
    expected_versions: Versions | None = None,
) -> dict[str, Any]:
    """Set the sent keys, remove those sent as ``null``; the extras after."""
    return _edit_dataset(catalog, actor, ident, submitted, _OBJECT, domain_extras.merged, expected_versions)


def delete_dataset_extras(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    submitted: Submitted[Any],
    expected_versions: Versions | None = None,
) -> None:
    """Remove the listed keys (a key the dataset does not hold is ignored)."""
    _edit_dataset(
        catalog,
        actor,
        ident,
        submitted,
        _LIST,
        lambda current, keys: domain_extras.without(current, keys, strict=False),
        expected_versions,
    )


def _edit_resource(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    resource_id: str,
    submitted: Submitted[Any],
    shape: tuple[type, Reason],
    change: Callable[[Mapping[str, Any], Any], dict[str, Any]],
    expected_versions: Versions | None = None,
) -> dict[str, Any]:
    with catalog.db.write() as conn:
        dataset, sent = _editable(conn, actor, ident, submitted, shape, expected_versions)
        current = resource_of(conn, dataset, resource_id)
        extras = change(current.extras, sent)
        domain_extras.check_resource_extras(extras, stored=current.extras)
        extras = domain_extras.resource_extras_as_stored(extras)
        if extras == current.extras:
            return extras
        domain_extras.check_extras_count(current.extras, extras)
        db_resources.update_one(conn, replace(current, extras=extras), catalog.clock())
        store_dataset(conn, replace(dataset, revision=dataset.revision + 1))
        return extras


def update_resource_extras(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    resource_id: str,
    submitted: Submitted[Any],
    expected_versions: Versions | None = None,
) -> dict[str, Any]:
    """Set the sent keys, remove those sent as ``null``, then check the typed keys; the extras after."""
    return _edit_resource(
        catalog, actor, ident, resource_id, submitted, _OBJECT, domain_extras.merged, expected_versions
    )


def delete_resource_extras(
    catalog: Catalog,
    actor: Actor,
    ident: str,
    resource_id: str,
    submitted: Submitted[Any],
    expected_versions: Versions | None = None,
) -> None:
    """Remove the listed keys; one the resource does not hold is ``NotFound`` and nothing is removed."""
    _edit_resource(
        catalog,
        actor,
        ident,
        resource_id,
        submitted,
        _LIST,
        lambda current, keys: domain_extras.without(current, keys, strict=True),
        expected_versions,
    )
