"""Organizations, users and /me/ (the reads that dataset responses link to)."""

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog import accounts, administration
from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db.tables import users
from opencat.domain.errors import Invalid
from tests.factories import make_dataset, make_org, make_user


def test_organization_by_id_and_slug_with_members(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, "Oracle Org", **{alice.user.id: "admin"})
    make_dataset(catalog, alice, organization=org.id)
    by_slug = client.get("/api/1/organizations/oracle-org/")
    assert by_slug.status_code == 200
    data = by_slug.json()
    assert data["id"] == org.id
    assert "class" not in data  # udata's read model has none (its references do)
    assert data["uri"] == "http://testserver/api/1/organizations/oracle-org/"
    assert (data["members"][0]["role"], data["members"][0]["label"]) == ("admin", "Administrator")
    assert data["members"][0]["user"]["id"] == alice.user.id
    assert data["members"][0]["user"]["email"] is None
    assert data["metrics"]["datasets"] == 1
    assert data["permissions"]["edit"] is False
    # udata 17's keys of what opencat does not keep, as udata's defaults (Organization (read))
    assert {key: data[key] for key in ("image_url", "teams", "ext", "zone")} == {
        "image_url": None,
        "teams": [],
        "ext": {},
        "zone": None,
    }
    # udata's default mask leaves the blocks out; X-Fields asks for them.
    assert "presentation_blocs" not in data
    assert data["presentation_blocs_published_at"] is None
    assert (data["banner_color"], data["banner_image"], data["banner_image_position"]) == (None, None, None)
    asked = client.get("/api/1/organizations/oracle-org/", headers={"X-Fields": "id,presentation_blocs"})
    assert asked.json() == {"id": org.id, "presentation_blocs": []}
    mine = client.get(f"/api/1/organizations/{org.id}/", headers=alice.headers).json()
    assert mine["permissions"] == {
        "delete": True,
        "edit": True,
        "harvest": True,
        "members": True,
        "private": True,
    }
    assert client.get("/api/1/organizations/nope/").status_code == 404


def test_a_slug_that_matches_once_slugified_redirects(client: TestClient, catalog: Catalog) -> None:
    """udata's ``ModelConverter`` for organizations and users, as for datasets: a 308 to the slug."""
    alice = make_user(catalog)
    make_org(catalog, "Oracle Org", **{alice.user.id: "admin"})
    moved = client.get("/api/1/organizations/Oracle-Org/datasets/?page=2")
    assert (moved.status_code, moved.headers["location"]) == (
        308,
        "/api/1/organizations/oracle-org/datasets/",
    )
    assert (
        client.get("/api/1/organizations/Oracle-Org/").headers["location"]
        == "/api/1/organizations/oracle-org/"
    )
    user = client.get(f"/api/1/users/{alice.user.slug.upper()}/")
    assert (user.status_code, user.headers["location"]) == (308, f"/api/1/users/{alice.user.slug}/")
    assert client.get("/api/1/users/Nobody-Here/").status_code == 404
    assert client.get("/api/1/organizations/Nobody-Here/").status_code == 404


def test_a_users_email_and_last_sign_in_are_nobodys_business(client: TestClient, catalog: Catalog) -> None:
    """udata's routes take an id or a slug, and show ``last_login_at`` to the user and sysadmins
    only: an email in the URL told anyone whether it had an account (name, id, slug), and anyone
    could follow when each user last signed in."""
    alice, bob, admin = make_user(catalog), make_user(catalog), make_user(catalog, sysadmin=True)
    with catalog.db.write() as conn:
        conn.execute(users.update().where(users.c.id == alice.user.id).values(last_login_at=catalog.clock()))
    by_email = f"/api/1/users/{alice.user.email}/"
    for who in ({}, bob.headers):
        assert client.get(by_email, headers=who).status_code == 404
        assert client.get(f"/api/1/users/{alice.user.id}/", headers=who).json()["last_login_at"] is None
    assert client.get(f"/users/{alice.user.email}/").status_code == 404  # the user's page too
    assert client.get(by_email, headers=admin.headers).json()["id"] == alice.user.id
    for who in (alice.headers, admin.headers):
        assert client.get(f"/api/1/users/{alice.user.id}/", headers=who).json()["last_login_at"] is not None
    assert client.get("/api/1/me/", headers=alice.headers).json()["last_login_at"] is not None


def test_an_editor_may_not_harvest_for_the_organization(client: TestClient, catalog: Catalog) -> None:
    """udata's ``harvest`` permission is ``EditOrganizationPermission`` (admins only), as the
    harvest endpoints here check: an editor was told ``harvest: true`` and then refused."""
    carol = make_user(catalog)
    org = make_org(catalog, **{carol.user.id: "editor"})
    mine = client.get(f"/api/1/organizations/{org.id}/", headers=carol.headers).json()["permissions"]
    assert mine == {"delete": False, "edit": False, "harvest": False, "members": False, "private": True}
    source = {"name": "s", "url": "https://example.org/c.xml", "backend": "dcat", "organization": org.id}
    refused = client.post("/api/1/harvest/sources/", json=source, headers=carol.headers)
    assert refused.status_code == 403  # udata: the field passes a member, its harvest permission refuses


