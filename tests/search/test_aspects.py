"""The frequent writes say what they changed for search (``domain/search.Aspect``), and a listing
that reads none of it answers from the index as it is, without waiting for it to apply them:
what each write names must hold on the real writes, or a listing would miss a change."""

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.curation import follow, unfollow
from opencat.catalog.datasets import list_datasets
from opencat.catalog.indexing import UNSEEN_LIMIT, documents
from opencat.catalog.resources import add_resource
from opencat.db.tables import search_changes
from opencat.domain.accounts import Actor
from opencat.domain.changes import ResourceChanges, Submitted
from opencat.domain.queries import SORT_KEYS, DatasetQuery
from opencat.domain.search import (
    ASPECT_FIELDS,
    FILTER_FIELDS,
    WORDS_FIELDS,
    Aspect,
    SearchDocument,
    SearchFilters,
    SearchRequest,
    changes_matter,
)
from tests.factories import Account, make_dataset, make_user

DOCUMENT_FIELDS = {field.name for field in fields(SearchDocument)}


def test_every_filter_names_fields_of_the_search_document() -> None:
    assert set(FILTER_FIELDS) == {field.name for field in fields(SearchFilters)}
    named = set().union(*FILTER_FIELDS.values(), *ASPECT_FIELDS.values(), WORDS_FIELDS)
    assert named <= DOCUMENT_FIELDS
    assert set(SORT_KEYS) <= DOCUMENT_FIELDS  # a sort reads the field of its name


@pytest.mark.parametrize(
    ("request_", "aspect", "matters"),
    [
        (SearchRequest(), Aspect.FOLLOWERS, False),
        (SearchRequest(), Aspect.RESOURCES, False),
        (SearchRequest(filters=SearchFilters(tags=("eau",))), Aspect.RESOURCES, False),
        (SearchRequest(sort="-followers"), Aspect.FOLLOWERS, True),
        (SearchRequest(sort="-last_update"), Aspect.RESOURCES, True),
        (SearchRequest(filters=SearchFilters(formats=("csv",))), Aspect.RESOURCES, True),
        (SearchRequest(words=("eau",)), Aspect.RESOURCES, True),  # resource titles are text
        (SearchRequest(words=("eau",), sort="-created"), Aspect.FOLLOWERS, False),
        # By relevance: a document put again moves the others' scores.
        (SearchRequest(words=("eau",)), Aspect.FOLLOWERS, True),
        (SearchRequest(), None, True),
    ],
)
def test_which_requests_a_change_matters_to(
    request_: SearchRequest, aspect: Aspect | None, matters: bool
) -> None:
    assert changes_matter(request_, [aspect]) is matters


def _document(catalog: Catalog, dataset_id: str) -> SearchDocument:
    with catalog.db.read() as conn:
        return documents(conn, [dataset_id], catalog)[0]


def _last_entry(catalog: Catalog) -> tuple[str, str | None]:
    with catalog.db.read() as conn:
        row = conn.execute(
            sa.select(search_changes.c.dataset_id, search_changes.c.aspect).order_by(
                search_changes.c.seq.desc()
            )
        ).first()
    assert row is not None
    return row.dataset_id, row.aspect


def _changed(before: SearchDocument, after: SearchDocument) -> set[str]:
    return {name for name in DOCUMENT_FIELDS if getattr(before, name) != getattr(after, name)}


def _checked(catalog: Catalog, dataset_id: str, aspect: Aspect, write: Callable[[], Any]) -> set[str]:
    """The fields the write changed, which must be its aspect's, the entry it logged naming it."""
    before = _document(catalog, dataset_id)
    write()
    changed = _changed(before, _document(catalog, dataset_id))
    assert changed <= ASPECT_FIELDS[aspect], changed - ASPECT_FIELDS[aspect]
    assert _last_entry(catalog) == (dataset_id, aspect.value)
    return changed


