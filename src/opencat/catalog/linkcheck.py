"""Checking that a resource's URL answers (udata's legacy ``check/`` endpoint, guarded against SSRF)."""

from dataclasses import replace
from typing import Any

from opencat.catalog.access import readable_dataset
from opencat.catalog.context import Catalog
from opencat.db import datasets as db_datasets
from opencat.db import linkchecks as db_linkchecks
from opencat.db import resources as db_resources
from opencat.domain import ids
from opencat.domain.accounts import Actor
from opencat.domain.datasets import Resource
from opencat.domain.dates import iso_as_stored
from opencat.domain.errors import NotFound, Reason, TooManyRequests
from opencat.links.checker import check_link


def _locate(catalog: Catalog, actor: Actor, ident: str, resource_id: str) -> tuple[str, Resource]:
    canonical = ids.parse_uuid(resource_id)
    with catalog.db.read() as conn:
        dataset = readable_dataset(conn, actor, ident)
        found = None if canonical is None else db_resources.find(conn, dataset.id, canonical)
    if found is None:
        raise NotFound(Reason.RESOURCE_MISSING)
    return dataset.id, found


def _probe(catalog: Catalog, resource: Resource) -> dict[str, Any]:
    now = catalog.clock()
    if resource.fs_filename:
        # Our own hosted file: ask the store rather than making the server call itself.
        present = catalog.files.exists(resource.fs_filename)
        return {
            "check:available": present,
            "check:status": 200 if present else 404,
            "check:date": iso_as_stored(now),
        }
    result = check_link(resource.url, catalog.link_policy, catalog.clock)
    found: dict[str, Any] = {"check:available": result.available}
    if result.status is not None:  # no HTTP answer (DNS, refused): no status, rather than a null one
        found["check:status"] = result.status
    found |= {"check:date": iso_as_stored(result.checked_at), "check:url": result.url}
    if result.content_type is not None:
        found["check:headers:content-type"] = result.content_type
    if result.content_length is not None:
        found["check:headers:content-length"] = result.content_length
    if result.error is not None:
        found["check:error"] = result.error
    return found


def _outcome(result: dict[str, Any]) -> str:
    if result["check:available"]:
        return "available"
    return "error" if "check:error" in result else "unavailable"


def _stored(resource: Resource) -> dict[str, Any]:
    return {key: value for key, value in resource.extras.items() if key.startswith("check:")}


def check_resource(catalog: Catalog, actor: Actor, ident: str, resource_id: str) -> dict[str, Any]:
    """Check the link (outside any transaction) and keep the result in the resource's extras.

    Anyone may ask, so a link is checked at most once per ``linkcheck_interval``: within it the
    stored result answers, and while the first check runs the others are told to retry. A check
    annotates the resource like a download count: the dataset's revision, hence its ETag and any
    If-Match a publisher holds, does not move."""
    dataset_id, resource = _locate(catalog, actor, ident, resource_id)
    now = catalog.clock()
    if not catalog.link_probes.acquire(blocking=False):
        if stored := _stored(resource):
            return stored
        raise TooManyRequests(Reason.CHECKS_BUSY, retry_after=5)
    try:
        with catalog.db.write() as conn:
            claimed = db_linkchecks.claim(conn, resource.id, now, now - catalog.linkcheck_interval)
        if not claimed:
            if stored := _stored(resource):
                return stored
            raise TooManyRequests(Reason.CHECK_RUNNING, retry_after=5)
        try:
            result = _probe(catalog, resource)
        except BaseException:
            with catalog.db.write() as conn:
                db_linkchecks.release(conn, resource.id, now)
            raise
    finally:
        catalog.link_probes.release()
    catalog.link_checked(_outcome(result))
    with catalog.db.write() as conn:
        # The dataset read first, in a write: its row locked (PostgreSQL), no edit of the
        # resource commits between the resource read below and its write (read the other way
        # round, an edit committed meanwhile was written over with the resource as it was).
        if db_datasets.find_by_id(conn, dataset_id) is None:
            raise NotFound(Reason.RESOURCE_MISSING)
        current = db_resources.find(conn, dataset_id, resource.id)
        if current is None:
            raise NotFound(Reason.RESOURCE_MISSING)
        kept = {key: value for key, value in current.extras.items() if not key.startswith("check:")}
        count = int(current.extras.get("check:count-availability") or 0) + 1
        extras = {**kept, **result, "check:count-availability": count}
        db_resources.update_one(conn, replace(current, extras=extras), catalog.clock())
    return result
