"""Deleting a dataset from the browser, on both databases: a confirmation page, then the API's
soft delete; who may, CSRF, and what the public and the publisher see after."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import get_dataset
from tests.factories import make_dataset, make_org, make_user
from tests.web.publishing import hidden, sign_in

EN = {"Accept-Language": "en"}


def test_delete_a_dataset_after_confirming(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Bus stops")
    slug, dataset_id = view.dataset.slug, view.dataset.id
    sign_in(client, catalog, me)
    confirm_path = f"/datasets/{slug}/delete/"
    assert f'href="{confirm_path}"' in client.get(f"/datasets/{slug}/edit/", headers=EN).text
    confirm = client.get(confirm_path, headers=EN)
    assert confirm.status_code == 200
    assert "Delete “Bus stops”" in confirm.text
    assert confirm.headers["cache-control"] == "private, no-store"
    action = f"/datasets/{dataset_id}/delete/"
    assert f'action="{action}"' in confirm.text
    # Neither the confirmation page nor a post without its token deletes anything.
    assert client.post(action, data={}).status_code == 403
    assert get_dataset(catalog, me.actor(catalog), dataset_id).dataset.deleted is None
    done = client.post(action, data={"csrf_token": hidden(confirm.text, "csrf_token")})
    assert done.status_code == 303
    assert done.headers["location"] == f"/account/?deleted={dataset_id}"
    assert "The dataset “Bus stops” was deleted." in client.get(done.headers["location"], headers=EN).text
    # Said only of a deleted dataset of the publisher's list: not of another id, nor on a reload.
    other = make_dataset(catalog, me, title="Still here").dataset
    assert "was deleted" not in client.get(f"/account/?deleted={other.id}", headers=EN).text
    assert "was deleted" not in client.get("/account/", headers=EN).text
    assert get_dataset(catalog, me.actor(catalog), dataset_id).dataset.deleted is not None
    # The API's soft delete: 410 to the public, shown as deleted on the publisher's list.
    anonymous = TestClient(client.app)
    assert anonymous.get(f"/api/1/datasets/{dataset_id}/").status_code == 410
    assert anonymous.get(f"/datasets/{slug}/").status_code == 410
    mine = client.get("/account/", headers=EN).text
    assert "Bus stops" in mine
    assert "deleted" in mine
    assert "Deleted the dataset" in mine  # the account's activity
    # Its own page, to its editor: marked deleted apart from the private and archived marks.
    own = client.get(f"/datasets/{slug}/", headers=EN)
    assert own.status_code == 200
    assert '<ul class="badges states"><li class="deleted">deleted</li></ul>' in own.text
    # The same form sent again (the back button): the dataset is already gone, nothing else happens.
    again = client.post(action, data={"csrf_token": hidden(confirm.text, "csrf_token")})
    assert again.status_code == 410
    assert client.get(confirm_path).status_code == 410


def test_only_its_editors_may_delete_it(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    other_editor = make_user(catalog, first_name="Elsewhere")
    org = make_org(catalog, "Owner's city", **{owner.user.id: "admin"})
    make_org(catalog, "Other city", **{other_editor.user.id: "editor"})
    view = make_dataset(catalog, owner, title="Trees", organization=org.id)
    slug, dataset_id = view.dataset.slug, view.dataset.id
    assert client.get(f"/datasets/{slug}/delete/").status_code == 303  # to sign in
    assert client.post(f"/datasets/{dataset_id}/delete/", data={}).status_code == 303
    sign_in(client, catalog, other_editor)
    assert client.get(f"/datasets/{slug}/delete/").status_code == 403
    csrf = hidden(client.get("/datasets/new/").text, "csrf_token")
    assert client.post(f"/datasets/{dataset_id}/delete/", data={"csrf_token": csrf}).status_code == 403
    assert get_dataset(catalog, owner.actor(catalog), dataset_id).dataset.deleted is None
    # A dataset that does not exist: 404.
    assert client.get("/datasets/no-such-dataset/delete/").status_code == 404


def test_an_old_slug_leads_to_the_confirmation_page(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Old name")
    sign_in(client, catalog, me)
    edit = client.get(f"/datasets/{view.dataset.slug}/edit/").text
    renamed = client.post(
        f"/datasets/{view.dataset.id}/edit/",
        data={
            "csrf_token": hidden(edit, "csrf_token"),
            "revision": hidden(edit, "revision"),
            "title": "New name",
            "description": "Some description",
        },
    )
    assert renamed.status_code == 303, renamed.text
    moved = client.get(f"/datasets/{view.dataset.slug}/delete/")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/datasets/new-name/delete/"


def test_a_deleted_dataset_takes_no_proposal_from_the_pages(client: TestClient, catalog: Catalog) -> None:
    """Its editors still read it, and the community pages offered them to propose on it."""
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Gone", private=True)
    sign_in(client, catalog, me)
    form = client.get(f"/datasets/{view.dataset.slug}/community/new/").text
    csrf = hidden(form, "csrf_token")
    confirm = client.get(f"/datasets/{view.dataset.slug}/delete/").text
    assert (
        client.post(
            f"/datasets/{view.dataset.id}/delete/", data={"csrf_token": hidden(confirm, "csrf_token")}
        ).status_code
        == 303
    )
    assert client.get(f"/datasets/{view.dataset.slug}/community/new/").status_code == 410
    link = {"csrf_token": csrf, "title": "late", "url": "https://example.org/late.csv"}
    assert client.post(f"/datasets/{view.dataset.id}/community/new/", data=link).status_code == 410
    file = {"file": ("late.csv", b"id\n1\n", "text/csv")}
    upload = client.post(
        f"/datasets/{view.dataset.id}/community/upload/", data={"csrf_token": csrf}, files=file
    )
    assert upload.status_code == 410
    assert (
        client.get(
            f"/api/1/datasets/community_resources/?dataset={view.dataset.id}", headers=me.headers
        ).json()["total"]
        == 0
    )
    # The dataset's history names the deletion in the page's words, its states apart on the list.
    page = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    assert '<span title="deleted">Deleted</span>' in page
    mine = client.get("/account/", headers=EN).text
    assert '<span class="state">deleted</span>, <span class="state">private</span>' in mine


def test_a_proposal_on_a_deleted_dataset_is_still_removed_from_the_pages(
    client: TestClient, catalog: Catalog
) -> None:
    """The deleted dataset's page still lists its proposals to its editors, with the remove link the
    API's rule allows; the link answered 410. Editing a proposal there stays refused."""
    owner, proposer = make_user(catalog), make_user(catalog, first_name="Proposer")
    view = make_dataset(catalog, owner, title="Cycle lanes")
    sign_in(client, catalog, proposer)
    csrf = hidden(client.get(f"/datasets/{view.dataset.slug}/community/new/").text, "csrf_token")
    done = client.post(
        f"/datasets/{view.dataset.id}/community/new/",
        data={"csrf_token": csrf, "title": "Lanes map", "url": "https://example.org/lanes"},
    )
    cid = done.headers["location"].rsplit("#community-", 1)[1]
    assert client.delete(f"/api/1/datasets/{view.dataset.id}/", headers=owner.headers).status_code == 204
    assert client.get(f"/datasets/{view.dataset.slug}/community/{cid}/edit/").status_code == 410
    client.cookies.clear()
    sign_in(client, catalog, owner)
    delete_path = f"/datasets/{view.dataset.slug}/community/{cid}/delete/"
    assert f'href="{delete_path}"' in client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    confirm = client.get(delete_path, headers=EN)
    assert confirm.status_code == 200
    removed = client.post(
        f"/datasets/{view.dataset.id}/community/{cid}/delete/",
        data={"csrf_token": hidden(confirm.text, "csrf_token")},
    )
    assert removed.status_code == 303
    listed = client.get(
        f"/api/1/datasets/community_resources/?dataset={view.dataset.id}", headers=owner.headers
    )
    assert listed.json()["total"] == 0
