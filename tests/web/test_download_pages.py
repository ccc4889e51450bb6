"""Downloading a private dataset's files from its page, signed in with the page's cookie: the
permalink and the store's file URLs know only API keys, so its publisher got a 404 for their own
file."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_user
from tests.web.publishing import sign_in

CSV = b"commune,annee\nLyon,2024\n"


def test_a_private_datasets_files_are_downloaded_by_those_who_may_see_it(
    client: TestClient, catalog: Catalog
) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, alice, private=True, title="Brouillon").dataset
    uploaded = client.post(
        f"/api/1/datasets/{dataset.id}/upload/", files={"file": ("mesures.csv", CSV)}, headers=alice.headers
    ).json()
    linked = client.post(
        f"/api/1/datasets/{dataset.id}/resources/",
        json={"title": "Ailleurs", "url": "https://example.org/ailleurs.csv", "filetype": "remote"},
        headers=alice.headers,
    ).json()
    file_path = f"/datasets/brouillon/resources/{uploaded['id']}/download/"
    link_path = f"/datasets/brouillon/resources/{linked['id']}/download/"
    for path in (file_path, link_path):  # nobody signed in: the page's 404
        refused = client.get(path)
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("text/html")

    sign_in(client, catalog, alice)
    page = client.get("/datasets/brouillon/")
    assert f'href="{file_path}"' in page.text
    assert client.get(uploaded["url"]).status_code == 404  # the store's URL wants a key, as before
    served = client.get(file_path)
    assert (served.status_code, served.content) == (200, CSV)
    assert served.headers["content-type"].startswith("text/csv")
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["cache-control"] == "private, no-store"
    assert served.headers["content-security-policy"] == "sandbox"
    assert client.get(file_path, headers={"Range": "garbage"}).content == CSV  # ignored: the whole file
    assert client.head(file_path).status_code == 200  # not counted: a link checker downloads nothing
    followed = client.get(link_path, follow_redirects=False)
    assert (followed.status_code, followed.headers["location"]) == (302, "https://example.org/ailleurs.csv")
    counted = client.get(f"/api/1/datasets/{dataset.id}/", headers=alice.headers).json()["resources"]
    assert {item["id"]: item["metrics"].get("views") for item in counted} == {
        uploaded["id"]: 2,
        linked["id"]: 1,
    }
    missing = client.get(f"/datasets/brouillon/resources/{'0' * 8}-0000-4000-8000-{'0' * 12}/download/")
    assert missing.status_code == 404

    other = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(other, catalog, bob)
    assert other.get(file_path).status_code == 404


def test_a_public_datasets_page_keeps_the_permalink(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(
        catalog, alice, title="Public", resources=[{"title": "a", "url": "https://example.org/a.csv"}]
    )
    resource = view.resources[0]
    assert f"/api/1/datasets/r/{resource.id}" in client.get("/datasets/public/").text


def test_a_deleted_datasets_files_are_downloaded_by_its_owner(client: TestClient, catalog: Catalog) -> None:
    """Its page still shows its files to its owner; the permalink answered them 410."""
    alice = make_user(catalog)
    view = make_dataset(
        catalog, alice, title="Retiré", resources=[{"title": "a", "url": "https://example.org/a.csv"}]
    )
    assert client.delete(f"/api/1/datasets/{view.dataset.id}/", headers=alice.headers).status_code == 204
    path = f"/datasets/retire/resources/{view.resources[0].id}/download/"
    assert client.get(path).status_code == 410
    sign_in(client, catalog, alice)
    assert f'href="{path}"' in client.get("/datasets/retire/").text
    assert client.get(path, follow_redirects=False).headers["location"] == "https://example.org/a.csv"


def test_a_private_datasets_community_files_are_opened_by_those_who_may_see_it(
    client: TestClient, catalog: Catalog
) -> None:
    """Their "Open" button led to the store's URL, which wants an API key: a 404 for members."""
    alice, bob = make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, alice, private=True, title="Brouillon").dataset
    proposed = client.post(
        f"/api/1/datasets/{dataset.id}/upload/community/",
        files={"file": ("propose.csv", CSV)},
        headers=alice.headers,
    ).json()
    path = f"/datasets/brouillon/community/{proposed['id']}/download/"
    assert client.get(path).status_code == 404
    sign_in(client, catalog, alice)
    assert f'href="{path}"' in client.get("/datasets/brouillon/").text
    served = client.get(path)
    assert (served.status_code, served.content) == (200, CSV)
    assert served.headers["content-security-policy"] == "sandbox"
    other = make_dataset(catalog, alice, private=True, title="Autre").dataset
    assert client.get(f"/datasets/{other.slug}/community/{proposed['id']}/download/").status_code == 404
    stranger = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(stranger, catalog, bob)
    assert stranger.get(path).status_code == 404


def test_another_spelling_or_an_old_slug_leads_to_the_same_page(client: TestClient, catalog: Catalog) -> None:
    """A page asked by a spelling of the slug that only matches once slugified redirects to the
    same page (the curation page's led to the dataset's page, its path dropped); an old slug and
    the id serve the page itself."""
    alice, root = make_user(catalog), make_user(catalog, sysadmin=True)
    dataset = make_dataset(catalog, alice, title="Ancien titre", private=True).dataset
    linked = client.post(
        f"/api/1/datasets/{dataset.id}/resources/",
        json={"title": "Lien", "url": "https://example.org/l.csv", "filetype": "remote"},
        headers=alice.headers,
    ).json()
    renamed = client.put(
        f"/api/1/datasets/{dataset.id}/", json={"slug": "nouveau-titre"}, headers=alice.headers
    )
    assert renamed.status_code == 200, renamed.text
    sign_in(client, catalog, root)
    moved = client.get("/datasets/ANCIEN-TITRE/curation/?lang=en", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (
        308,
        "/datasets/ancien-titre/curation/?lang=en",
    )
    page = client.get("/datasets/ANCIEN-TITRE/", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (308, "/datasets/ancien-titre/")
    for ident in ("ancien-titre", dataset.id):
        assert client.get(f"/datasets/{ident}/curation/").status_code == 200
        download = client.get(f"/datasets/{ident}/resources/{linked['id']}/download/", follow_redirects=False)
        assert (download.status_code, download.headers["location"]) == (302, "https://example.org/l.csv")


def test_a_file_has_one_address_on_the_pages_as_in_the_api(client: TestClient, catalog: Catalog) -> None:
    """The pages' resource addresses take the dashed UUID (any case), as the API's: braces, no
    dashes or ``urn:uuid:`` downloaded or replaced the file at other addresses, while the edit
    page refused an id in capitals."""
    alice = make_user(catalog)
    sign_in(client, catalog, alice)
    view = make_dataset(
        catalog, alice, title="Fichiers", resources=[{"title": "a", "url": "https://example.org/a.csv"}]
    )
    rid = view.resources[0].id
    for asked, status in (
        (rid, 302),
        (rid.upper(), 302),
        ("{" + rid + "}", 404),
        (rid.replace("-", ""), 404),
    ):
        download = client.get(f"/datasets/fichiers/resources/{asked}/download/", follow_redirects=False)
        assert download.status_code == status, asked
    assert client.get(f"/datasets/fichiers/resources/{rid.upper()}/edit/").status_code == 200
    assert client.get(f"/datasets/fichiers/resources/urn:uuid:{rid}/edit/").status_code == 404
