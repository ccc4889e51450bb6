"""Sysadmins' pages: ``/admin/users/`` (find users, make or unmake sysadmins, deactivate or
reactivate them: catalog/administration.py) and a dataset's curation, ``/datasets/{slug}/curation/``
(featured on the home page, badges: the API's use cases, catalog/curation.py) and an organization's
badges, ``/organizations/{slug}/curation/``. Others get 403."""

from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencat.catalog import administration
from opencat.catalog import curation as use_cases
from opencat.catalog import datasets as catalog_datasets
from opencat.domain.datasets import BADGE_KINDS
from opencat.domain.errors import Conflict, Invalid, NotFound, PermissionDenied
from opencat.web import i18n, signin
from opencat.web.account_pages import read_form, refused
from opencat.web.pages import Handler, Site, Visit, guard
from opencat.web.publish_pages import to_login

USERS = "/admin/users/"


def _token(site: Site, visit: Visit) -> str | None:
    token = signin.session_token(visit.request, site.keys)
    return token if token is not None and visit.user is not None else None


def _forbidden(visit: Visit) -> Response:
    return visit.page("forbidden.html", status=403, reason="sysadmin")


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def _checked(site: Site, visit: Visit) -> dict[str, str] | Response:
    """The form's fields, or the answer refusing it (unreadable, signed out, no CSRF token, not a sysadmin)."""
    token = _token(site, visit)
    form = await read_form(visit)
    if form is None:
        return refused(visit, 400, "unreadable")
    if token is None:
        return to_login(visit.request.url.path)
    if not signin.csrf_ok(site.keys, token, form.get(signin.CSRF_FIELD)):
        return refused(visit, 403, "csrf")
    if not visit.actor.is_sysadmin:
        return _forbidden(visit)
    return {key: str(value) for key, value in form.items()}


async def users(site: Site, visit: Visit) -> Response:
    token = _token(site, visit)
    if token is None:
        return to_login(USERS)
    text = visit.request.query_params.get("q", "")
    try:
        found = await run_in_threadpool(administration.find_users, site.catalog, visit.actor, text)
    except PermissionDenied:
        return _forbidden(visit)
    problem = visit.request.query_params.get("problem")
    page = visit.page(
        "admin_users.html",
        users=found,
        q=text,
        csrf=signin.csrf_token(site.keys, token),
        shown=administration.USERS_SHOWN,
        problem=problem if problem == "self" else None,
    )
    return _private(page)


async def confirm_deactivation(site: Site, visit: Visit) -> Response:
    """What deactivating someone does, asked before it is done (the list's button did it at once:
    one slip signed a colleague out of everything)."""
    token = _token(site, visit)
    if token is None:
        return to_login(USERS)
    user_id = str(visit.request.path_params["user_id"])
    try:
        user = await run_in_threadpool(administration.get_user, site.catalog, visit.actor, user_id)
    except PermissionDenied:
        return _forbidden(visit)
    except NotFound:
        return _back_to_users(visit.request.query_params.get("q", ""))
    if user.id == visit.actor.user_id or user.deleted is not None or not user.active:
        # What the list offers no "Deactivate" for: one's own account, a deleted or inactive one.
        return _back_to_users(visit.request.query_params.get("q", ""))
    page = visit.page(
        "user_deactivate.html",
        user=user,
        q=visit.request.query_params.get("q", ""),
        csrf=signin.csrf_token(site.keys, token),
    )
    return _private(page)


def _back_to_users(query: str, **extra: str) -> Response:
    params = {key: value for key, value in {"q": query, **extra}.items() if value}
    return RedirectResponse(USERS + (f"?{urlencode(params)}" if params else ""), status_code=303)


def _user_change(change: Callable[..., Any]) -> Callable[[Site, Visit], Awaitable[Response]]:
    async def handler(site: Site, visit: Visit) -> Response:
        form = await _checked(site, visit)
        if isinstance(form, Response):
            return form
        user_id, value = str(visit.request.path_params["user_id"]), form.get("value")
        if value not in ("0", "1"):
            return refused(visit, 400, "unreadable")
        try:
            await run_in_threadpool(change, site.catalog, visit.actor, user_id, value == "1")
        except Conflict:
            return _back_to_users(form.get("q", ""), problem="self")
        return _back_to_users(form.get("q", ""))

    return handler


