"""Resetting a forgotten password by email, on both databases, against a real SMTP server on a
local port: the mail and its link, single use, expiry, throttling, CSRF, no account enumeration,
and the page that says to ask an operator when no SMTP server is configured."""

import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog import accounts, password_resets, sessions
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.domain.errors import Invalid, InvalidCredentials, TooManyRequests
from opencat.wiring import make_mailer
from tests.conftest import BASE_URL, FixedClock, utc
from tests.factories import Account, make_user
from tests.mailbox import SmtpServer, link_in
from tests.web.publishing import hidden

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
FORGOT = "/account/password/reset/"


@pytest.fixture
def mailing(catalog: Catalog, smtp_server: SmtpServer) -> Catalog:
    return replace(catalog, mailer=smtp_server.mailer())


@pytest.fixture
def mail_client(settings: Settings, mailing: Catalog) -> Iterator[TestClient]:
    with TestClient(create_app(settings, catalog=mailing), base_url=BASE_URL, follow_redirects=False) as c:
        yield c


def _user(catalog: Catalog) -> Account:
    account = make_user(catalog, first_name="Camille")
    sessions.set_password(catalog, account.user.email, PASSWORD)
    return account


def _ask(client: TestClient, email: str, **headers: str) -> tuple[int, str]:
    csrf = hidden(client.get(FORGOT).text, "csrf_token")
    answer = client.post(FORGOT, data={"csrf_token": csrf, "email": email}, headers=headers)
    return answer.status_code, answer.text


