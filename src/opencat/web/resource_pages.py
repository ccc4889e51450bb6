"""Maintaining a dataset's files from the browser: edit one (``/datasets/{slug}/resources/{rid}/edit/``:
its title, description, kind and format, the address of a link, or a new file for an uploaded one)
and put them in order (``/datasets/{slug}/resources/order/``).

The order form moves one file to a new place (0 is first): the move up and down buttons send it
without JavaScript, ``static/upload.js`` after a drag and drop (with the CSRF token in a header,
answered in JSON). The new order becomes the API's reorder (``catalog/resources``), which refuses a
list that no longer names exactly the dataset's files: a move never loses or resurrects a file.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencat.api.errors import json_response
from opencat.api.inputs import parse_resource
from opencat.catalog import resources as catalog_resources
from opencat.catalog.views import DatasetView
from opencat.domain.changes import Reorder, Submitted
from opencat.domain.datasets import Resource
from opencat.domain.errors import BadRequest, Conflict, Invalid, PreconditionFailed
from opencat.domain.numerals import is_digits
from opencat.web import i18n, signin
from opencat.web.account_pages import DESCRIBED_FORM_BYTES, read_form, refused
from opencat.web.pages import (
    Handler,
    Site,
    Visit,
    form_text,
    guard,
    nul_refusals,
    unless_unchanged,
    untouched_blanks_left_out,
    without_nul,
)
from opencat.web.resource_forms import (
    RESOURCE_TYPES,
    editable_view,
    field_errors_of,
    open_editable_form,
    resource_of,
)
from opencat.web.resource_forms import open_editable as _open
from opencat.web.upload_pages import BAD_CSRF, CSRF_HEADER, files_location, files_page, script_refusal

EDITED = ("title", "type", "format", "description")


def _values(resource: Resource) -> dict[str, str]:
    return {
        "title": resource.title,
        "type": resource.type,
        "format": resource.format or "",
        "description": resource.description or "",
        "url": resource.url,
    }


def _edit_page(
    site: Site,
    visit: Visit,
    token: str,
    view: DatasetView,
    resource: Resource,
    status: int = 200,
    **more: Any,
) -> Response:
    context: dict[str, Any] = {
        "resource": resource,
        "values": _values(resource),
        "errors": {},
        "revision": str(view.dataset.revision),
        "stale": False,
        "types": RESOURCE_TYPES,
        "upload_action": f"/datasets/{view.dataset.id}/resources/{resource.id}/upload/",
        "done_url": files_location(view.dataset.slug, [r.id for r in view.resources], resource.id),
        "upload_button": i18n.translations(visit.language).gettext("Upload the new file"),
        "upload_hint": i18n.translations(visit.language).gettext(
            "Large files are sent in parts: you can pause, and resume after a lost connection or a reload."
            " The new file replaces the current one once it has arrived whole."
        ),
    }
    return files_page(site, visit, token, view, status, template="resource_edit.html", **(context | more))


async def edit_form(site: Site, visit: Visit) -> Response:
    opened = await _open(site, visit)
    if isinstance(opened, Response):
        return opened
    token, view = opened
    return _edit_page(site, visit, token, view, resource_of(view, str(visit.request.path_params["rid"])))


async def update(site: Site, visit: Visit) -> Response:
    opened = await open_editable_form(site, visit)
    if isinstance(opened, Response):
        return opened
    token, view, form = opened
    resource = resource_of(view, str(visit.request.path_params["rid"]))
    # The dataset's revision the form was shown at: a change saved since (the same file edited
    # in another tab) refuses this one instead of being overwritten by it.
    revision = str(form.get("revision") or "")
    if not is_digits(revision):
        return refused(visit, 400, "unreadable")
    values = {name: form_text(form, name).strip() for name in (*EDITED, "url")}
    if held := nul_refusals(values, i18n.translations(visit.language).gettext):
        return _edit_page(
            site,
            visit,
            token,
            view,
            resource,
            400,
            values=without_nul(values),
            errors=held,
            revision=revision,
        )
    values["description"] = unless_unchanged(values["description"], resource.description)
    body: dict[str, Any] = untouched_blanks_left_out(values, EDITED, _values(resource))
    if resource.filetype == "remote":  # a hosted file's address is the server's
        body["url"] = values["url"]
    submitted = Submitted.parse(lambda: parse_resource(body, site.catalog.files.public_url, creating=False))
    try:
        await run_in_threadpool(
            catalog_resources.update_resource,
            site.catalog,
            visit.actor,
            view.dataset.id,
            resource.id,
            submitted,
            frozenset({(view.dataset.id, int(revision))}),
        )
    except PreconditionFailed:
        # What this visitor typed is kept, now based on the current revision: sending it again
        # is a deliberate choice.
        current = await editable_view(site, visit)
        shown_now = resource_of(current, resource.id)
        return _edit_page(site, visit, token, current, shown_now, 409, values=values, stale=True)
    except Invalid as invalid:
        shown = field_errors_of(invalid, i18n.translations(visit.language).gettext)
        return _edit_page(
            site, visit, token, view, resource, 400, values=values, errors=shown, revision=revision
        )
    return RedirectResponse(
        files_location(view.dataset.slug, [r.id for r in view.resources], resource.id), 303
    )


def _moved(ids: list[str], resource_id: str, place: int) -> list[str]:
    """The order with one file moved to ``place`` (0 is first), clamped to the list's end."""
    rest = [item for item in ids if item != resource_id]
    position = min(place, len(rest))
    return [*rest[:position], resource_id, *rest[position:]]


