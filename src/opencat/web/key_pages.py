"""The signed-in user's API keys: ``/account/keys/`` lists them, creates a named key with an
optional expiry, and revokes them one by one; the work is done by the account use cases the
command line and the API use (catalog/accounts.py).

A new key is shown once: the form's answer redirects to the list (a reload of it creates no
second key), handing the key over in a cookie that lives five minutes, for this page only, and
that the list takes back as it shows the key."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencat.catalog import accounts
from opencat.domain.accounts import ApiKey
from opencat.domain.dates import key_expiry
from opencat.domain.errors import Invalid, NotFound
from opencat.web import signin
from opencat.web.account_pages import read_form, refused
from opencat.web.pages import Handler, Site, Visit, guard, without_nul

PATH = "/account/keys/"
NEW_KEY_COOKIE = "opencat_new_key"
NEW_KEY_SECONDS = 300


def _signed_in(visit: Visit, site: Site) -> str | None:
    """The session's token when someone is signed in (None: send them to the sign-in page)."""
    token = signin.session_token(visit.request, site.keys)
    return token if token is not None and visit.user is not None else None


def _to_login() -> Response:
    return RedirectResponse(f"/login?next={PATH}", status_code=303)


def _expiry(raw: str) -> datetime | None:
    """A date of the form (the key lasts to the end of that day, UTC), as ``token create --expires``."""
    if not raw:
        return None
    try:
        if len(raw) != 10:  # the form's date field sends a date, never a time
            raise ValueError(raw)
        return key_expiry(raw)  # a date: the end of that day
    except ValueError:
        raise Invalid({"expires": ["not a date"]}) from None


async def _page(site: Site, visit: Visit, token: str, status: int = 200, **context: Any) -> Response:
    assert visit.user is not None
    user_id = visit.user.id
    _, keys = await run_in_threadpool(accounts.list_api_keys, site.catalog, user_id)
    values: dict[str, Any] = {"created": None, "errors": {}, "name": "", "expires": ""}
    response = visit.page(
        "api_keys.html",
        status=status,
        keys=sorted(keys, key=lambda key: key.created_at, reverse=True),
        now=site.catalog.clock(),
        csrf=signin.csrf_token(site.keys, token),
        **(values | context),
    )
    response.headers["Cache-Control"] = "no-store"  # a new key is on the page once, and only there
    return response


async def list_keys(site: Site, visit: Visit) -> Response:
    token = _signed_in(visit, site)
    if token is None:
        return _to_login()
    handed = visit.request.cookies.get(NEW_KEY_COOKIE)
    if handed is None:
        revoked = await _own_key(site, visit, visit.request.query_params.get("revoked", ""))
        return await _page(site, visit, token, revoked=revoked if revoked and revoked.revoked_at else None)
    key_id, _, secret = handed.partition(".")
    assert visit.user is not None
    _, keys = await run_in_threadpool(accounts.list_api_keys, site.catalog, visit.user.id)
    record = next((key for key in keys if key.id == key_id), None)  # another user's: not shown
    response = await _page(site, visit, token, created=None if record is None else (record, secret))
    response.delete_cookie(
        NEW_KEY_COOKIE, path=PATH, secure=site.keys.secure, httponly=True, samesite="strict"
    )
    return response


async def create_key(site: Site, visit: Visit) -> Response:
    token = _signed_in(visit, site)
    form = await read_form(visit, text_fields=frozenset({"name", "expires"}))  # a NUL: said beside it
    if form is None:
        return refused(visit, 400, "unreadable")
    if token is None:
        return _to_login()
    if not signin.csrf_ok(site.keys, token, form.get(signin.CSRF_FIELD)):
        return refused(visit, 403, "csrf")
    assert visit.user is not None
    typed = {field: str(form.get(field) or "").strip() for field in ("name", "expires")}
    name, expires = typed["name"], typed["expires"]
    try:
        if not name:
            raise Invalid({"name": ["required"]})
        if held := [field for field, value in typed.items() if "\x00" in value]:
            raise Invalid({field: ["nul"] for field in held})
        _, record, secret = await run_in_threadpool(
            accounts.issue_api_key, site.catalog, visit.user.id, name, _expiry(expires)
        )
    except Invalid as invalid:
        # The API's field is expires_at; the form's, expires.
        errors = {
            ("expires" if field == "expires_at" else field): said for field, said in invalid.errors.items()
        }
        return await _page(site, visit, token, 400, errors=errors, **without_nul(typed))
    response = RedirectResponse(PATH, status_code=303)
    response.set_cookie(
        NEW_KEY_COOKIE,
        f"{record.id}.{secret}",
        max_age=NEW_KEY_SECONDS,
        path=PATH,
        secure=site.keys.secure,
        httponly=True,
        samesite="strict",
    )
    return response


async def _own_key(site: Site, visit: Visit, key_id: str) -> ApiKey | None:
    """One of the signed-in user's keys (another user's is not theirs to name)."""
    assert visit.user is not None
    if not key_id:
        return None
    _, keys = await run_in_threadpool(accounts.list_api_keys, site.catalog, visit.user.id)
    return next((key for key in keys if key.id == key_id), None)


async def confirm_revoke(site: Site, visit: Visit) -> Response:
    """What revoking a key means, and the button that does it (it cannot be undone)."""
    token = _signed_in(visit, site)
    if token is None:
        return _to_login()
    key = await _own_key(site, visit, str(visit.request.path_params["key_id"]))
    if key is None or key.revoked_at is not None:
        return visit.page("not_found.html", status=404)
    return visit.page("key_revoke.html", key=key, csrf=signin.csrf_token(site.keys, token))


async def revoke_key(site: Site, visit: Visit) -> Response:
    token = _signed_in(visit, site)
    form = await read_form(visit)
    if form is None:
        return refused(visit, 400, "unreadable")
    if token is None:
        return _to_login()
    if not signin.csrf_ok(site.keys, token, form.get(signin.CSRF_FIELD)):
        return refused(visit, 403, "csrf")
    assert visit.user is not None
    key_id = str(visit.request.path_params["key_id"])
    try:
        await run_in_threadpool(accounts.revoke_api_key, site.catalog, key_id, visit.user.id)
    except NotFound:
        return visit.page("not_found.html", status=404)
    return RedirectResponse(f"{PATH}?revoked={quote(key_id)}", status_code=303)


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "list_keys": list_keys,
        "create_key": create_key,
        "confirm_revoke": confirm_revoke,
        "revoke_key": revoke_key,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
