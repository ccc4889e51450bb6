"""A private dataset the caller may not read is not there for their writes either: each write
answers 404, as its reads and an unknown dataset do (udata's 403 told anyone with a key which
guessed ids and titles are private datasets)."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from tests.factories import make_dataset, make_user

UNKNOWN = "5" * 24
RID = "8f4b1c4e-0d5a-4c39-9a51-2d3c1b7a9e10"


def _writes(client: TestClient, ident: str, headers: dict[str, str]) -> dict[str, int]:
    url = f"/api/1/datasets/{ident}/"
    link = {"title": "x", "url": "https://example.org/x.csv", "filetype": "remote"}
    return {
        "put": client.put(url, json={"title": "x"}, headers=headers).status_code,
        "patch": client.patch(url, json={"title": "x"}, headers=headers).status_code,
        "delete": client.delete(url, headers=headers).status_code,
        "resource": client.post(f"{url}resources/", json=link, headers=headers).status_code,
        "reorder": client.put(f"{url}resources/", json=[], headers=headers).status_code,
        "upload": client.post(
            f"{url}upload/", files={"file": ("a.csv", b"a\n")}, headers=headers
        ).status_code,
        "extras": client.put(
            f"/api/2/datasets/{ident}/extras/", json={"k": "v"}, headers=headers
        ).status_code,
        "resource put": client.put(
            f"{url}resources/{RID}/", json={"title": "x"}, headers=headers
        ).status_code,
        "resource extras": client.put(
            f"/api/2/datasets/{ident}/resources/{RID}/extras/", json={"k": "v"}, headers=headers
        ).status_code,
    }


def test_a_strangers_writes_to_a_private_dataset_answer_as_to_none(
    client: TestClient, catalog: Catalog
) -> None:
    owner, stranger = make_user(catalog), make_user(catalog)
    private = make_dataset(catalog, owner, title="Plan confidentiel", private=True).dataset
    gone_private = make_dataset(catalog, owner, title="Plan supprimé", private=True).dataset
    delete_dataset(catalog, owner.actor(catalog), gone_private.id)
    unknown = _writes(client, UNKNOWN, stranger.headers)
    assert set(unknown.values()) == {404}
    for ident in (private.id, private.slug, gone_private.id):
        assert _writes(client, ident, stranger.headers) == unknown, ident
    assert (
        client.get(f"/api/1/datasets/{private.id}/", headers=owner.headers).json()["title"]
        == "Plan confidentiel"
    )
    # A public dataset is there for everyone: a stranger's write to it is still refused as udata does.
    public = make_dataset(catalog, owner).dataset
    assert _writes(client, public.id, stranger.headers)["put"] == 403
    # Its editors write to it as ever.
    assert (
        client.put(
            f"/api/1/datasets/{private.id}/", json={"title": "Plan"}, headers=owner.headers
        ).status_code
        == 200
    )
