"""An organization's members, for its admins: ``/organizations/{slug}/members/`` lists them, adds
a user (by email) with a role, changes a member's role, removes a member. The rules and the
history are the catalog's (catalog/members.py); others get a 403 page."""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencat.catalog import members
from opencat.domain.errors import Conflict, Invalid, NotFound, PermissionDenied, Reason
from opencat.web import signin
from opencat.web.account_pages import read_form, refused
from opencat.web.pages import Handler, Site, Visit, guard
from opencat.web.publish_pages import to_login


def _path(visit: Visit) -> str:
    return f"/organizations/{quote(str(visit.request.path_params['slug']))}/members/"


def _token(site: Site, visit: Visit) -> str | None:
    token = signin.session_token(visit.request, site.keys)
    return token if token is not None and visit.user is not None else None


async def _page(site: Site, visit: Visit, token: str, status: int = 200, **context: Any) -> Response:
    slug = str(visit.request.path_params["slug"])
    try:
        organization, found = await run_in_threadpool(members.list_members, site.catalog, visit.actor, slug)
    except PermissionDenied:
        return visit.page("forbidden.html", status=403, reason="members")
    values: dict[str, Any] = {"errors": {}, "email": "", "role": "editor", "problem": None}
    response = visit.page(
        "members.html",
        status=status,
        organization=organization,
        members=found,
        roles=members.PAGE_ROLES,
        csrf=signin.csrf_token(site.keys, token),
        **(values | context),
    )
    response.headers["Cache-Control"] = "private, no-store"  # members' emails are listed
    return response


async def list_members(site: Site, visit: Visit) -> Response:
    token = _token(site, visit)
    if token is None:
        return to_login(_path(visit))
    return await _page(site, visit, token)


async def _checked(site: Site, visit: Visit) -> tuple[str, dict[str, str]] | Response:
    token = _token(site, visit)
    form = await read_form(visit, text_fields=frozenset({"user"}))  # a NUL there: said beside it
    if form is None:
        return refused(visit, 400, "unreadable")
    if token is None:
        return to_login(_path(visit))
    if not signin.csrf_ok(site.keys, token, form.get(signin.CSRF_FIELD)):
        return refused(visit, 403, "csrf")
    return token, {key: str(value) for key, value in form.items()}


async def set_role(site: Site, visit: Visit) -> Response:
    checked = await _checked(site, visit)
    if isinstance(checked, Response):
        return checked
    token, form = checked
    slug = str(visit.request.path_params["slug"])
    user, role = form.get("user", "").strip()[:320], form.get("role", "")
    adding = form.get("adding") == "1"  # the "Add a member" form, not a member's role in the list
    if "\x00" in user:
        return await _page(site, visit, token, 400, errors={"user": "nul"}, email="", role=role)
    try:
        member = await run_in_threadpool(
            members.set_role, site.catalog, visit.actor, slug, user, role, adding
        )
    except PermissionDenied:
        return visit.page("forbidden.html", status=403, reason="members")
    except Invalid as invalid:
        already = any(
            getattr(found, "reason", None) == Reason.ALREADY_MEMBER
            for found in invalid.errors.get("user", [])
        )
        errors = {
            name: ("already" if name == "user" and already else True) for name in sorted(invalid.errors)
        }
        return await _page(site, visit, token, 400, errors=errors, email=user, role=role)
    except Conflict:
        return await _page(site, visit, token, 409, problem="last_admin")
    stepped_down = visit.user is not None and member.user.id == visit.user.id and role != "admin"
    if stepped_down and not visit.actor.is_sysadmin:
        # No longer an admin here: the members' page is not theirs to see any more.
        return RedirectResponse(f"/organizations/{quote(slug)}/", status_code=303)
    return RedirectResponse(_path(visit), status_code=303)


async def remove(site: Site, visit: Visit) -> Response:
    checked = await _checked(site, visit)
    if isinstance(checked, Response):
        return checked
    token, _ = checked
    slug, user_id = str(visit.request.path_params["slug"]), str(visit.request.path_params["user_id"])
    try:
        await run_in_threadpool(members.remove_member, site.catalog, visit.actor, slug, user_id)
    except PermissionDenied:
        return visit.page("forbidden.html", status=403, reason="members")
    except Conflict:
        return await _page(site, visit, token, 409, problem="last_admin")
    except NotFound:
        return RedirectResponse(_path(visit), status_code=303)  # not (or no longer) a member
    return RedirectResponse(_path(visit), status_code=303)


async def confirm_removal(site: Site, visit: Visit) -> Response:
    """What removing a member does, asked before it is done (the list's button did it at once)."""
    token = _token(site, visit)
    if token is None:
        return to_login(_path(visit))
    slug, user_id = str(visit.request.path_params["slug"]), str(visit.request.path_params["user_id"])
    try:
        organization, found = await run_in_threadpool(members.list_members, site.catalog, visit.actor, slug)
    except PermissionDenied:
        return visit.page("forbidden.html", status=403, reason="members")
    member = next((item for item in found if item.user.id == user_id), None)
    if member is None:
        return RedirectResponse(_path(visit), status_code=303)  # not (or no longer) a member
    response = visit.page(
        "member_remove.html",
        organization=organization,
        member=member,
        csrf=signin.csrf_token(site.keys, token),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "list_members": list_members,
        "set_role": set_role,
        "remove": remove,
        "confirm_removal": confirm_removal,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
