"""Signing in and out of the pages, on both databases: the cookie's flags, CSRF, throttling,
expiry, signing out everywhere, and ``opencat user set-password``."""

import io
import re
from dataclasses import replace
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog import sessions
from opencat.catalog.context import Catalog
from opencat.catalog.passwords import hash_password, verify_password
from opencat.config import Settings
from opencat.db import accounts as db_accounts
from opencat.db import sessions as db_sessions
from opencat.domain.errors import Invalid, InvalidCredentials, TooManyRequests
from opencat.web.signin import CSRF_COOKIE, SESSION_COOKIE
from tests.conftest import BASE_URL, FixedClock, utc
from tests.factories import Account, make_user

PASSWORD = "correct horse battery"


def _user(catalog: Catalog, password: str = PASSWORD) -> Account:
    account = make_user(catalog, first_name="Camille")
    sessions.set_password(catalog, account.user.email, password)
    return account


def _csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _sign_in(client: TestClient, email: str, password: str = PASSWORD, **extra: str) -> Response:
    form = {"csrf_token": _csrf(client), "email": email, "password": password, **extra}
    return client.post("/login", data=form)


def _set_cookie(response: Response, name: str) -> str:
    headers = [value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


def _flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_signing_in_sets_a_signed_httponly_lax_cookie(client: TestClient, catalog: Catalog) -> None:
    camille = _user(catalog)
    login = client.get("/login", headers={"Accept-Language": "en"})
    assert login.status_code == 200
    csrf_cookie = _set_cookie(login, CSRF_COOKIE)
    assert {"httponly", "path", "samesite"} <= _flags(csrf_cookie)
    assert "secure" not in _flags(csrf_cookie)
    signed_in = _sign_in(client, camille.user.email.upper(), next="/datasets/")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/datasets/"
    header = _set_cookie(signed_in, SESSION_COOKIE)
    assert "samesite=lax" in header.lower()
    assert {"httponly", "path", "max-age", "samesite"} <= _flags(header)
    assert "secure" not in _flags(header)  # the base URL is http
    assert "Max-Age=1209600" in header  # 14 days, the session's lifetime
    token = SimpleCookie(header)[SESSION_COOKIE].value
    assert token.count(".") >= 1
    home = client.get("/", headers={"Accept-Language": "en"})
    assert "Camille Tester" in home.text
    assert 'href="/logout"' in home.text
    assert 'href="/login"' not in home.text
    # A cookie whose signature does not hold is nobody's: one character of the token changed.
    forged = ("A" if token[0] != "A" else "B") + token[1:]
    with TestClient(client.app, base_url=BASE_URL, cookies={SESSION_COOKIE: forged}) as stranger:
        assert 'href="/login"' in stranger.get("/").text
    with TestClient(client.app, base_url=BASE_URL, cookies={SESSION_COOKIE: token}) as same:
        assert 'href="/logout"' in same.get("/").text
    with catalog.db.read() as conn:
        assert db_sessions.count_sessions_of(conn, camille.user.id) == 1


def test_the_cookie_is_secure_behind_https(tmp_path: Path, database_url: str, catalog: Catalog) -> None:
    camille = _user(catalog)
    settings = Settings(data_dir=tmp_path, database_url=database_url, base_url="https://data.example.org")
    app = create_app(settings, catalog=catalog)
    with TestClient(app, base_url="https://data.example.org", follow_redirects=False) as client:
        assert "secure" in _flags(_set_cookie(client.get("/login"), CSRF_COOKIE))
        header = _set_cookie(_sign_in(client, camille.user.email), SESSION_COOKIE)
        assert {"secure", "httponly", "samesite"} <= _flags(header)


def test_wrong_password_and_unknown_email_answer_alike(client: TestClient, catalog: Catalog) -> None:
    camille = _user(catalog)
    wrong = _sign_in(client, camille.user.email, "not the password", next="/datasets/")
    unknown = _sign_in(client, "nobody@example.org")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert "Adresse électronique ou mot de passe incorrect." in wrong.text  # French by default
    assert 'value="/datasets/"' in wrong.text  # where to go is kept
    assert f'value="{camille.user.email}"' in wrong.text
    no_password = make_user(catalog)  # a user without a password cannot sign in
    assert _sign_in(client, no_password.user.email, "").status_code == 400


def test_forms_without_their_csrf_token_are_refused(client: TestClient, catalog: Catalog) -> None:
    camille = _user(catalog)
    client.get("/login")  # the visitor's CSRF cookie
    form = {"email": camille.user.email, "password": PASSWORD}
    assert client.post("/login", data=form).status_code == 403
    assert client.post("/login", data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post("/login", data={**form, "csrf_token": "é"}).status_code == 403  # was a 500
    # The token of another visitor's cookie is refused too.
    other = _csrf(TestClient(client.app, base_url=BASE_URL))
    refused = client.post("/login", data={**form, "csrf_token": other}, headers={"Accept-Language": "en"})
    assert refused.status_code == 403
    assert "Form refused" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert _sign_in(client, camille.user.email).status_code == 303
    # Signing out takes the session's own token; without it the session lives on.
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": other}).status_code == 403
    assert 'href="/logout"' in client.get("/").text
    token = _csrf(client, "/logout")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert 'href="/login"' in client.get("/").text
    with catalog.db.read() as conn:
        assert db_sessions.count_sessions_of(conn, camille.user.id) == 0
    big = client.post(
        "/login",
        content=b"email=" + b"x" * 20_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert big.status_code == 400
    # More fields than any of our forms has: the "form refused" page, not Starlette's JSON.
    crowded = client.post(
        "/login", data={f"f{number}": "x" for number in range(11)}, headers={"Accept-Language": "en"}
    )
    assert crowded.status_code == 400
    assert crowded.headers["content-type"].startswith("text/html")
    assert "Form refused" in crowded.text


def test_sign_in_is_throttled_per_account(client: TestClient, catalog: Catalog) -> None:
    clock = FixedClock(utc(2026, 12, 3, 12))
    timed = replace(catalog, clock=clock)
    camille = _user(timed)
    for _ in range(sessions.ACCOUNT_LIMIT):
        with pytest.raises(InvalidCredentials):
            sessions.sign_in(timed, camille.user.email, "wrong guess", "192.0.2.1")
    # Now even the right password is refused, from any address, without being checked.
    with pytest.raises(TooManyRequests) as refused:
        sessions.sign_in(timed, camille.user.email.upper(), PASSWORD, "198.51.100.7")
    assert refused.value.retry_after == 15 * 60 + 1
    clock.now += sessions.THROTTLE_WINDOW
    assert sessions.sign_in(timed, camille.user.email, PASSWORD, "192.0.2.1").user.id == camille.user.id


def test_sign_in_is_throttled_per_address(tmp_path: Path, database_url: str, catalog: Catalog) -> None:
    """Behind a proxy (OPENCAT_TRUST_FORWARDED_FOR), the address is the last one it appended."""
    camille = _user(catalog)
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, base_url=BASE_URL, trust_forwarded_for=True
    )
    with TestClient(
        create_app(settings, catalog=catalog), base_url=BASE_URL, follow_redirects=False
    ) as client:
        attacker = {"X-Forwarded-For": "203.0.113.66"}
        for number in range(sessions.ADDRESS_LIMIT):
            form = {"csrf_token": _csrf(client), "email": f"guess{number}@example.org", "password": "x"}
            assert client.post("/login", data=form, headers=attacker).status_code == 400
        form = {"csrf_token": _csrf(client), "email": camille.user.email, "password": PASSWORD}
        # A client cannot choose its address by sending one before the proxy's.
        spoofed = {"X-Forwarded-For": "192.0.2.1, 203.0.113.66"}
        throttled = client.post("/login", data=form, headers=spoofed)
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert client.post("/login", data=form, headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 303


def test_sessions_expire(client: TestClient, catalog: Catalog) -> None:
    clock = FixedClock(utc(2026, 12, 3, 12))
    timed = replace(catalog, clock=clock)
    camille = _user(timed)
    signed_in = sessions.sign_in(timed, camille.user.email, PASSWORD, "192.0.2.1")
    assert signed_in.expires_at == clock.now + timedelta(days=14)
    assert sessions.session_actor(timed, signed_in.token).user_id == camille.user.id
    clock.now = signed_in.expires_at - timedelta(seconds=1)
    assert sessions.session_actor(timed, signed_in.token).user_id == camille.user.id
    clock.now = signed_in.expires_at
    assert sessions.session_actor(timed, signed_in.token).user is None
    # The next sign-in purges expired sessions.
    sessions.sign_in(timed, camille.user.email, PASSWORD, "192.0.2.1")
    assert sessions.count_sessions(timed, camille.user.id) == 1


def test_an_expired_session_cookie_signs_nobody_in(
    tmp_path: Path, database_url: str, catalog: Catalog
) -> None:
    clock = FixedClock(utc(2026, 12, 3, 12))
    timed = replace(catalog, clock=clock)
    camille = _user(timed)
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, base_url=BASE_URL, session_lifetime_hours=1
    )
    app = create_app(settings, catalog=replace(timed, session_lifetime=timedelta(hours=1)))
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        assert "Max-Age=3600" in _set_cookie(_sign_in(client, camille.user.email), SESSION_COOKIE)
        assert 'href="/logout"' in client.get("/").text
        clock.now += timedelta(hours=1)
        assert 'href="/login"' in client.get("/").text


def test_sign_out_of_every_session(client: TestClient, catalog: Catalog) -> None:
    camille = _user(catalog)
    elsewhere = sessions.sign_in(catalog, camille.user.email, PASSWORD, "192.0.2.1")
    assert _sign_in(client, camille.user.email).status_code == 303
    assert sessions.count_sessions(catalog, camille.user.id) == 2
    page = client.get("/logout", headers={"Accept-Language": "en"})
    assert "Sign out of every device" in page.text
    token = _csrf(client, "/logout")
    out = client.post("/logout", data={"csrf_token": token, "everywhere": "1"})
    assert out.status_code == 303
    assert "Max-Age=0" in _set_cookie(out, SESSION_COOKIE)  # the browser forgets it
    assert sessions.session_actor(catalog, elsewhere.token).user is None
    assert sessions.count_sessions(catalog, camille.user.id) == 0
    assert client.get("/logout").headers["location"] == "/login"


def test_set_password_rules_and_effects(catalog: Catalog) -> None:
    camille = _user(catalog)
    signed_in = sessions.sign_in(catalog, camille.user.email, PASSWORD, "192.0.2.1")
    with pytest.raises(Invalid):
        sessions.set_password(catalog, camille.user.email, "short")
    assert sessions.session_actor(catalog, signed_in.token).user is not None  # nothing changed
    sessions.set_password(catalog, camille.user.email, "another long password")
    assert sessions.session_actor(catalog, signed_in.token).user is None  # a new password signs out
    with catalog.db.read() as conn:
        stored = db_sessions.password_hash(conn, camille.user.id)
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "another long password")
    assert not verify_password(stored, PASSWORD)


def test_a_password_changed_during_a_sign_in_is_not_signed_in_with(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash is checked outside any transaction: a password changed (every session ended)
    between that check and the session's insert left the old password's session alive (11 of 40
    races in a review), and a re-hash of the old password could overwrite the new one."""
    camille = _user(catalog)

    def changed_meanwhile(hashed: str | None, password: str) -> bool:
        matches = verify_password(hashed, password)
        sessions.set_password(catalog, camille.user.email, "a brand new password")
        monkeypatch.setattr(sessions, "verify_password", verify_password)  # once
        return matches

    monkeypatch.setattr(sessions, "verify_password", changed_meanwhile)
    monkeypatch.setattr(sessions, "needs_rehash", lambda hashed: True)
    with pytest.raises(InvalidCredentials):
        sessions.sign_in(catalog, camille.user.email, PASSWORD, "192.0.2.1")
    assert sessions.count_sessions(catalog, camille.user.id) == 0
    with catalog.db.read() as conn:
        stored = db_sessions.password_hash(conn, camille.user.id)
    assert verify_password(stored, "a brand new password")
    assert not verify_password(stored, PASSWORD)
    monkeypatch.setattr(sessions, "verify_password", verify_password)
    signed_in = sessions.sign_in(catalog, camille.user.email, "a brand new password", "192.0.2.1")
    assert sessions.session_actor(catalog, signed_in.token).user is not None


def test_a_password_re_hashed_meanwhile_by_another_sign_in_still_signs_in(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sign-ins at once on an old hash: the first re-hashes it, the second found another hash
    and was refused, with the right password (7 of 8 in a review's double-submitted forms)."""
    camille = _user(catalog)

    def re_hashed_meanwhile(hashed: str | None, password: str) -> bool:
        matches = verify_password(hashed, password)
        with catalog.db.write() as conn:  # another sign-in's re-hash of the same password
            db_sessions.set_password_hash(conn, camille.user.id, hash_password(PASSWORD))
        monkeypatch.setattr(sessions, "verify_password", verify_password)
        return matches

    monkeypatch.setattr(sessions, "verify_password", re_hashed_meanwhile)
    signed_in = sessions.sign_in(catalog, camille.user.email, PASSWORD, "192.0.2.1")
    assert sessions.session_actor(catalog, signed_in.token).user is not None


def test_an_account_deactivated_during_a_sign_in_gets_no_session(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account was read before the hash was checked: a deactivation meanwhile (which ends
    every session) left the new one, working again once the account was reactivated."""
    camille = _user(catalog)

    def deactivated_meanwhile(hashed: str | None, password: str) -> bool:
        matches = verify_password(hashed, password)
        with catalog.db.write() as conn:
            db_accounts.set_user_flags(conn, camille.user.id, active=False)
            db_sessions.delete_sessions_of(conn, camille.user.id)
        return matches

    monkeypatch.setattr(sessions, "verify_password", deactivated_meanwhile)
    with pytest.raises(InvalidCredentials):
        sessions.sign_in(catalog, camille.user.email, PASSWORD, "192.0.2.1")
    with catalog.db.write() as conn:
        db_accounts.set_user_flags(conn, camille.user.id, active=True)
    assert sessions.count_sessions(catalog, camille.user.id) == 0


def test_the_next_address_stays_on_this_site(client: TestClient, catalog: Catalog) -> None:
    camille = _user(catalog)
    for sent in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = _sign_in(client, camille.user.email, next=sent)
        assert response.headers["location"] == "/", sent


def test_opencat_user_set_password(
    catalog: Catalog,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from opencat.cli import main

    camille = make_user(catalog)
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCAT_DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a password from a pipe\n"))
    assert main(["user", "set-password", camille.user.email]) == 0
    assert f"Password set for {camille.user.email}" in capsys.readouterr().out
    assert sessions.sign_in(catalog, camille.user.email, "a password from a pipe", "192.0.2.1")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "set-password", camille.user.email]) == 2  # a value refused: bad usage
    assert "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a password from a pipe\n"))
    assert main(["user", "set-password", "nobody@example.org"]) == 2  # names no user: refused
    assert "nobody@example.org" in capsys.readouterr().err


def test_a_cookie_outside_ascii_is_no_session_and_no_error(client: TestClient, catalog: Catalog) -> None:
    """A cookie planted by a sibling host, or sent by a broken client: an anonymous visit (its
    comparison raised on non-ASCII text, a 500 on every page)."""
    home = client.get("/", headers={"Cookie": f"{SESSION_COOKIE}=abc.été".encode()})
    assert home.status_code == 200
    assert 'href="/login"' in home.text


def test_a_visitor_gone_mid_form_is_no_500(
    settings: Settings, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that disconnects while sending a page's form (``ClientDisconnect`` from the body's
    reader) was logged as an unhandled error with its traceback and counted a 500: anyone could
    fill the error log. It is a refused form now, as the API's bodies are."""
    import asyncio

    from starlette.types import Message

    app = create_app(settings, catalog=catalog)
    sent: list[Message] = []
    incoming: list[Message] = [
        {"type": "http.request", "body": b"email=a", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/login",
        "raw_path": b"/login",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"100"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    with caplog.at_level("ERROR"):
        asyncio.run(app(scope, receive, send))
    status = next(message["status"] for message in sent if message["type"] == "http.response.start")
    assert status == 400
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
