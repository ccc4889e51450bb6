"""Signing in and out: ``/login`` and ``/logout``, forms with CSRF tokens (web/signin.py), the
work done by the catalog's session use cases (catalog/sessions.py)."""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import RedirectResponse, Response

from opencat.catalog import sessions
from opencat.domain.errors import InvalidCredentials, TooManyRequests
from opencat.domain.numerals import is_digits
from opencat.web import signin
from opencat.web.pages import Handler, Site, Visit, guard, holds_nul

# A sign-in or sign-out form is a few hundred bytes; anything much larger is not ours.
MAX_FORM_BYTES = 16 * 1024
# A file's or a proposal's form carries a description of up to 100,000 characters (udata's bound),
# up to six bytes each once form-encoded.
DESCRIBED_FORM_BYTES = 640 * 1024


def safe_next(value: str | None) -> str:
    """Where to go once signed in: a path of this site only (never ``//host`` or a scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def read_form(
    visit: Visit,
    max_bytes: int = MAX_FORM_BYTES,
    max_fields: int = 10,
    text_fields: frozenset[str] = frozenset(),
) -> FormData | None:
    """The page's form, or None when it cannot be one of ours (too big, too many fields, a file,
    NUL but in ``text_fields``, whose caller says it beside the field): the caller answers its
    "form refused" page (Starlette's own refusal was JSON)."""
    declared = visit.request.headers.get("content-length")
    if declared is None or not is_digits(declared) or int(declared) > max_bytes:
        return None
    try:
        if not _utf8_when_encoded(visit, await visit.request.body()):
            return None
        form = await visit.request.form(max_files=0, max_fields=max_fields)
    except HTTPException:  # python-multipart's refusals, as Starlette raises them
        return None
    except ClientDisconnect:  # the visitor went away mid-form: no page for nobody, and no 500
        return None
    others = [(name, value) for name, value in form.multi_items() if name not in text_fields]
    return None if holds_nul(others) or any("\x00" in name for name in form) else form


def _utf8_when_encoded(visit: Visit, body: bytes) -> bool:
    """Whether an urlencoded body's names and values are UTF-8, as every page's form sends them:
    Starlette reads a byte that is not as U+FFFD, and a title of ``%FF%FE`` was saved as "��"
    (other forms refused it as a bad address or key). Other bodies are the parser's to refuse."""
    kind = visit.request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return True
    try:
        for pair in body.split(b"&"):
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def refused(visit: Visit, status: int, problem: str) -> Response:
    """A form that cannot be taken: no or a wrong CSRF token (403), an unreadable body (400)."""
    return visit.page("form_refused.html", status=status, problem=problem)


def _login_page(site: Site, visit: Visit, status: int = 200, **context: Any) -> Response:
    nonce, new = signin.visitor_nonce(visit.request)
    values = {"email": "", "error": None, "next": safe_next(visit.request.query_params.get("next"))}
    response = visit.page(
        "login.html", status=status, csrf=signin.csrf_token(site.keys, nonce), **(values | context)
    )
    if new:
        signin.set_visitor_nonce(response, site.keys, nonce)
    return response


async def login_form(site: Site, visit: Visit) -> Response:
    return _login_page(site, visit)


async def login(site: Site, visit: Visit) -> Response:
    form = await read_form(visit)
    if form is None:
        return refused(visit, 400, "unreadable")
    if not signin.csrf_ok(
        site.keys, visit.request.cookies.get(signin.CSRF_COOKIE), form.get(signin.CSRF_FIELD)
    ):
        return refused(visit, 403, "csrf")
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""))
    address = signin.client_address(visit.request, site.keys)
    try:
        signed_in = await run_in_threadpool(sessions.sign_in, site.catalog, email, password, address)
    except InvalidCredentials:
        return _login_page(site, visit, 400, email=email, error="credentials", next=target)
    except TooManyRequests as throttled:
        response = _login_page(site, visit, 429, email=email, error="throttled", next=target)
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    response = RedirectResponse(target, status_code=303)
    signin.set_session(response, site.keys, signed_in.token)
    return response


async def logout_form(site: Site, visit: Visit) -> Response:
    token = signin.session_token(visit.request, site.keys)
    if token is None or visit.user is None:
        return RedirectResponse("/login", status_code=303)
    return visit.page("logout.html", csrf=signin.csrf_token(site.keys, token))


async def logout(site: Site, visit: Visit) -> Response:
    token = signin.session_token(visit.request, site.keys)
    form = await read_form(visit)
    if form is None:
        return refused(visit, 400, "unreadable")
    if token is None:  # nothing to sign out of (expired, or signed out elsewhere)
        response = RedirectResponse("/", status_code=303)
        signin.clear_session(response, site.keys)
        return response
    if not signin.csrf_ok(site.keys, token, form.get(signin.CSRF_FIELD)):
        return refused(visit, 403, "csrf")
    everywhere = form.get("everywhere") == "1"
    await run_in_threadpool(sessions.sign_out, site.catalog, token, everywhere)
    response = RedirectResponse("/", status_code=303)
    signin.clear_session(response, site.keys)
    return response


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "login_form": login_form,
        "login": login,
        "logout_form": logout_form,
        "logout": logout,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
