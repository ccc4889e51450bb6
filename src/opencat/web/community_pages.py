"""Community resources from the browser: any signed-in user who can see a dataset proposes a link or
a file on it (``/datasets/{slug}/community/new/``); those who may edit a community resource (the API's
rule: its proposer, its organization's editors and admins, sysadmins) change or delete it
(``/datasets/{slug}/community/{cid}/edit/`` and ``.../delete/``).

As the resource forms do, the fields become the API's body (``api/inputs.parse_community``) and
the API's use cases apply it (``catalog/community``); a file goes through the upload route of
``web/upload_pages`` to the API's community upload target.
"""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from opencat.api.inputs import parse_community
from opencat.catalog import community as catalog_community
from opencat.catalog import datasets as catalog_datasets
from opencat.catalog import uploads as catalog_uploads
from opencat.catalog.community import CommunityView, version_of
from opencat.catalog.views import DatasetView
from opencat.domain.changes import Submitted
from opencat.domain.community import can_edit_community, can_remove_community
from opencat.domain.datasets import Resource
from opencat.domain.errors import Gone, Invalid, Moved, NotFound, PreconditionFailed, Reason
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
from opencat.web.publish_pages import to_login
from opencat.web.resource_forms import FIELDS, FORM_TEXT, field_errors_of, signed_in_token
from opencat.web.upload_pages import files_page, receive_upload


async def _opened(
    site: Site, visit: Visit, form: FormData | None = None, live_only: bool = True
) -> tuple[str, DatasetView] | Response:
    """The session's token and the dataset (any the user may see), or the answer that refuses them.
    Nothing is proposed or changed on a deleted dataset (``live_only``); a proposal on it may
    still be removed, as the API allows."""
    token = signed_in_token(site, visit)
    if token is None:
        return to_login(visit.request.url.path)
    if form is not None and not signin.csrf_ok(site.keys, token, form.get(signin.CSRF_FIELD)):
        return refused(visit, 403, "csrf")
    slug = str(visit.request.path_params["slug"])
    try:
        view = await run_in_threadpool(
            catalog_datasets.get_dataset, site.catalog, visit.actor, slug, with_community=True
        )
    except Moved as moved:
        rest = visit.request.url.path.split("/", 3)[3]  # after /datasets/{slug}/
        return RedirectResponse(f"/datasets/{quote(moved.location_ident)}/{rest}", status_code=308)
    if live_only and view.dataset.deleted is not None:  # its editors still read it
        raise Gone(Reason.DATASET_DELETED)
    return token, view


async def _allowed(
    site: Site,
    visit: Visit,
    may: Callable[[CommunityView, DatasetView], bool],
    form: FormData | None = None,
    live_only: bool = True,
) -> tuple[str, DatasetView, CommunityView] | Response:
    """The session's token, the dataset and the path's community resource when ``may`` allows
    this visitor to act on it; else the answer that refuses them (sign-in, CSRF, 404, 403)."""
    opened = await _opened(site, visit, form, live_only)
    if isinstance(opened, Response):
        return opened
    token, view = opened
    found = _item(visit, view)
    if not may(found, view):
        return visit.page("forbidden.html", status=403)
    return token, view, found


def _editor(visit: Visit) -> Callable[[CommunityView, DatasetView], bool]:
    return lambda found, _view: can_edit_community(visit.actor, found.item)


def _reviewer(visit: Visit) -> Callable[[CommunityView, DatasetView], bool]:
    return lambda found, view: can_remove_community(visit.actor, found.item, view.dataset)


def _item(visit: Visit, view: DatasetView) -> CommunityView:
    """The dataset's community resource of the path, which the user may edit (else 404 or 403)."""
    wanted = str(visit.request.path_params["cid"])
    for found in view.community_resources:
        if found.item.id == wanted:
            return found
    raise NotFound()


