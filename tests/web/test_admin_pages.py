"""Sysadmins' pages, on both databases: users (search, make or unmake sysadmin, deactivate and
reactivate), a dataset's curation (featured on the home page, badges); 403 for everyone else, the
forms' CSRF tokens, a sysadmin's own rights kept."""

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog import accounts, history, sessions
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import get_dataset
from opencat.domain.errors import InvalidCredentials
from opencat.domain.history import Key
from opencat.domain.queries import ActivityQuery
from tests.factories import make_dataset, make_org, make_user
from tests.web.publishing import PASSWORD, hidden, sign_in

EN = {"Accept-Language": "en"}


def _second(client: TestClient) -> TestClient:
    return TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)


def _csrf(client: TestClient) -> str:
    return hidden(client.get("/logout").text, "csrf_token")


def test_only_sysadmins_reach_the_pages(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner, title="Comptages").dataset
    assert client.get("/admin/users/").headers["location"] == "/login?next=/admin/users/"
    sign_in(client, catalog, owner)
    for path in ("/admin/users/", f"/datasets/{dataset.slug}/curation/"):
        refused = client.get(path, headers=EN)
        assert refused.status_code == 403
        assert "Only the site's administrators" in refused.text
    csrf = _csrf(client)
    assert (
        client.post(
            f"/admin/users/{owner.user.id}/sysadmin", data={"csrf_token": csrf, "value": "1"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/datasets/{dataset.slug}/curation/featured", data={"csrf_token": csrf, "value": "1"}
        ).status_code
        == 403
    )
    assert accounts.get_user(catalog, owner.user.id).sysadmin is False
    assert 'href="/admin/users/"' not in client.get("/").text
    assert 'href="/datasets/comptages/curation/"' not in client.get(f"/datasets/{dataset.slug}/").text


def test_sysadmins_find_users_and_change_their_rights(client: TestClient, catalog: Catalog) -> None:
    admin = sign_in(client, catalog, sysadmin=True)
    camille = make_user(catalog, first_name="Camille")
    make_user(catalog, first_name="Dominique")
    assert 'href="/admin/users/"' in client.get("/").text
    found = client.get("/admin/users/", params={"q": "camil"}, headers=EN)
    assert found.status_code == 200
    assert camille.user.email in found.text
    assert "Dominique" not in found.text
    assert "1 user" in found.text
    nothing = client.get("/admin/users/", params={"q": "%"}, headers=EN).text  # no wildcard
    # Accents in any case (SQLite's lower() folds ASCII only) and a full name
    elodie = make_user(catalog, first_name="Élodie")
    with catalog.db.read() as conn:  # a PostgreSQL cluster of LC_CTYPE C folds ASCII only
        folds = conn.dialect.name == "sqlite" or conn.scalar(sa.text("SELECT lower('É')")) == "é"
    for asked in ("ÉLODIE", "élodie", f"Élodie {elodie.user.last_name}") if folds else ("élodie",):
        assert elodie.user.email in client.get("/admin/users/", params={"q": asked}, headers=EN).text, asked
    assert "No user matches." in nothing
    csrf = _csrf(client)
    made = client.post(
        f"/admin/users/{camille.user.id}/sysadmin", data={"csrf_token": csrf, "value": "1", "q": "camil"}
    )
    assert made.status_code == 303
    assert made.headers["location"] == "/admin/users/?q=camil"
    assert accounts.get_user(catalog, camille.user.id).sysadmin is True
    client.post(f"/admin/users/{camille.user.id}/sysadmin", data={"csrf_token": csrf, "value": "0"})
    assert accounts.get_user(catalog, camille.user.id).sysadmin is False
    # Deactivated: signed out at once, no sign-in, no API key.
    sessions.set_password(catalog, camille.user.email, PASSWORD)
    theirs = sessions.sign_in(catalog, camille.user.email, PASSWORD, "192.0.2.1")
    assert (
        client.post(
            f"/admin/users/{camille.user.id}/active", data={"csrf_token": csrf, "value": "0"}
        ).status_code
        == 303
    )
    assert sessions.session_actor(catalog, theirs.token).user is None
    with pytest.raises(InvalidCredentials):
        sessions.sign_in(catalog, camille.user.email, PASSWORD, "192.0.2.1")
    assert client.get("/api/1/me/", headers={"X-API-KEY": camille.key}).status_code == 401
    assert "deactivated" in client.get("/admin/users/", params={"q": "camil"}, headers=EN).text
    client.post(f"/admin/users/{camille.user.id}/active", data={"csrf_token": csrf, "value": "1"})
    assert client.get("/api/1/me/", headers={"X-API-KEY": camille.key}).status_code == 200
    # A sysadmin keeps their own rights.
    own = client.post(f"/admin/users/{admin.user.id}/sysadmin", data={"csrf_token": csrf, "value": "0"})
    assert own.headers["location"] == "/admin/users/?problem=self"
    assert "You cannot change your own rights" in client.get(own.headers["location"], headers=EN).text
    assert accounts.get_user(catalog, admin.user.id).sysadmin is True
    assert (
        client.post(
            f"/admin/users/{admin.user.id}/active", data={"csrf_token": csrf, "value": "0"}
        ).status_code
        == 303
    )
    assert accounts.get_user(catalog, admin.user.id).active is True
    # Bad values and unknown users.
    assert (
        client.post(
            f"/admin/users/{camille.user.id}/active", data={"csrf_token": csrf, "value": "x"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/admin/users/000000000000000000000000/active", data={"csrf_token": csrf, "value": "0"}
        ).status_code
        == 404
    )


def test_feature_a_dataset_and_give_it_badges(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner, title="Comptages vélo").dataset
    admin = sign_in(client, catalog, sysadmin=True)
    path = f"/datasets/{dataset.slug}/curation/"
    assert f'href="{path}"' in client.get(f"/datasets/{dataset.slug}/").text
    page = client.get(path, headers=EN)
    assert page.status_code == 200
    assert "This dataset is not featured." in page.text
    csrf = hidden(page.text, "csrf_token")
    assert "Featured datasets" not in client.get("/", headers=EN).text
    assert client.post(f"{path}featured", data={"csrf_token": csrf, "value": "1"}).status_code == 303
    assert get_dataset(catalog, admin.actor(catalog), dataset.id).dataset.featured is True
    home = client.get("/", headers=EN).text
    assert "Featured datasets" in home
    assert home.index("Comptages vélo") > home.index("Featured datasets")
    assert client.post(f"{path}badges", data={"csrf_token": csrf, "kind": "hvd"}).status_code == 303
    assert [b.kind for b in get_dataset(catalog, admin.actor(catalog), dataset.id).dataset.badges] == ["hvd"]
    refused = client.post(f"{path}badges", data={"csrf_token": csrf, "kind": "gold-star"}, headers=EN)
    assert refused.status_code == 400
    assert "Choose a badge in the list." in refused.text
    assert client.post(f"{path}badges/hvd/remove", data={"csrf_token": csrf}).status_code == 303
    assert get_dataset(catalog, admin.actor(catalog), dataset.id).dataset.badges == ()
    assert (
        client.post(f"{path}badges/hvd/remove", data={"csrf_token": csrf}).status_code == 303
    )  # already gone
    assert client.post(f"{path}featured", data={"csrf_token": csrf, "value": "0"}).status_code == 303
    assert get_dataset(catalog, admin.actor(catalog), dataset.id).dataset.featured is False
    entries = history.list_activity(catalog, admin.actor(catalog), ActivityQuery(related_to=dataset.id))
    updates = [e for e in entries.items if e.activity.key == Key.DATASET_UPDATED]
    assert len(updates) == 4
    assert {e.actor.id for e in updates if e.actor is not None} == {admin.user.id}
    assert client.get("/datasets/no-such-dataset/curation/").status_code == 404


def test_forms_without_their_csrf_token_are_refused(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    sign_in(client, catalog, sysadmin=True)
    path = f"/datasets/{dataset.slug}/curation/"
    for target, form in (
        (f"/admin/users/{owner.user.id}/sysadmin", {"value": "1"}),
        (f"/admin/users/{owner.user.id}/active", {"value": "0"}),
        (f"{path}featured", {"value": "1"}),
        (f"{path}badges", {"kind": "hvd"}),
    ):
        assert client.post(target, data=form).status_code == 403
        assert client.post(target, data={**form, "csrf_token": "forged"}).status_code == 403
    other = _second(client)
    sign_in(other, catalog, sysadmin=True)
    foreign = _csrf(other)  # another session's token
    assert client.post(f"{path}featured", data={"csrf_token": foreign, "value": "1"}).status_code == 403
    assert accounts.get_user(catalog, owner.user.id).sysadmin is False
    assert get_dataset(catalog, owner.actor(catalog), dataset.id).dataset.featured is False


def test_sysadmins_give_organizations_badges(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    org = make_org(catalog, "Ville de Lyon", **{owner.user.id: "admin"})
    make_dataset(catalog, owner, title="Budget", organization=org.id)
    path = f"/organizations/{org.slug}/curation/"
    member = _second(client)
    sign_in(member, catalog, owner)
    assert member.get(path, headers=EN).status_code == 403  # an admin of it is no sysadmin
    admin = sign_in(client, catalog, sysadmin=True)
    assert f'href="{path}"' in client.get(f"/organizations/{org.slug}/").text
    page = client.get(path, headers=EN)
    assert page.status_code == 200
    assert "No badge yet." in page.text
    csrf = hidden(page.text, "csrf_token")
    assert (
        client.post(f"{path}badges", data={"csrf_token": csrf, "kind": "public-service"}).status_code == 303
    )
    assert accounts.get_organization(catalog, org.id).organization.badges == ("public-service",)
    assert "Service public" in client.get(path).text
    # The search knows: the organization's datasets are indexed again with its badges.
    found = client.get("/api/1/datasets/", params={"organization_badge": "public-service"}).json()
    assert [d["title"] for d in found["data"]] == ["Budget"]
    refused = client.post(f"{path}badges", data={"csrf_token": csrf, "kind": "gold-star"}, headers=EN)
    assert refused.status_code == 400
    assert "Choose a badge in the list." in refused.text
    assert client.post(f"{path}badges/public-service/remove", data={"csrf_token": csrf}).status_code == 303
    assert accounts.get_organization(catalog, org.id).organization.badges == ()
    assert client.post(f"{path}badges", data={"kind": "certified"}).status_code == 403  # no CSRF token
    entries = history.list_activity(catalog, admin.actor(catalog), ActivityQuery(organization=org.id))
    badge_changes = [e for e in entries.items if any(c.field == "badges" for c in e.activity.changes)]
    assert len(badge_changes) == 2
    assert client.get("/organizations/no-such-org/curation/").status_code == 404


def test_deactivating_someone_is_asked_again_on_a_page_of_its_own(
    client: TestClient, catalog: Catalog
) -> None:
    """The list's "Deactivate" signed a colleague out of everything at once."""
    from opencat.catalog import administration

    admin = sign_in(client, catalog, sysadmin=True)
    camille = make_user(catalog, first_name="Camille")
    listed = client.get("/admin/users/", params={"q": "camil"}, headers=EN).text
    asking = f"/admin/users/{camille.user.id}/deactivate"
    assert f'href="{asking}?q=camil"' in listed
    page = client.get(asking, params={"q": "camil"}, headers=EN)
    assert page.status_code == 200
    assert f"Deactivate Camille {camille.user.last_name}" in page.text
    assert 'name="value" value="0"' in page.text
    assert 'name="q" value="camil"' in page.text
    assert accounts.get_user(catalog, camille.user.id).active is True  # asking changed nothing
    assert "Désactiver le compte" in client.get(asking, headers={"Accept-Language": "fr"}).text
    done = client.post(
        f"/admin/users/{camille.user.id}/active", data={"csrf_token": _csrf(client), "value": "0"}
    )
    assert done.status_code == 303
    assert administration.get_user(catalog, admin.actor(catalog), camille.user.id).active is False
    assert client.get("/admin/users/000000000000000000000000/deactivate").status_code == 303
    # No page for what the list offers no button for: oneself, an account already deactivated
    assert client.get(f"/admin/users/{admin.user.id}/deactivate").status_code == 303
    assert client.get(asking).status_code == 303
    someone = make_user(catalog)
    sign_in(client, catalog, someone)
    assert client.get(asking).status_code == 403