def test_dataset_links_resolve(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "editor"})
    personal = client.get(f"/api/1/datasets/{make_dataset(catalog, alice).dataset.id}/").json()
    owned = client.get(
        f"/api/1/datasets/{make_dataset(catalog, alice, organization=org.id).dataset.id}/"
    ).json()
    user = client.get(personal["owner"]["uri"].removeprefix("http://testserver"))
    assert user.status_code == 200
    assert user.json()["id"] == alice.user.id
    assert user.json()["email"] is None
    organization = client.get(owned["organization"]["uri"].removeprefix("http://testserver"))
    assert organization.json()["id"] == org.id


def test_me_needs_a_key_and_shows_email_and_organizations(client: TestClient, catalog: Catalog) -> None:
    assert client.get("/api/1/me/").status_code == 401
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    me = client.get("/api/1/me/", headers=alice.headers).json()
    assert me["id"] == alice.user.id
    assert me["email"] == alice.user.email
    assert [item["id"] for item in me["organizations"]] == [org.id]
    assert me["roles"] == []
    assert (me["password_rotation_demanded"], me["password_rotation_performed"]) == (None, None)


def test_revoked_and_inactive_keys_are_401(client: TestClient, catalog: Catalog) -> None:
    from opencat.catalog.accounts import create_api_key, revoke_api_keys

    alice = make_user(catalog)
    _, second = create_api_key(catalog, alice.user.email)
    assert client.get("/api/1/me/", headers={"X-API-KEY": second}).status_code == 200
    revoke_api_keys(catalog, alice.user.id)
    revoked = client.get("/api/1/datasets/", headers={"X-API-KEY": second})
    assert revoked.status_code == 401
    assert revoked.json() == {"message": "Revoked API token"}


def test_unknown_user_is_404(client: TestClient) -> None:
    assert client.get("/api/1/users/000000000000000000000000/").status_code == 404


def test_a_deleted_user_is_named_nowhere_and_belongs_to_nothing(client: TestClient, catalog: Catalog) -> None:
    """udata's ``mark_as_deleted``: the account was only marked, and its names stayed on its
    datasets, in its organizations' members and among datasets' followers."""
    dan, other = make_user(catalog, first_name="Dan"), make_user(catalog)
    org = make_org(catalog, "Ville", **{dan.user.id: "editor", other.user.id: "admin"})
    own = make_dataset(catalog, dan, title="Parkings")
    followed = make_dataset(catalog, other, title="Followed")
    assert (
        client.post(f"/api/1/datasets/{followed.dataset.id}/followers/", headers=dan.headers).status_code
        == 201
    )
    first = accounts.delete_user(catalog, dan.user.id)
    assert (first.first_name, first.last_name, first.email) == (
        "DELETED",
        "DELETED",
        f"{dan.user.id}@deleted",
    )
    assert first.slug.startswith("deleted")
    members = client.get(f"/api/1/organizations/{org.id}/").json()["members"]
    assert [member["user"]["id"] for member in members] == [other.user.id]
    assert client.get(f"/api/1/datasets/{followed.dataset.id}/followers/").json()["total"] == 0
    assert client.get(f"/api/1/datasets/{followed.dataset.id}/").json()["metrics"]["followers"] == 0
    owner = client.get(f"/api/1/datasets/{own.dataset.id}/").json()["owner"]
    assert (owner["first_name"], owner["last_name"]) == ("DELETED", "DELETED")
    assert "Dan" not in client.get(f"/api/1/datasets/{own.dataset.id}/").text
    again = accounts.delete_user(catalog, dan.user.id)  # the same deletion, its date kept
    assert (again.deleted, again.slug) == (first.deleted, first.slug)
    second = accounts.delete_user(catalog, make_user(catalog).user.id)
    assert second.slug != first.slug  # slugs stay unique
    # One deleted before deletions anonymized (only marked): deleting it again anonymizes it.
    marked = make_user(catalog, first_name="Jean")
    with catalog.db.write() as conn:
        conn.execute(
            users.update().where(users.c.id == marked.user.id).values(deleted=first.deleted, active=False)
        )
    redone = accounts.delete_user(catalog, marked.user.id)
    assert (redone.first_name, redone.deleted) == ("DELETED", first.deleted)
    assert redone.slug.startswith("deleted")


def test_a_users_metrics_are_counted(client: TestClient, catalog: Catalog) -> None:
    """udata's user metrics (datasets, following...) were an empty object."""
    alice, bob = make_user(catalog), make_user(catalog)
    make_dataset(catalog, alice, title="One")
    make_dataset(catalog, alice, title="Two")
    make_dataset(catalog, alice, title="Hidden", private=True)
    followed = make_dataset(catalog, bob, title="Bob's")
    client.post(f"/api/1/datasets/{followed.dataset.id}/followers/", headers=alice.headers)
    expected = {"datasets": 2, "following": 1, "followers": 0, "reuses": 0, "dataservices": 0}
    assert client.get("/api/1/me/", headers=alice.headers).json()["metrics"] == expected
    assert client.get(f"/api/1/users/{alice.user.id}/").json()["metrics"] == expected