def _form_page(
    site: Site, visit: Visit, token: str, view: DatasetView, status: int = 200, **more: Any
) -> Response:
    context: dict[str, Any] = {
        "values": dict.fromkeys(FIELDS, "") | {"type": "other"},
        "errors": {},
        "item": None,
        "upload_action": f"/datasets/{view.dataset.id}/community/upload/",
        "done_url": f"/datasets/{view.dataset.slug}/#community",
        "upload_hint": i18n.translations(visit.language).gettext(
            "Large files are sent in parts: you can pause, and resume after a lost connection or a reload."
        ),
    }
    shown = context | more
    item = shown["item"]
    # The resource's version as it is now: a form shown again after a refusal keeps the one it
    # was first shown at (``version``), so that a stale edit stays refused.
    shown = {"stale": False, "version": "", **shown, "item_version": "" if item is None else version_of(item)}
    return files_page(site, visit, token, view, status, template="community_form.html", **shown)


async def propose_form(site: Site, visit: Visit) -> Response:
    opened = await _opened(site, visit)
    if isinstance(opened, Response):
        return opened
    token, view = opened
    return _form_page(site, visit, token, view)


def _body(
    form: FormData, view: DatasetView, shown: dict[str, str] | None = None
) -> tuple[dict[str, str], dict[str, Any]]:
    """The form's values, and the API's body for them (``shown``: the values the edit form was
    filled with, a blank one left out when it was blank already)."""
    values = {name: form_text(form, name).strip() for name in FIELDS}
    if shown is not None:
        values["description"] = unless_unchanged(values["description"], shown["description"])
    body: dict[str, Any] = {"dataset": view.dataset.id, "filetype": "remote"}
    sent = ("title", "url", "format", "description")
    if shown is None:  # a proposal: its title and address are required, a blank rest stays null
        body |= {name: values[name] for name in sent if values[name] or name in ("title", "url")}
    else:
        body |= untouched_blanks_left_out(values, sent, shown)
    if values["type"]:  # none chosen: the API's default for a community resource
        body["type"] = values["type"]
    return values, body


async def propose(site: Site, visit: Visit) -> Response:
    form = await read_form(visit, DESCRIBED_FORM_BYTES, text_fields=FORM_TEXT)
    if form is None:
        return refused(visit, 400, "unreadable")
    opened = await _opened(site, visit, form)
    if isinstance(opened, Response):
        return opened
    token, view = opened
    values, body = _body(form, view)
    if held := nul_refusals(values, i18n.translations(visit.language).gettext):
        return _form_page(site, visit, token, view, 400, values=without_nul(values), errors=held)
    submitted = Submitted.parse(lambda: parse_community(body, site.catalog.files.public_url, creating=True))
    try:
        created = await run_in_threadpool(
            catalog_community.create_community_resource, site.catalog, visit.actor, submitted
        )
    except Invalid as invalid:
        shown = field_errors_of(invalid, i18n.translations(visit.language).gettext)
        return _form_page(site, visit, token, view, 400, values=values, errors=shown)
    return RedirectResponse(f"/datasets/{view.dataset.slug}/#community-{created.item.id}", status_code=303)


async def propose_file(site: Site, visit: Visit) -> Response:
    slug = str(visit.request.path_params["slug"])

    async def where(outcome: catalog_uploads.UploadOutcome) -> str:
        assert outcome.community is not None
        view = await run_in_threadpool(catalog_datasets.get_dataset, site.catalog, visit.actor, slug)
        return f"/datasets/{view.dataset.slug}/#community-{outcome.community.id}"

    async def refused_page(token: str, status: int, said: str) -> Response:
        view = await run_in_threadpool(catalog_datasets.get_dataset, site.catalog, visit.actor, slug)
        return _form_page(site, visit, token, view, status, upload_error=said)

    target = catalog_uploads.UploadTarget(slug, community=True, live_only=True)
    return await receive_upload(site, visit, target, where, refused_page)


def _shown(resource: Resource) -> dict[str, str]:
    """What the edit form is filled with."""
    return {
        "title": resource.title,
        "url": resource.url,
        "type": resource.type,
        "format": resource.format or "",
        "description": resource.description or "",
    }


async def edit_form(site: Site, visit: Visit) -> Response:
    allowed = await _allowed(site, visit, _editor(visit))
    if isinstance(allowed, Response):
        return allowed
    token, view, found = allowed
    resource = found.item.resource
    values = _shown(resource)
    replace = f"/datasets/{view.dataset.id}/community/{found.item.id}/upload/"
    return _form_page(site, visit, token, view, values=values, item=found.item, upload_action=replace)