async def curation_page(site: Site, visit: Visit, status: int = 200, **context: Any) -> Response:
    token = _token(site, visit)
    slug = str(visit.request.path_params["slug"])
    if token is None:
        return to_login(f"/datasets/{quote(slug)}/curation/")
    if not visit.actor.is_sysadmin:
        return _forbidden(visit)
    view = await run_in_threadpool(catalog_datasets.get_dataset, site.catalog, visit.actor, slug)
    shown = {badge.kind for badge in view.dataset.badges}
    kinds = [(kind, i18n.badge_label(kind, visit.language)) for kind in BADGE_KINDS]
    page = visit.page(
        "curation.html",
        status=status,
        view=view,
        badges=[(badge, i18n.badge_label(badge.kind, visit.language)) for badge in view.dataset.badges],
        addable=[(kind, label) for kind, label in kinds if kind not in shown],
        csrf=signin.csrf_token(site.keys, token),
        **context,
    )
    return _private(page)


async def curation(site: Site, visit: Visit) -> Response:
    return await curation_page(site, visit)


def _to_curation(visit: Visit) -> Response:
    return RedirectResponse(
        f"/datasets/{quote(str(visit.request.path_params['slug']))}/curation/", status_code=303
    )


async def feature(site: Site, visit: Visit) -> Response:
    form = await _checked(site, visit)
    if isinstance(form, Response):
        return form
    if form.get("value") not in ("0", "1"):
        return refused(visit, 400, "unreadable")
    slug = str(visit.request.path_params["slug"])
    await run_in_threadpool(use_cases.set_featured, site.catalog, visit.actor, slug, form["value"] == "1")
    return _to_curation(visit)


async def add_badge(site: Site, visit: Visit) -> Response:
    form = await _checked(site, visit)
    if isinstance(form, Response):
        return form
    slug = str(visit.request.path_params["slug"])
    try:
        await run_in_threadpool(use_cases.add_badge, site.catalog, visit.actor, slug, form.get("kind", ""))
    except Invalid:
        return await curation_page(site, visit, 400, error="kind")
    return _to_curation(visit)


async def remove_badge(site: Site, visit: Visit) -> Response:
    form = await _checked(site, visit)
    if isinstance(form, Response):
        return form
    slug, kind = str(visit.request.path_params["slug"]), str(visit.request.path_params["kind"])
    with suppress(NotFound):  # already gone: the page shows what is left
        await run_in_threadpool(use_cases.remove_badge, site.catalog, visit.actor, slug, kind)
    return _to_curation(visit)


# udata's organization badges, named in the pages' language (the template translates them).
ORGANIZATION_BADGES = ("public-service", "certified", "association", "company", "local-authority")


async def organization_curation(site: Site, visit: Visit, status: int = 200, **context: Any) -> Response:
    token = _token(site, visit)
    slug = str(visit.request.path_params["slug"])
    if token is None:
        return to_login(f"/organizations/{quote(slug)}/curation/")
    try:
        organization = await run_in_threadpool(
            administration.get_organization, site.catalog, visit.actor, slug
        )
    except PermissionDenied:
        return _forbidden(visit)
    page = visit.page(
        "organization_curation.html",
        status=status,
        organization=organization,
        addable=[kind for kind in ORGANIZATION_BADGES if kind not in organization.badges],
        csrf=signin.csrf_token(site.keys, token),
        **context,
    )
    return _private(page)


async def organization_curation_page(site: Site, visit: Visit) -> Response:
    return await organization_curation(site, visit)


def _to_organization_curation(visit: Visit) -> Response:
    slug = quote(str(visit.request.path_params["slug"]))
    return RedirectResponse(f"/organizations/{slug}/curation/", status_code=303)


async def add_organization_badge(site: Site, visit: Visit) -> Response:
    form = await _checked(site, visit)
    if isinstance(form, Response):
        return form
    slug = str(visit.request.path_params["slug"])
    try:
        await run_in_threadpool(
            administration.add_organization_badge, site.catalog, visit.actor, slug, form.get("kind", "")
        )
    except Invalid:
        return await organization_curation(site, visit, 400, error="kind")
    return _to_organization_curation(visit)


async def remove_organization_badge(site: Site, visit: Visit) -> Response:
    form = await _checked(site, visit)
    if isinstance(form, Response):
        return form
    slug, kind = str(visit.request.path_params["slug"]), str(visit.request.path_params["kind"])
    await run_in_threadpool(administration.remove_organization_badge, site.catalog, visit.actor, slug, kind)
    return _to_organization_curation(visit)


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "users": users,
        "set_sysadmin": _user_change(administration.set_sysadmin),
        "set_active": _user_change(administration.set_active),
        "confirm_deactivation": confirm_deactivation,
        "curation": curation,
        "feature": feature,
        "add_badge": add_badge,
        "remove_badge": remove_badge,
        "organization_curation": organization_curation_page,
        "add_organization_badge": add_organization_badge,
        "remove_organization_badge": remove_organization_badge,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
