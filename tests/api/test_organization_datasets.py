"""An organization's datasets (udata: udata/core/organization/api.py, OrgDatasetsAPI), which
udata's own client reads as ``Organization.datasets``: the list's shape, its order and pages;
the private and deleted ones for the organization's members and sysadmins only."""

from starlette.testclient import TestClient

from opencat.catalog import datasets as catalog_datasets
from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_org, make_user


def _url(ident: str) -> str:
    return f"/api/1/organizations/{ident}/datasets/"


def test_an_organizations_datasets_for_anyone_and_for_its_members(
    client: TestClient, catalog: Catalog
) -> None:
    alice, outsider, admin = make_user(catalog), make_user(catalog), make_user(catalog, sysadmin=True)
    org = make_org(catalog, "Ville de Test", **{alice.user.id: "editor"})
    other = make_org(catalog, **{alice.user.id: "admin"})
    make_dataset(catalog, alice, title="Public", organization=org.id)
    make_dataset(catalog, alice, title="Archived", organization=org.id, archived=catalog.clock())
    make_dataset(catalog, alice, title="Private", organization=org.id, private=True)
    deleted = make_dataset(catalog, alice, title="Deleted", organization=org.id).dataset
    catalog_datasets.delete_dataset(catalog, alice.actor(catalog), deleted.id)
    make_dataset(catalog, alice, title="Elsewhere", organization=other.id)
    make_dataset(catalog, alice, title="Personal")

    def titles(headers: dict[str, str] | None = None, ident: str = org.id) -> list[str]:
        response = client.get(_url(ident), params={"sort": "title"}, headers=headers or {})
        assert response.status_code == 200, response.text
        return [item["title"] for item in response.json()["data"]]

    assert titles() == ["Archived", "Public"]
    assert titles(outsider.headers) == ["Archived", "Public"]
    assert titles(ident=org.slug) == ["Archived", "Public"]
    assert titles(alice.headers) == ["Archived", "Deleted", "Private", "Public"]
    assert titles(admin.headers) == ["Archived", "Deleted", "Private", "Public"]


def test_the_list_is_v1s_list_its_order_and_pages(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    made = [
        make_dataset(catalog, alice, title=f"D{index}", organization=org.id, tags=["t"]).dataset
        for index in range(3)
    ]

    first = client.get(_url(org.id), params={"page_size": 2})
    body = first.json()
    assert (body["total"], body["page"], body["page_size"]) == (3, 1, 2)
    assert [item["id"] for item in body["data"]] == [made[2].id, made[1].id]  # newest first
    assert body["next_page"].endswith(f"/api/1/organizations/{org.id}/datasets/?page_size=2&page=2")
    assert set(body["data"][0]) == set(client.get("/api/1/datasets/").json()["data"][0])  # the list's mask
    assert client.get(_url(org.id), params={"page": 3, "page_size": 2}).status_code == 404
    # Filters are read (a wrong one is refused as in the list) but not applied, as in udata.
    assert client.get(_url(org.id), params={"tag": "absent"}).json()["total"] == 3
    assert client.get(_url(org.id), params={"page_size": "x"}).status_code == 400


def test_an_unknown_organization(client: TestClient, catalog: Catalog) -> None:
    assert client.get(_url("5" * 24)).status_code == 404
    assert client.get(_url("no-such-org")).status_code == 404