async def replace_file(site: Site, visit: Visit) -> Response:
    """A new file for an uploaded community resource (its editors only: the API's rule)."""
    slug, cid = str(visit.request.path_params["slug"]), str(visit.request.path_params["cid"])

    async def where(outcome: catalog_uploads.UploadOutcome) -> str:
        view = await run_in_threadpool(catalog_datasets.get_dataset, site.catalog, visit.actor, slug)
        return f"/datasets/{view.dataset.slug}/#community-{cid}"

    async def refused_page(token: str, status: int, said: str) -> Response:
        view = await run_in_threadpool(
            catalog_datasets.get_dataset, site.catalog, visit.actor, slug, with_community=True
        )
        return _form_page(site, visit, token, view, status, upload_error=said)

    target = catalog_uploads.UploadTarget(None, cid, community=True, live_only=True)
    return await receive_upload(site, visit, target, where, refused_page)


async def update(site: Site, visit: Visit) -> Response:
    form = await read_form(visit, DESCRIBED_FORM_BYTES, text_fields=FORM_TEXT)
    if form is None:
        return refused(visit, 400, "unreadable")
    allowed = await _allowed(site, visit, _editor(visit), form)
    if isinstance(allowed, Response):
        return allowed
    token, view, found = allowed
    values, body = _body(form, view, _shown(found.item.resource))
    if held := nul_refusals(values, i18n.translations(visit.language).gettext):
        version = str(form.get("version") or "")
        typed = without_nul(values)
        return _form_page(
            site, visit, token, view, 400, values=typed, errors=held, item=found.item, version=version
        )
    del body["dataset"], body["filetype"]
    if found.item.resource.filetype != "remote":
        del body["url"]  # a hosted file's address is the server's
    submitted = Submitted.parse(lambda: parse_community(body, site.catalog.files.public_url, creating=False))
    # The resource's last change the form was shown at: a save made since (another tab) refuses
    # this one instead of being overwritten by it.
    shown_at = str(form.get("version") or "")
    if not shown_at:
        return refused(visit, 400, "unreadable")
    try:
        await run_in_threadpool(
            catalog_community.update_community_resource,
            site.catalog,
            visit.actor,
            found.item.id,
            submitted,
            shown_at,
        )
    except PreconditionFailed:
        current = await _allowed(site, visit, _editor(visit))
        if isinstance(current, Response):
            return current
        _, view, found = current
        return _form_page(site, visit, token, view, 409, values=values, item=found.item, stale=True)
    except Invalid as invalid:
        shown = field_errors_of(invalid, i18n.translations(visit.language).gettext)
        return _form_page(
            site, visit, token, view, 400, values=values, errors=shown, item=found.item, version=shown_at
        )
    return RedirectResponse(f"/datasets/{view.dataset.slug}/#community-{found.item.id}", status_code=303)


async def delete_form(site: Site, visit: Visit) -> Response:
    allowed = await _allowed(site, visit, _reviewer(visit), live_only=False)
    if isinstance(allowed, Response):
        return allowed
    token, view, found = allowed
    response = visit.page(
        "community_delete.html", view=view, item=found.item, csrf=signin.csrf_token(site.keys, token)
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def delete(site: Site, visit: Visit) -> Response:
    form = await read_form(visit, DESCRIBED_FORM_BYTES)
    if form is None:
        return refused(visit, 400, "unreadable")
    allowed = await _allowed(site, visit, _reviewer(visit), form, live_only=False)
    if isinstance(allowed, Response):
        return allowed
    _, view, found = allowed
    await run_in_threadpool(catalog_community.remove_proposal, site.catalog, visit.actor, found.item.id)
    return RedirectResponse(f"/datasets/{view.dataset.slug}/#community", status_code=303)


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "propose_form": propose_form,
        "propose": propose,
        "propose_file": propose_file,
        "replace_file": replace_file,
        "edit_form": edit_form,
        "update": update,
        "delete_form": delete_form,
        "delete": delete,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