async def reorder(site: Site, visit: Visit) -> Response:
    """Move one file (``resource``) to a new ``place`` (0 is first): the buttons, or the script
    after a drop (the CSRF token in a header, a JSON answer)."""
    scripted = CSRF_HEADER in visit.request.headers
    token = signin.session_token(visit.request, site.keys)
    if scripted and (
        token is None or not signin.csrf_ok(site.keys, token, visit.request.headers[CSRF_HEADER])
    ):
        return script_refusal(visit, BAD_CSRF, 403)
    form = await read_form(visit, DESCRIBED_FORM_BYTES)
    if form is None:
        return refused(visit, 400, "unreadable")
    opened = await _open(site, visit, None if scripted else form)
    if isinstance(opened, Response):
        return json_response({"message": "Not allowed."}, 403) if scripted else opened
    token, view = opened
    current = [resource.id for resource in view.resources]
    moving, place = str(form.get("resource") or ""), str(form.get("place") or "")
    if not is_digits(place):  # no page sends another place: a malformed request, not a conflict
        if scripted:
            return json_response({"message": "place must be a whole number, 0 for first."}, 400)
        return refused(visit, 400, "unreadable")
    # The page sends the dataset's revision it showed: any change since (another move, a file
    # added or removed) would make this place mean something else. Checked again in the write.
    shown = str(form.get("revision") or "")
    expected = frozenset({(view.dataset.id, int(shown))}) if is_digits(shown) else None
    stale = expected is not None and (view.dataset.id, view.dataset.revision) not in expected
    wanted = _moved(current, moving, int(place)) if moving in current and not stale else None
    try:
        if wanted is None:  # the files changed meanwhile: nothing moves
            raise Conflict()
        submitted = Submitted.of(Reorder(tuple(wanted), Submitted.of({})))
        await run_in_threadpool(
            catalog_resources.reorder_resources,
            site.catalog,
            visit.actor,
            view.dataset.id,
            submitted,
            expected,
        )
    except (Conflict, BadRequest, PreconditionFailed):
        if scripted:
            return json_response({"message": "The files changed since the page was opened."}, 409)
        return files_page(site, visit, token, await editable_view(site, visit), 409, order_refused=True)
    location = files_location(view.dataset.slug, wanted, moving)
    if scripted:
        return json_response({"success": True, "location": location}, 200)
    return RedirectResponse(location, status_code=303)


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "edit_form": edit_form,
        "update": update,
        "reorder": reorder,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