def _path(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _set(client: TestClient, path: str, password: str, again: str | None = None) -> tuple[int, str]:
    page = client.get(path)
    csrf = hidden(page.text, "csrf_token")
    form = {"csrf_token": csrf, "password": password, "password_again": password if again is None else again}
    answer = client.post(path, data=form)
    return answer.status_code, answer.text


def _signs_in(catalog: Catalog, email: str, password: str) -> bool:
    try:
        sessions.sign_in(catalog, email, password, "192.0.2.1")
    except InvalidCredentials:
        return False
    return True


def test_a_mailed_link_sets_a_new_password_once(
    mail_client: TestClient, mailing: Catalog, smtp_server: SmtpServer
) -> None:
    camille = _user(mailing)
    elsewhere = sessions.sign_in(mailing, camille.user.email, PASSWORD, "192.0.2.1")
    status, text = _ask(mail_client, camille.user.email.upper(), **{"Accept-Language": "en"})
    assert status == 200
    assert "a link to choose a new password has just been mailed" in text
    [message] = smtp_server.mailbox.wait(1)
    assert smtp_server.mailbox.recipients == [[camille.user.email]]
    assert message["From"] == "catalog@example.org"
    assert message["Subject"] == "Reset your password"
    link = link_in(message)
    assert link.startswith(f"{BASE_URL}{FORGOT}")
    assert link.endswith("?lang=en")
    page = mail_client.get(_path(link))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'autocomplete="new-password"' in page.text
    status, text = _set(mail_client, _path(link), NEW_PASSWORD)
    assert status == 200
    assert 'id="reset-done"' in text
    assert _signs_in(mailing, camille.user.email, NEW_PASSWORD)
    assert not _signs_in(mailing, camille.user.email, PASSWORD)
    # Every session was ended; the link works once.
    assert sessions.session_actor(mailing, elsewhere.token).user is None
    used = mail_client.get(_path(link))
    assert used.status_code == 404
    assert 'id="reset-invalid"' in used.text
    csrf = hidden(mail_client.get(FORGOT).text, "csrf_token")
    form = {"csrf_token": csrf, "password": "another passphrase", "password_again": "another passphrase"}
    assert mail_client.post(_path(link), data=form).status_code == 404
    assert _signs_in(mailing, camille.user.email, NEW_PASSWORD)


def test_the_mail_is_in_the_language_of_the_page(
    mail_client: TestClient, mailing: Catalog, smtp_server: SmtpServer
) -> None:
    camille = _user(mailing)
    status, text = _ask(mail_client, camille.user.email, **{"Accept-Language": "fr"})
    assert status == 200
    assert "un lien pour choisir un nouveau mot de passe" in text
    [message] = smtp_server.mailbox.wait(1)
    assert message["Subject"] == "Réinitialisez votre mot de passe"
    assert link_in(message).endswith("?lang=fr")


def test_unknown_and_known_addresses_get_the_same_answer(
    mail_client: TestClient, mailing: Catalog, smtp_server: SmtpServer
) -> None:
    camille = _user(mailing)
    inactive = make_user(mailing)
    accounts.delete_user(mailing, inactive.user.id)
    _, known = _ask(mail_client, camille.user.email)
    answers = [_ask(mail_client, email) for email in ("nobody@example.org", inactive.user.email)]
    smtp_server.mailbox.wait(1)

    def shown(text: str, email: str) -> str:
        return re.sub(r'name="csrf_token" value="[^"]*"', "", text).replace(email, "EMAIL")

    for (status, text), email in zip(answers, ("nobody@example.org", inactive.user.email), strict=True):
        assert status == 200
        assert shown(text, email) == shown(known, camille.user.email)
    assert len(smtp_server.mailbox.messages) == 1  # only the account that exists and may sign in


def test_a_wrong_password_keeps_the_link_usable(
    mail_client: TestClient, mailing: Catalog, smtp_server: SmtpServer
) -> None:
    camille = _user(mailing)
    _ask(mail_client, camille.user.email, **{"Accept-Language": "en"})
    path = _path(link_in(smtp_server.mailbox.wait(1)[0]))
    status, text = _set(mail_client, path, "short")
    assert status == 400
    assert "Too short: at least 10 characters." in text
    status, text = _set(mail_client, path, NEW_PASSWORD, "something else entirely")
    assert status == 400
    assert "The two passwords differ." in text
    assert _signs_in(mailing, camille.user.email, PASSWORD)
    assert _set(mail_client, path, NEW_PASSWORD)[0] == 200


def test_links_expire_and_set_password_voids_them(mailing: Catalog) -> None:
    clock = FixedClock(utc(2026, 12, 3, 12))
    timed = replace(mailing, clock=clock)
    camille = _user(timed)
    first = password_resets.request_reset(timed, camille.user.email, "192.0.2.1")
    second = password_resets.request_reset(timed, camille.user.email, "192.0.2.1")
    assert first is not None
    assert second is not None
    assert first.token != second.token
    clock.now += password_resets.RESET_LIFETIME
    assert not password_resets.reset_is_valid(timed, first.token)
    with pytest.raises(InvalidCredentials):
        password_resets.reset_password(timed, first.token, NEW_PASSWORD)
    clock.now -= timedelta(seconds=1)
    assert password_resets.reset_is_valid(timed, second.token)
    sessions.set_password(timed, camille.user.email, "set by an operator")  # voids the links
    assert not password_resets.reset_is_valid(timed, second.token)
    with pytest.raises(Invalid):
        password_resets.reset_password(timed, "whatever", "short")
    with pytest.raises(InvalidCredentials):
        password_resets.reset_password(timed, "not-a-token", NEW_PASSWORD)


def test_requests_are_throttled_per_address_asked_for_and_per_client(mailing: Catalog) -> None:
    clock = FixedClock(utc(2026, 12, 3, 12))
    timed = replace(mailing, clock=clock)
    camille = _user(timed)
    for _ in range(password_resets.ACCOUNT_LIMIT):
        assert password_resets.request_reset(timed, camille.user.email, "192.0.2.1") is not None
    with pytest.raises(TooManyRequests) as refused:
        password_resets.request_reset(timed, f" {camille.user.email.upper()}", "198.51.100.7")
    assert refused.value.retry_after == 15 * 60 + 1
    for number in range(password_resets.ADDRESS_LIMIT - password_resets.ACCOUNT_LIMIT):
        password_resets.request_reset(timed, f"guess{number}@example.org", "192.0.2.1")
    with pytest.raises(TooManyRequests):
        password_resets.request_reset(timed, "someone.else@example.org", "192.0.2.1")
    clock.now += sessions.THROTTLE_WINDOW
    assert password_resets.request_reset(timed, camille.user.email, "192.0.2.1") is not None


def test_a_throttled_request_is_a_429_page(mail_client: TestClient, mailing: Catalog) -> None:
    camille = _user(mailing)
    for _ in range(password_resets.ACCOUNT_LIMIT):
        assert _ask(mail_client, camille.user.email)[0] == 200
    csrf = hidden(mail_client.get(FORGOT).text, "csrf_token")
    answer = mail_client.post(
        FORGOT, data={"csrf_token": csrf, "email": camille.user.email}, headers={"Accept-Language": "en"}
    )
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0
    assert "Too many requests." in answer.text


def test_the_forms_refuse_a_missing_or_forged_csrf_token(
    mail_client: TestClient, mailing: Catalog, smtp_server: SmtpServer
) -> None:
    camille = _user(mailing)
    mail_client.get(FORGOT)
    assert mail_client.post(FORGOT, data={"email": camille.user.email}).status_code == 403
    assert mail_client.post(FORGOT, data={"email": camille.user.email, "csrf_token": "x"}).status_code == 403
    _ask(mail_client, camille.user.email)
    path = _path(link_in(smtp_server.mailbox.wait(1)[0]))
    form = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert mail_client.post(path, data=form).status_code == 403
    assert mail_client.post(path, data={**form, "csrf_token": "forged"}).status_code == 403
    assert len(smtp_server.mailbox.messages) == 1
    assert _signs_in(mailing, camille.user.email, PASSWORD)


def test_without_smtp_the_page_says_to_ask_an_operator(client: TestClient, catalog: Catalog) -> None:
    camille = _user(catalog)
    page = client.get(FORGOT, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "opencat user set-password" in page.text
    assert 'name="email"' not in page.text
    assert "Demandez à son opérateur" in client.get(FORGOT, headers={"Accept-Language": "fr"}).text
    csrf = hidden(client.get("/login").text, "csrf_token")  # the visitor's token, as on any form
    answer = client.post(FORGOT, data={"csrf_token": csrf, "email": camille.user.email})
    assert answer.status_code == 200
    assert 'id="no-mail"' in answer.text
    assert password_resets.request_reset(catalog, camille.user.email, "192.0.2.1") is None
    assert 'href="/account/password/reset/"' in client.get("/login").text


def test_a_mail_that_cannot_be_sent_is_logged(
    mail_client: TestClient, mailing: Catalog, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    camille = _user(mailing)
    smtp_server.stop()
    with caplog.at_level(logging.ERROR, logger="opencat.mail"):
        status, _ = _ask(mail_client, camille.user.email)
    assert status == 200  # the visitor's answer is the same
    assert "could not be sent" in caplog.text


def test_smtp_settings_build_the_mailer(tmp_path: Path, database_url: str) -> None:
    assert make_mailer(Settings(data_dir=tmp_path, database_url=database_url)) is None
    settings = Settings.from_env(
        {
            "OPENCAT_SMTP_HOST": "smtp.example.org",
            "OPENCAT_SMTP_USER": "catalog",
            "OPENCAT_SMTP_PASSWORD": "secret",
            "OPENCAT_BASE_URL": "https://data.example.org",
        }
    )
    mailer = make_mailer(settings)
    assert mailer is not None
    assert (mailer.host, mailer.port, mailer.starttls) == ("smtp.example.org", 587, True)
    assert mailer.sender == "noreply@data.example.org"
    assert mailer.user == "catalog"


def test_the_access_log_never_shows_a_reset_token(
    mail_client: TestClient, mailing: Catalog, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    camille = _user(mailing)
    _ask(mail_client, camille.user.email)
    path = _path(link_in(smtp_server.mailbox.wait(1)[0]))
    token = path.split("/")[4]
    with caplog.at_level(logging.INFO, logger="opencat.access"):
        # Without its slash, as a mail client may cut it: the slash's redirect logged the token
        cut = path.replace(f"{token}/", token)
        assert mail_client.get(cut, follow_redirects=False).status_code == 308
        assert mail_client.get(path).status_code == 200
        _set(mail_client, path, NEW_PASSWORD)
    logged = [record.getMessage() for record in caplog.records if record.name == "opencat.access"]
    assert any("/account/password/reset/{token}/" in line for line in logged)
    assert not any(token in line for line in logged)
    assert not any(token in str(getattr(record, "path", "")) for record in caplog.records)
