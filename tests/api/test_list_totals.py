"""A listing's total counts what its pages can show: a dataset the index still lists but that was
hidden or deleted since (a write another process has not indexed yet) is left out of both."""

import json

import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog import indexing, listing
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from opencat.db.tables import datasets
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters, SearchRequest
from tests.factories import make_dataset, make_user


def _hide_behind_the_index(catalog: Catalog, dataset_id: str) -> None:
    """The row made private without an outbox entry: the index goes on listing it, as it does
    for a write not yet applied."""
    with catalog.db.write() as conn:
        doc = conn.execute(sa.select(datasets.c.doc).where(datasets.c.id == dataset_id)).scalar_one()
        stored = json.loads(doc) if isinstance(doc, str) else dict(doc)
        conn.execute(
            datasets.update()
            .where(datasets.c.id == dataset_id)
            .values(private=True, doc={**stored, "private": True})
        )


def test_a_dataset_hidden_since_the_index_answered_is_not_counted(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    views = [make_dataset(catalog, alice, title=f"Eau {n}", tags=("eau",)) for n in range(3)]
    assert client.get("/api/1/datasets/?tag=eau").json()["total"] == 3
    _hide_behind_the_index(catalog, views[1].dataset.id)
    for url in ("/api/1/datasets/?tag=eau&page_size=50", "/api/2/datasets/search/?tag=eau&page_size=50"):
        body = client.get(url).json()
        assert sorted(item["title"] for item in body["data"]) == ["Eau 0", "Eau 2"], url
        assert body["total"] == 2, url


def test_a_middle_page_short_of_a_dataset_deleted_since_the_search_is_asked_again(catalog: Catalog) -> None:
    """A dataset deleted between the index's answer and the read of the rows (PostgreSQL reads
    each statement afresh) left a middle page one short while its total said more pages follow:
    clients stopping at the first short page missed the rest."""
    alice = make_user(catalog)
    made = [make_dataset(catalog, alice, title=f"Eau {n}", tags=("eau",)).dataset for n in range(5)]
    request = SearchRequest(filters=SearchFilters(tags=("eau",)), offset=0, limit=2)
    with catalog.db.read() as conn:
        hits = indexing.search(catalog, request, conn)
    assert len(hits.ids) == 2
    delete_dataset(catalog, alice.actor(catalog), hits.ids[0])
    with catalog.db.read() as conn:  # the deletion committed after the index answered
        page, settled = listing.settled_page(catalog, conn, request, hits)
    assert len(page) == 2
    assert hits.ids[0] not in [dataset.id for dataset in page]
    assert settled.total == 4
    assert {dataset.id for dataset in page} <= {dataset.id for dataset in made}


def test_the_v2_searchs_middle_page_is_settled_too(catalog: Catalog) -> None:
    """The v2 search and the pages' search read their page through ``views_of`` (they searched the
    index themselves, with its facets): a middle page short of a dataset deleted since is asked
    again there too."""
    alice = make_user(catalog)
    for n in range(5):
        make_dataset(catalog, alice, title=f"Eau {n}", tags=("eau",))
    request = SearchRequest(filters=SearchFilters(tags=("eau",)), offset=0, limit=2)
    with catalog.db.read() as conn:
        hits = indexing.search(catalog, request, conn)
    delete_dataset(catalog, alice.actor(catalog), hits.ids[0])
    with catalog.db.read() as conn:  # the deletion committed after the index answered
        page = listing.views_of(catalog, conn, DatasetQuery(page_size=2), request, hits, False)
    assert len(page.items) == 2
    assert hits.ids[0] not in [view.dataset.id for view in page.items]
    assert page.total == 4
