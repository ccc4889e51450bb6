"""A forgotten password: ``/account/password/reset/`` asks for an address and mails a single-use
link when SMTP is configured (else says to ask an operator); the link's page sets a new password.
The work is done by catalog/password_resets.py; the mail is sent after the answer, so that the
answer takes about as long (one INSERT apart) whether the address is known or not."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from opencat.catalog import password_resets
from opencat.catalog.context import Catalog
from opencat.domain.accounts import PASSWORD_MAX, PASSWORD_MIN
from opencat.domain.errors import Invalid, InvalidCredentials, Problem, TooManyRequests
from opencat.web import signin
from opencat.web.account_pages import read_form, refused
from opencat.web.i18n import translations
from opencat.web.pages import Handler, Site, Visit, guard

FORGOT = "/account/password/reset/"
logger = logging.getLogger("opencat.mail")


def reset_link(site: Site, token: str, language: str) -> str:
    return f"{site.urls.base}{FORGOT}{token}/?lang={language}"


def _mail_text(site: Site, link: str, language: str) -> tuple[str, str]:
    _ = translations(language).gettext
    subject = _("Reset your password")
    body = "\n\n".join(
        [
            _("Someone, probably you, asked to reset the password of your account on %(site)s.")
            % {"site": site.urls.base},
            _("To choose a new password, open this link within an hour:"),
            link,
            _("If you did not ask for it, ignore this mail: your password stays as it is."),
        ]
    )
    return subject, body + "\n"


def _send(catalog: Catalog, mail: password_resets.ResetMail, subject: str, body: str) -> None:
    try:
        password_resets.send_reset(catalog, mail, subject, body)
    except Exception:  # the visitor has their answer already: the operator reads the log
        logger.exception("the password reset mail could not be sent")


def _visitor_page(site: Site, visit: Visit, template: str, status: int = 200, **context: Any) -> Response:
    """A page whose form is sent by a visitor not signed in: CSRF by the signed double submit."""
    nonce, new = signin.visitor_nonce(visit.request)
    csrf = signin.csrf_token(site.keys, nonce)
    response = visit.page(
        template, status=status, csrf=csrf, minimum=PASSWORD_MIN, maximum=PASSWORD_MAX, **context
    )
    if new:
        signin.set_visitor_nonce(response, site.keys, nonce)
    response.headers["Cache-Control"] = "no-store"
    return response


async def forgot_form(site: Site, visit: Visit) -> Response:
    mail = password_resets.can_mail(site.catalog)
    return _visitor_page(site, visit, "password_forgot.html", can_mail=mail, email="", state="form")


async def forgot(site: Site, visit: Visit) -> Response:
    form = await read_form(visit)
    if form is None:
        return refused(visit, 400, "unreadable")
    if not signin.csrf_ok(
        site.keys, visit.request.cookies.get(signin.CSRF_COOKIE), form.get(signin.CSRF_FIELD)
    ):
        return refused(visit, 403, "csrf")
    email = str(form.get("email") or "").strip()[:320]
    can_mail = password_resets.can_mail(site.catalog)
    if not can_mail:
        return _visitor_page(site, visit, "password_forgot.html", can_mail=False, email="", state="form")
    address = signin.client_address(visit.request, site.keys)
    try:
        mail = await run_in_threadpool(password_resets.request_reset, site.catalog, email, address)
    except TooManyRequests as throttled:
        response = _visitor_page(
            site, visit, "password_forgot.html", 429, can_mail=True, email=email, state="throttled"
        )
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    response = _visitor_page(site, visit, "password_forgot.html", can_mail=True, email=email, state="sent")
    if mail is not None:
        subject, body = _mail_text(site, reset_link(site, mail.token, visit.language), visit.language)
        response.background = BackgroundTask(_send, site.catalog, mail, subject, body)
    return response


def _token(visit: Visit) -> str:
    return str(visit.request.path_params["token"])[:128]


async def reset_form(site: Site, visit: Visit) -> Response:
    valid = await run_in_threadpool(password_resets.reset_is_valid, site.catalog, _token(visit))
    state = "form" if valid else "invalid"
    return _visitor_page(site, visit, "password_reset.html", 200 if valid else 404, state=state, errors={})


async def reset(site: Site, visit: Visit) -> Response:
    form = await read_form(visit)
    if form is None:
        return refused(visit, 400, "unreadable")
    if not signin.csrf_ok(
        site.keys, visit.request.cookies.get(signin.CSRF_COOKIE), form.get(signin.CSRF_FIELD)
    ):
        return refused(visit, 403, "csrf")
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    if password != again:
        errors = {"password_again": ["mismatch"]}
        return _visitor_page(site, visit, "password_reset.html", 400, state="form", errors=errors)
    try:
        await run_in_threadpool(password_resets.reset_password, site.catalog, _token(visit), password)
    except Invalid as invalid:
        found = invalid.errors.get("password", [])
        errors = {"password": [str(item.reason) for item in found if isinstance(item, Problem)]}
        return _visitor_page(site, visit, "password_reset.html", 400, state="form", errors=errors)
    except InvalidCredentials:
        return _visitor_page(site, visit, "password_reset.html", 404, state="invalid", errors={})
    return _visitor_page(site, visit, "password_reset.html", state="done", errors={})


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "forgot_form": forgot_form,
        "forgot": forgot,
        "reset_form": reset_form,
        "reset": reset,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
