"""Named API keys with an expiry: refused once expired (as udata), managed by sysadmins through
``/api/1/users/{user}/apikeys/`` (an opencat extension)."""

import dataclasses
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.domain.errors import Invalid, InvalidCredentials, NotFound, Reason
from tests.conftest import FixedClock, utc
from tests.factories import make_user

NOW = utc(2026, 6, 1, 12)


def test_a_key_works_until_it_expires_then_is_refused_with_udatas_401(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    _, key, secret = accounts.issue_api_key(
        catalog, alice.user.email, "nightly import", catalog.clock() + timedelta(days=1)
    )
    assert client.get("/api/1/me/", headers={"X-API-KEY": secret}).status_code == 200
    later = dataclasses.replace(catalog, clock=FixedClock(catalog.clock() + timedelta(days=2)))
    with pytest.raises(InvalidCredentials) as refused:
        accounts.authenticate(later, secret)
    assert refused.value.reason is Reason.TOKEN_EXPIRED
    assert key.name == "nightly import"


def test_an_expired_key_gets_expired_api_token(client: TestClient, catalog: Catalog) -> None:
    clock = FixedClock(NOW)
    early = dataclasses.replace(catalog, clock=clock)
    alice = make_user(early)
    _, _, secret = accounts.issue_api_key(early, alice.user.id, "short", NOW + timedelta(hours=1))
    # the app's catalog runs on the real clock, years past the key's expiry
    answer = client.get("/api/1/datasets/", headers={"X-API-KEY": secret})
    assert answer.status_code == 401
    assert answer.json() == {"message": "Expired API token"}


def test_expiry_in_the_past_or_blank_name_is_invalid(catalog: Catalog) -> None:
    alice = make_user(catalog)
    with pytest.raises(Invalid):
        accounts.issue_api_key(catalog, alice.user.id, "old", catalog.clock() - timedelta(seconds=1))
    with pytest.raises(Invalid):
        accounts.issue_api_key(catalog, alice.user.id, "  ")
    with pytest.raises(Invalid):
        accounts.issue_api_key(catalog, alice.user.id, "x" * 256)
    assert accounts.issue_api_key(catalog, alice.user.id, "x" * 255)[1].name == "x" * 255


def test_revoking_one_key_keeps_the_others(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    _, first, first_secret = accounts.issue_api_key(catalog, alice.user.id, "first")
    revoked = accounts.revoke_api_key(catalog, first.id)
    assert revoked.revoked_at is not None
    assert client.get("/api/1/me/", headers={"X-API-KEY": first_secret}).json() == {
        "message": "Revoked API token"
    }
    assert client.get("/api/1/me/", headers=alice.headers).status_code == 200
    _, keys = accounts.list_api_keys(catalog, alice.user.email)
    assert [(key.name, key.revoked_at is None) for key in keys] == [(None, True), ("first", False)]
    with pytest.raises(NotFound):
        accounts.revoke_api_key(catalog, "0" * 24)


def test_sysadmin_lists_creates_and_revokes_keys_of_a_user(client: TestClient, catalog: Catalog) -> None:
    admin = make_user(catalog, sysadmin=True)
    alice = make_user(catalog)
    base = f"/api/1/users/{alice.user.id}/apikeys/"
    created = client.post(
        base, json={"name": "ci", "expires_at": "2999-01-01T00:00:00+00:00"}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "name", "created_at", "expires_at", "last_used_at", "revoked_at", "key"}
    assert (body["name"], body["expires_at"]) == ("ci", "2999-01-01T00:00:00+00:00")
    assert client.get("/api/1/me/", headers={"X-API-KEY": body["key"]}).json()["id"] == alice.user.id

    listed = client.get(base, headers=admin.headers)
    assert listed.status_code == 200
    assert [item["name"] for item in listed.json()] == [None, "ci"]
    assert all("key" not in item for item in listed.json())

    gone = client.delete(f"{base}{body['id']}/", headers=admin.headers)
    assert gone.status_code == 204
    assert client.get("/api/1/me/", headers={"X-API-KEY": body["key"]}).status_code == 401
    assert client.get("/api/1/me/", headers=alice.headers).status_code == 200


def test_key_management_is_for_sysadmins_only(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    bob = make_user(catalog)
    base = f"/api/1/users/{alice.user.id}/apikeys/"
    assert client.get(base).status_code == 401
    assert client.get(base, headers=alice.headers).status_code == 403
    assert client.post(base, json={"name": "x"}, headers=bob.headers).status_code == 403
    _, keys = accounts.list_api_keys(catalog, alice.user.id)
    assert client.delete(f"{base}{keys[0].id}/", headers=bob.headers).status_code == 403
    assert len(accounts.list_api_keys(catalog, alice.user.id)[1]) == 1


def test_unknown_user_or_key_is_404_and_bad_expiry_400(client: TestClient, catalog: Catalog) -> None:
    admin = make_user(catalog, sysadmin=True)
    alice = make_user(catalog)
    assert client.get("/api/1/users/nobody/apikeys/", headers=admin.headers).status_code == 404
    missing = client.delete(f"/api/1/users/{alice.user.id}/apikeys/{'0' * 24}/", headers=admin.headers)
    assert missing.status_code == 404
    # a key of another user is not found under this one
    _, admin_keys = accounts.list_api_keys(catalog, admin.user.id)
    other = client.delete(f"/api/1/users/{alice.user.id}/apikeys/{admin_keys[0].id}/", headers=admin.headers)
    assert other.status_code == 404
    past = {"expires_at": "2020-01-01T00:00:00Z"}  # a date in the past: said at the same field
    for body in (
        {"expires_at": "soon"},
        {"expires_at": "9999-12-31T23:59:59-23:00"},
        {"expires_at": 3},
        past,
    ):
        bad = client.post(f"/api/1/users/{alice.user.id}/apikeys/", json=body, headers=admin.headers)
        assert bad.status_code == 400
        assert "expires_at" in bad.json()["errors"]
    for name in (3, "a\x00b", "x" * 256):
        bad = client.post(
            f"/api/1/users/{alice.user.id}/apikeys/", json={"name": name}, headers=admin.headers
        )
        assert bad.status_code == 400, bad.text  # NUL is refused as the body is read


def test_a_key_header_sent_twice_names_no_caller(client: TestClient, catalog: Catalog) -> None:
    """HTTP reads repeated lines as one list, which is no key: the first line won before, so a
    proxy reading the last one acted for someone else than the app did."""
    alice, admin = make_user(catalog), make_user(catalog, sysadmin=True)
    _, revoked, revoked_secret = accounts.issue_api_key(catalog, alice.user.id, "old")
    accounts.revoke_api_key(catalog, revoked.id)
    alice_key, admin_key = alice.headers["X-API-KEY"], admin.headers["X-API-KEY"]
    for pair in (
        (alice_key, admin_key),
        (admin_key, alice_key),
        (alice_key, revoked_secret),
        (alice_key, alice_key),
    ):
        headers = [("X-API-KEY", pair[0]), ("X-API-KEY", pair[1])]
        for url in ("/api/1/me/", "/api/1/datasets/?page_size=1"):
            answer = client.get(url, headers=headers)
            assert (answer.status_code, answer.json()) == (401, {"message": "Invalid API token"}), (pair, url)


def test_a_date_alone_lasts_to_the_end_of_its_day_as_in_the_cli_and_the_keys_page(
    client: TestClient, catalog: Catalog
) -> None:
    """The API read ``2030-05-01`` as its first instant, the command line and the keys page as
    its last: one expiry, two meanings."""
    admin, alice = make_user(catalog, sysadmin=True), make_user(catalog)
    created = client.post(
        f"/api/1/users/{alice.user.id}/apikeys/", json={"expires_at": "2030-05-01"}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["expires_at"].startswith("2030-05-01T23:59:59")
    basic = client.post(  # ISO 8601's basic form of the same day
        f"/api/1/users/{alice.user.id}/apikeys/", json={"expires_at": "20300501"}, headers=admin.headers
    )
    assert basic.json()["expires_at"] == created.json()["expires_at"]
