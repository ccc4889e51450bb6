"""The signed-in user's API keys page, on both databases: named keys with an optional expiry,
shown once, listed, revoked one by one; CSRF and ownership."""

import re
from dataclasses import replace

from httpx2 import Response
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog import accounts, sessions
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.web.key_pages import NEW_KEY_COOKIE
from tests.conftest import BASE_URL, FixedClock, utc
from tests.factories import Account, make_user

PASSWORD = "correct horse battery"
PAGE = "/account/keys/"


def _signed_in(client: TestClient, catalog: Catalog) -> Account:
    account = make_user(catalog, first_name="Dominique")
    sessions.set_password(catalog, account.user.email, PASSWORD)
    login = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None
    form = {"csrf_token": csrf.group(1), "email": account.user.email, "password": PASSWORD}
    assert client.post("/login", data=form).status_code == 303
    return account


def _csrf(client: TestClient) -> str:
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _create(client: TestClient, headers: dict[str, str] | None = None, **fields: str) -> Response:
    """The form sent, and the list it redirects to (which shows the new key once)."""
    sent = client.post(PAGE, data={"csrf_token": _csrf(client), **fields}, headers=headers)
    assert (sent.status_code, sent.headers["location"]) == (303, PAGE), sent.text
    return client.get(PAGE, headers=headers)


def _secret(text: str) -> str:
    found = re.search(r'<code class="secret">([^<]+)</code>', text)
    assert found is not None
    return found.group(1)