def test_a_users_profile_lists_their_organizations(client: TestClient, catalog: Catalog) -> None:
    """udata's user lists their organizations to anyone; it was always an empty list."""
    alice, bob = make_user(catalog), make_user(catalog)
    org = make_org(catalog, "Ville de Test", **{alice.user.id: "admin"})
    listed = client.get(f"/api/1/users/{alice.user.id}/").json()["organizations"]
    assert [(item["id"], item["name"]) for item in listed] == [(org.id, "Ville de Test")]
    mine = client.get("/api/1/me/", headers=alice.headers).json()["organizations"]
    assert [item["id"] for item in mine] == [org.id]  # the permissions differ: each caller's own
    assert client.get(f"/api/1/users/{bob.user.id}/").json()["organizations"] == []


def test_a_gone_users_profile_says_why_and_stays_open_to_sysadmins(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's UserAPI: "User is not active" or "User has been deleted" (410), but to sysadmins."""
    admin = make_user(catalog, sysadmin=True)
    asleep, gone = make_user(catalog), make_user(catalog)
    administration.set_active(catalog, admin.actor(catalog), asleep.user.id, False)
    accounts.delete_user(catalog, gone.user.id)
    with catalog.db.write() as conn:  # udata tells "not active" first: a deleted account left active
        conn.execute(users.update().where(users.c.id == gone.user.id).values(active=True))
    for account, message in ((asleep, "User is not active"), (gone, "User has been deleted")):
        url = f"/api/1/users/{account.user.id}/"
        answer = client.get(url)
        assert (answer.status_code, answer.json()) == (410, {"message": message})
        seen = client.get(url, headers=admin.headers)
        assert (seen.status_code, seen.json()["id"]) == (200, account.user.id)


def test_an_address_with_a_capital_outside_ascii_is_one_account(catalog: Catalog) -> None:
    """SQLite's lower() folds ASCII only: ``ÉLODIE@exämple.fr`` was found by no lookup (no
    sign-in, no ``user show``), a second account ``élodie@exämple.fr`` was accepted, and then
    ``set-password ÉMILE@…`` changed the other account's password."""
    with catalog.db.read() as conn:
        if conn.dialect.name == "postgresql" and conn.scalar(sa.text("SELECT lower('É')")) != "é":
            pytest.skip("this PostgreSQL cluster's locale folds ASCII only (LC_CTYPE C)")
    upper, _ = accounts.create_user(catalog, email="ÉLODIE@exämple.fr", first_name="Élodie", last_name="U")
    with catalog.db.read() as conn:
        for spelling in ("ÉLODIE@exämple.fr", "élodie@exämple.fr", "Élodie@Exämple.fr"):
            found = db_accounts.find_user_by_email(conn, spelling)
            assert found is not None
            assert found.id == upper.id
    with pytest.raises(Invalid):
        accounts.create_user(catalog, email="élodie@exämple.fr", first_name="Élodie", last_name="L")


def test_a_deleted_user_is_given_no_role_key_or_password(catalog: Catalog) -> None:
    """Deleting a user ends their memberships and keys: the command line then gave them a role
    again (the organization listed a deleted member), a key and a password."""
    from opencat.catalog import sessions
    from opencat.domain.errors import Gone

    bob = make_user(catalog)
    org = make_org(catalog)
    accounts.delete_user(catalog, bob.user.id)
    with pytest.raises(Gone):
        accounts.add_member(catalog, org.id, bob.user.id, "editor")
    with pytest.raises(Gone):
        accounts.issue_api_key(catalog, bob.user.id)
    with pytest.raises(Gone):
        sessions.set_password(catalog, bob.user.id, "a long enough passphrase")
    assert accounts.get_organization(catalog, org.id).members == []


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "tab\tx@example.com"},
        {"email": "new\nline@example.com"},
        {"email": "a@b"},
        {"email": "x@example.com."},
        {"email": ("x" * 300) + "@example.com"},
        {"first_name": "x" * 256},
        {"last_name": "x" * 256},
    ],
    ids=["tab", "newline", "no-dot", "trailing-dot", "long-email", "long-first", "long-last"],
)
def test_an_account_is_refused_what_it_could_not_be_sent_or_stored(
    catalog: Catalog, fields: dict[str, str]
) -> None:
    """Such an account was made (a tab or a newline broke ``user list``'s lines), or on PostgreSQL
    failed with a 50-line traceback where SQLite stored it."""
    values = {"email": "ok@example.org", "first_name": "Ok", "last_name": "Fine", **fields}
    with pytest.raises(Invalid) as refused:
        accounts.create_user(catalog, **values)
    assert set(refused.value.errors) == {next(iter(fields))}


def test_an_organizations_acronym_past_its_column_is_refused(catalog: Catalog) -> None:
    with pytest.raises(Invalid) as refused:
        accounts.create_organization(catalog, name="Acr", acronym="a" * 129)
    assert set(refused.value.errors) == {"acronym"}
