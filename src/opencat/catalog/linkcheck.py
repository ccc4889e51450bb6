"""Checking that a resource's URL answers (udata's legacy ``check/`` endpoint, guarded against SSRF)."""

from dataclasses import replace
from typing import Any

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import check_readable, find_dataset
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.domain import ids
from opencat.domain.accounts import Actor
from opencat.domain.datasets import Resource
from opencat.domain.dates import iso
from opencat.domain.errors import NotFound
from opencat.links.checker import check_link


def _locate(catalog: Catalog, actor: Actor, ident: str, resource_id: str) -> tuple[str, Resource]:
    canonical = ids.parse_uuid(resource_id)
    with catalog.db.read() as conn:
        dataset = find_dataset(conn, ident)
        check_readable(actor, dataset)
        found = None if canonical is None else db_resources.find(conn, dataset.id, canonical)
    if found is None:
        raise NotFound("Resource does not exist")
    return dataset.id, found


def _probe(catalog: Catalog, resource: Resource) -> dict[str, Any]:
    now = catalog.clock()
    if resource.fs_filename:
        # Our own hosted file: ask the store rather than making the server call itself.
        present = catalog.files.exists(resource.fs_filename)
        return {"check:available": present, "check:status": 200 if present else 404, "check:date": iso(now)}
    result = check_link(resource.url, catalog.link_policy, catalog.clock)
    found: dict[str, Any] = {
        "check:available": result.available,
        "check:status": result.status,
        "check:date": iso(result.checked_at),
        "check:url": result.url,
    }
    if result.content_type is not None:
        found["check:headers:content-type"] = result.content_type
    if result.content_length is not None:
        found["check:headers:content-length"] = result.content_length
    if result.error is not None:
        found["check:error"] = result.error
    return found


def check_resource(catalog: Catalog, actor: Actor, ident: str, resource_id: str) -> dict[str, Any]:
    """Run the check (outside any transaction) and keep its result in the resource's extras."""
    dataset_id, resource = _locate(catalog, actor, ident, resource_id)
    result = _probe(catalog, resource)
    with catalog.db.write() as conn:
        current = db_resources.find(conn, dataset_id, resource.id)
        dataset = db_datasets.find_by_id(conn, dataset_id)
        if current is None or dataset is None:
            raise NotFound("Resource does not exist")
        stale = {key: value for key, value in current.extras.items() if not key.startswith("check:")}
        count = int(current.extras.get("check:count-availability") or 0) + 1
        extras = {**stale, **result, "check:count-availability": count}
        # A check is not a modification of the resource: its dates stay, its ETag moves.
        db_resources.update_one(conn, replace(current, extras=extras), catalog.clock())
        bumped = replace(dataset, revision=dataset.revision + 1)
        db_datasets.update_row(
            conn, bumped, bumped.last_update_given(db_resources.newest_modification(conn, dataset_id))
        )
    return result