def test_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get(PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={PAGE}"
    assert client.post(PAGE, data={"name": "x"}).headers["location"] == f"/login?next={PAGE}"


def test_create_a_named_key_shown_once_then_listed(client: TestClient, catalog: Catalog) -> None:
    dominique = _signed_in(client, catalog)
    created = _create(client, {"Accept-Language": "en"}, name="Nightly import", expires="2099-06-30")
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    secret = _secret(created.text)
    assert secret.startswith("opencat_")
    assert "it will not be shown again" in created.text
    # The key works on the API, as its owner.
    me = client.get("/api/1/me/", headers={"X-API-KEY": secret})
    assert me.status_code == 200
    assert me.json()["id"] == dominique.user.id
    # Listed by name and expiry; the secret never again (a reload creates no other key).
    listed = client.get(PAGE, headers={"Accept-Language": "en"})
    assert secret not in listed.text
    assert NEW_KEY_COOKIE not in client.cookies
    assert "Nightly import" in listed.text
    assert "June 30, 2099" in listed.text
    _, keys = accounts.list_api_keys(catalog, dominique.user.id)
    named = [key for key in keys if key.name == "Nightly import"]
    assert len(named) == 1
    assert named[0].expires_at == utc(2099, 6, 30, 23, 59, 59, 999999)
    french = client.get(PAGE)
    assert "Clés d\u2019API" in french.text
    assert "30 juin 2099" in french.text


def test_revoke_keys_one_by_one(client: TestClient, catalog: Catalog) -> None:
    dominique = _signed_in(client, catalog)
    first = _secret(_create(client, name="one").text)
    second = _secret(_create(client, name="two").text)
    _, keys = accounts.list_api_keys(catalog, dominique.user.id)
    one = next(key for key in keys if key.name == "one")
    # The list links to a page that says what revoking means; its button revokes.
    asked = client.get(f"{PAGE}{one.id}/revoke", headers={"Accept-Language": "en"})
    assert asked.status_code == 200
    assert "Revoke the key “one”" in asked.text
    assert client.get("/api/1/me/", headers={"X-API-KEY": first}).status_code == 200  # asking revokes nothing
    revoked = client.post(f"{PAGE}{one.id}/revoke", data={"csrf_token": _csrf(client)})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{PAGE}?revoked={one.id}"
    said = client.get(revoked.headers["location"], headers={"Accept-Language": "en"}).text
    assert "The key “one” was revoked" in said
    assert client.get(f"{PAGE}{one.id}/revoke").status_code == 404  # nothing left to revoke
    assert client.get("/api/1/me/", headers={"X-API-KEY": first}).status_code == 401
    assert client.get("/api/1/me/", headers={"X-API-KEY": second}).status_code == 200
    assert client.get("/api/1/me/", headers={"X-API-KEY": dominique.key}).status_code == 200
    page = client.get(PAGE, headers={"Accept-Language": "en"})
    assert page.text.count(">revoked<") == 1
    assert page.text.count(">Revoke<") == 2  # the two keys still active


def test_forms_need_their_csrf_token_and_keys_their_owner(client: TestClient, catalog: Catalog) -> None:
    dominique = _signed_in(client, catalog)
    assert client.post(PAGE, data={"name": "no token"}).status_code == 403
    assert client.post(PAGE, data={"name": "forged", "csrf_token": "x"}).status_code == 403
    _, before = accounts.list_api_keys(catalog, dominique.user.id)
    own = before[0]
    assert client.post(f"{PAGE}{own.id}/revoke", data={}).status_code == 403
    assert client.get("/api/1/me/", headers={"X-API-KEY": dominique.key}).status_code == 200
    stranger = make_user(catalog)
    _, theirs = accounts.list_api_keys(catalog, stranger.user.id)
    refused = client.post(f"{PAGE}{theirs[0].id}/revoke", data={"csrf_token": _csrf(client)})
    assert refused.status_code == 404
    assert client.get(f"{PAGE}{theirs[0].id}/revoke").status_code == 404
    assert "was revoked" not in client.get(f"{PAGE}?revoked={theirs[0].id}").text
    assert client.get("/api/1/me/", headers={"X-API-KEY": stranger.key}).status_code == 200
    _, after = accounts.list_api_keys(catalog, dominique.user.id)
    assert len(after) == len(before)


def test_errors_are_shown_beside_their_fields(catalog: Catalog, settings: Settings) -> None:
    timed = replace(catalog, clock=FixedClock(utc(2026, 12, 3, 12)))
    with TestClient(create_app(settings, catalog=timed), base_url=BASE_URL, follow_redirects=False) as client:
        _signed_in(client, timed)
        no_name = client.post(
            PAGE, data={"csrf_token": _csrf(client), "name": " "}, headers={"Accept-Language": "en"}
        )
        assert no_name.status_code == 400
        assert 'id="key-name-error"' in no_name.text
        assert 'aria-describedby="key-name-error"' in no_name.text
        past = client.post(
            PAGE,
            data={"csrf_token": _csrf(client), "name": "old", "expires": "2026-12-02"},
            headers={"Accept-Language": "en"},
        )
        assert past.status_code == 400
        assert "The expiry date must be a date in the future." in past.text
        assert 'value="old"' in past.text  # what was typed is kept
        garbled = client.post(
            PAGE,
            data={"csrf_token": _csrf(client), "name": "x", "expires": "soon"},
            headers={"Accept-Language": "en"},
        )
        assert garbled.status_code == 400
        assert 'id="key-expires-error"' in garbled.text
        assert "Give the date as year, month and day (2030-01-31)." in garbled.text  # not "in the future"
        # A NUL in a field is said beside it (it was the generic "unreadable form" page).
        nul = client.post(PAGE, data={"csrf_token": _csrf(client), "name": "a\x00b"})
        assert nul.status_code == 400
        assert "Ce champ ne peut contenir de caractère nul." in nul.text
        assert 'id="key-name-error"' in nul.text
        assert "\x00" not in nul.text
        assert 'value="ab"' in nul.text  # what was typed, without its NUL
        today = client.post(
            PAGE, data={"csrf_token": _csrf(client), "name": "today", "expires": "2026-12-03"}
        )
        assert today.status_code == 303  # to the end of the day


def test_a_key_without_a_name_is_told_so_not_that_its_name_is_too_long(
    client: TestClient, catalog: Catalog
) -> None:
    _signed_in(client, catalog)
    for name, said in (
        ("", "Ce champ est obligatoire."),
        ("n" * 256, "Donnez à la clé un nom de 255 caractères au plus"),
    ):
        refused = client.post(PAGE, data={"csrf_token": _csrf(client), "name": name})
        assert refused.status_code == 400
        assert said in refused.text, name
