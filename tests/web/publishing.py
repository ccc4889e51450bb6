"""Helpers of the publishing pages' tests: sign a user in through the real form, read a form's
CSRF token and revision."""

import re

from starlette.testclient import TestClient

from opencat.catalog import sessions
from opencat.catalog.context import Catalog
from tests.factories import Account, make_user

PASSWORD = "correct horse battery"


def sign_in(client: TestClient, catalog: Catalog, account: Account | None = None, **user: object) -> Account:
    account = account or make_user(catalog, **user)  # type: ignore[arg-type]
    sessions.set_password(catalog, account.user.email, PASSWORD)
    login = client.get("/login")
    csrf = hidden(login.text, "csrf_token")
    form = {"csrf_token": csrf, "email": account.user.email, "password": PASSWORD}
    assert client.post("/login", data=form).status_code == 303
    return account


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden field {name}"
    return found.group(1)