def test_the_named_writes_change_only_what_they_name(catalog: Catalog, client: TestClient) -> None:
    owner = make_user(catalog)
    fan = make_user(catalog, first_name="Bob")
    dataset_id = make_dataset(catalog, owner, title="Arrêts de bus").dataset.id
    url = f"/api/1/datasets/{dataset_id}"

    def sent(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    follow = lambda: sent(client.post(f"{url}/followers/", headers=fan.headers), 201)  # noqa: E731
    assert _checked(catalog, dataset_id, Aspect.FOLLOWERS, follow) == {"followers"}
    unfollow = lambda: sent(client.delete(f"{url}/followers/", headers=fan.headers))  # noqa: E731
    assert _checked(catalog, dataset_id, Aspect.FOLLOWERS, unfollow) == {"followers"}

    link = {"title": "horaires", "url": "https://example.org/h.csv", "format": "csv", "filetype": "remote"}
    created: dict[str, Any] = {}

    def add() -> None:
        created.update(sent(client.post(f"{url}/resources/", json=link, headers=owner.headers), 201))

    assert {"resource_titles", "formats"} <= _checked(catalog, dataset_id, Aspect.RESOURCES, add)
    resource = f"{url}/resources/{created['id']}/"
    schema = {"name": "etalab/schema-irve-statique", "version": "2.3.0"}
    changes = {**link, "format": "parquet", "title": "arrets", "schema": schema}
    update = lambda: sent(client.put(resource, json=changes, headers=owner.headers))  # noqa: E731
    assert {"formats", "schemas"} <= _checked(catalog, dataset_id, Aspect.RESOURCES, update)

    def upload() -> None:
        files = {"file": ("arrets.json", b'{"a": 1}')}
        sent(client.post(f"{url}/upload/", files=files, headers=owner.headers), 201)

    assert "formats" in _checked(catalog, dataset_id, Aspect.RESOURCES, upload)
    order = [item["id"] for item in sent(client.get(f"{url}/"))["resources"]][::-1]
    reorder = lambda: sent(client.put(f"{url}/resources/", json=order, headers=owner.headers))  # noqa: E731
    _checked(catalog, dataset_id, Aspect.RESOURCES, reorder)
    remove = lambda: sent(client.delete(resource, headers=owner.headers), 204)  # noqa: E731
    assert "formats" in _checked(catalog, dataset_id, Aspect.RESOURCES, remove)
    sent(client.put(f"{url}/", json={"title": "Arrêts"}, headers=owner.headers))
    assert _last_entry(catalog) == (dataset_id, None)  # any other write may change anything


def _listed(catalog: Catalog, **query: Any) -> list[str]:
    return [view.dataset.id for view in list_datasets(catalog, Actor(), DatasetQuery(**query)).items]


def _link(catalog: Catalog, owner: Account, dataset_id: str, fmt: str) -> None:
    changes = ResourceChanges(
        title=f"file.{fmt}", url=f"https://example.org/f.{fmt}", format=fmt, filetype="remote"
    )
    add_resource(catalog, owner.actor(catalog), dataset_id, Submitted.of(changes))


def test_a_listing_waits_only_for_the_changes_it_reads(catalog: Catalog) -> None:
    owner = make_user(catalog)
    fan = make_user(catalog, first_name="Bob")
    first = make_dataset(catalog, owner, title="Eau potable", tags=["eau"]).dataset.id
    second = make_dataset(catalog, owner, title="Eau de pluie", tags=["eau"]).dataset.id
    assert _listed(catalog, filters=SearchFilters(tags=("eau",))) == [second, first]
    applied = catalog.search.current_seq()

    _link(catalog, owner, first, "parquet")
    follow(catalog, fan.actor(catalog), first)
    # Newest first, by tag: neither a resource nor a follow moves it, and the index waits.
    assert _listed(catalog, filters=SearchFilters(tags=("eau",))) == [second, first]
    assert catalog.search.current_seq() == applied
    # What reads them gets them applied first.
    assert _listed(catalog, sort="-followers") == [first, second]
    assert catalog.search.current_seq() > applied
    _link(catalog, owner, second, "geojson")
    assert _listed(catalog, filters=SearchFilters(formats=("geojson",))) == [second]
    assert _listed(catalog, q="eau", filters=SearchFilters(formats=("parquet",))) == [first]

    # A write that names nothing makes every listing catch up.
    applied = catalog.search.current_seq()
    make_dataset(catalog, owner, title="Eau de mer", tags=["mer"])
    assert len(_listed(catalog, filters=SearchFilters(tags=("eau",)))) == 2
    assert catalog.search.current_seq() > applied


def test_a_listing_far_behind_the_log_waits(catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner, title="Lignes", tags=["bus"]).dataset.id
    assert _listed(catalog, filters=SearchFilters(tags=("bus",))) == [dataset_id]
    applied = catalog.search.current_seq()
    for _ in range(UNSEEN_LIMIT + 1):
        follow(catalog, owner.actor(catalog), dataset_id)
        unfollow(catalog, owner.actor(catalog), dataset_id)
    assert _listed(catalog, filters=SearchFilters(tags=("bus",))) == [dataset_id]
    assert catalog.search.current_seq() > applied
