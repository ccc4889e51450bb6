"""Maintaining a dataset's files from the browser: edit one (``/datasets/{slug}/resources/{rid}/edit/``:
its title, description, kind and format, the address of a link, or a new file for an uploaded one)
and put them in order (``/datasets/{slug}/resources/order/``).

The order form takes either one file and its new place (the move up and down buttons, which work
without JavaScript), or the whole new order (``static/upload.js`` after a drag and drop, with the
CSRF token in a header, answered in JSON). Both become the API's reorder (``catalog/resources``):
a list that no longer names exactly the dataset's files is refused, so a move made on a page that
another editor has since changed cannot lose a file.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from opencat.api.errors import error_answer, json_response
from opencat.api.inputs import parse_resource
from opencat.catalog import resources as catalog_resources
from opencat.catalog.views import DatasetView
from opencat.domain.changes import Reorder, Submitted
from opencat.domain.datasets import Resource
from opencat.domain.errors import CatalogError, Invalid
from opencat.web import i18n, signin
from opencat.web.account_pages import read_form, refused
from opencat.web.pages import Handler, Site, Visit, guard
from opencat.web.resource_forms import RESOURCE_TYPES, editable_view, field_errors_of, resource_of
from opencat.web.resource_forms import open_editable as _open
from opencat.web.upload_pages import CSRF_HEADER, files_page

EDITED = ("title", "type", "format", "description")
# The order of a dataset's files: one id per file, in a form of at most this many.
MAX_FILES = 10_000
MAX_ORDER_BYTES = MAX_FILES * 64


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
        "types": RESOURCE_TYPES,
        "upload_action": f"/datasets/{view.dataset.id}/resources/{resource.id}/upload/",
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
    form = await read_form(visit)
    if form is None:
        return refused(visit, 400, "unreadable")
    opened = await _open(site, visit, form)
    if isinstance(opened, Response):
        return opened
    token, view = opened
    resource = resource_of(view, str(visit.request.path_params["rid"]))
    values = {name: str(form.get(name) or "").strip() for name in (*EDITED, "url")}
    body: dict[str, Any] = {name: values[name] for name in EDITED}
    if resource.filetype == "remote":  # a hosted file's address is the server's
        body["url"] = values["url"]
    submitted = Submitted.parse(lambda: parse_resource(body, site.catalog.files.public_url))
    try:
        await run_in_threadpool(
            catalog_resources.update_resource,
            site.catalog,
            visit.actor,
            view.dataset.id,
            resource.id,
            submitted,
        )
    except Invalid as invalid:
        shown = field_errors_of(invalid, i18n.translations(visit.language).gettext)
        return _edit_page(site, visit, token, view, resource, 400, values=values, errors=shown)
    return RedirectResponse(
        f"/datasets/{view.dataset.slug}/resources/#resource-{resource.id}", status_code=303
    )


async def _order_form(visit: Visit) -> FormData | None:
    declared = visit.request.headers.get("content-length")
    if declared is None or not declared.isdigit() or int(declared) > MAX_ORDER_BYTES:
        return None
    return await visit.request.form(max_files=0, max_fields=MAX_FILES + 4)


def _moved(ids: list[str], resource_id: str, place: str) -> list[str]:
    """The order with one file moved to ``place`` (0 is first), clamped to the list's ends."""
    if resource_id not in ids or not place.lstrip("-").isdigit():
        return ids  # refused by the reorder itself when the id is unknown
    rest = [item for item in ids if item != resource_id]
    position = min(max(int(place), 0), len(rest))
    return [*rest[:position], resource_id, *rest[position:]]


async def reorder(site: Site, visit: Visit) -> Response:
    """A move (``resource`` and ``place``: the buttons) or the whole ``order`` (the script)."""
    scripted = CSRF_HEADER in visit.request.headers
    token = signin.session_token(visit.request, site.keys)
    if scripted and (
        token is None or not signin.csrf_ok(site.keys, token, visit.request.headers[CSRF_HEADER])
    ):
        return json_response({"message": "Invalid CSRF token."}, 403)
    form = await _order_form(visit)
    if form is None:
        return refused(visit, 400, "unreadable")
    opened = await _open(site, visit, None if scripted else form)
    if isinstance(opened, Response):
        return json_response({"message": "Not allowed."}, 403) if scripted else opened
    token, view = opened
    current = [resource.id for resource in view.resources]
    moving = str(form.get("resource") or "")
    wanted = [str(item) for item in form.getlist("order")] or _moved(
        current, moving, str(form.get("place") or "")
    )
    submitted = Submitted.of(Reorder(tuple(wanted), Submitted.of({})))
    try:
        await run_in_threadpool(
            catalog_resources.reorder_resources, site.catalog, visit.actor, view.dataset.id, submitted
        )
    except CatalogError as error:
        status, body = error_answer(error, site.urls.base)
        if scripted:
            return json_response(body, status)
        # The files changed since the page was opened: show them as they are now.
        return files_page(site, visit, token, await editable_view(site, visit), 409, order_refused=True)
    if scripted:
        return json_response({"success": True, "order": wanted}, 200)
    return RedirectResponse(f"/datasets/{view.dataset.slug}/resources/#resource-{moving}", status_code=303)


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "edit_form": edit_form,
        "update": update,
        "reorder": reorder,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
