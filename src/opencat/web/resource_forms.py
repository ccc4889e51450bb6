"""A dataset's files from the browser: add a remote link (``/datasets/{slug}/resources/new/``) and
delete a file after a confirmation page (``/datasets/{slug}/resources/{rid}/delete/``).

As the dataset forms do (web/dataset_forms.py), the fields become the API's body, parsed by its
inputs (``api/inputs.parse_resource``) and applied by its use cases (``catalog/resources``)."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from opencat.api.inputs import parse_resource
from opencat.api.wording import worded
from opencat.catalog import datasets as catalog_datasets
from opencat.catalog import resources as catalog_resources
from opencat.catalog.views import DatasetView
from opencat.domain.changes import Submitted
from opencat.domain.datasets import Resource
from opencat.domain.errors import Invalid, Moved, NotFound, PermissionDenied
from opencat.web import i18n, sent_once, signin
from opencat.web.account_pages import DESCRIBED_FORM_BYTES, read_form, refused
from opencat.web.form_errors import in_language
from opencat.web.pages import Handler, Site, Visit, form_text, guard, nul_refusals, without_nul
from opencat.web.publish_pages import to_login

RESOURCE_TYPES = ("main", "documentation", "update", "api", "code", "other")
FIELDS = ("title", "url", "type", "format", "description")
FORM_TEXT = frozenset(FIELDS)  # text fields whose NUL is said beside them, not refused whole


def signed_in_token(site: Site, visit: Visit) -> str | None:
    token = signin.session_token(visit.request, site.keys)
    return token if token is not None and visit.user is not None else None


async def editable_view(site: Site, visit: Visit) -> DatasetView:
    slug = str(visit.request.path_params["slug"])
    return await run_in_threadpool(catalog_datasets.get_dataset_to_edit, site.catalog, visit.actor, slug)


def resource_of(view: DatasetView, resource_id: str) -> Resource:
    for resource in view.resources:
        if resource.id == resource_id:
            return resource
    raise NotFound()


async def open_editable(
    site: Site, visit: Visit, form: FormData | None = None
) -> tuple[str, DatasetView] | Response:
    """The session's token and the dataset its user may edit, or the answer that refuses them."""
    token = signed_in_token(site, visit)
    if token is None:
        return to_login(visit.request.url.path)
    if form is not None and not signin.csrf_ok(site.keys, token, form.get(signin.CSRF_FIELD)):
        return refused(visit, 403, "csrf")
    try:
        return token, await editable_view(site, visit)
    except PermissionDenied:
        return visit.page("forbidden.html", status=403)
    except Moved as moved:
        rest = visit.request.url.path.split("/", 3)[3]  # after /datasets/{slug}/
        return RedirectResponse(f"/datasets/{quote(moved.location_ident)}/{rest}", status_code=308)


async def open_editable_form(
    site: Site, visit: Visit, max_bytes: int = DESCRIBED_FORM_BYTES
) -> tuple[str, DatasetView, FormData] | Response:
    """A publisher's form sent (read, its CSRF token checked) about a dataset they may edit:
    the session's token, the dataset and the form, or the answer that refuses them."""
    form = await read_form(visit, max_bytes, text_fields=FORM_TEXT)  # a NUL there: said beside it
    if form is None:
        return refused(visit, 400, "unreadable")
    opened = await open_editable(site, visit, form)
    if isinstance(opened, Response):
        return opened
    return (*opened, form)


def page_with_token(
    site: Site, visit: Visit, token: str, template: str, status: int = 200, **context: Any
) -> Response:
    """A publisher's page carrying the session's CSRF token, never kept by a cache."""
    response = visit.page(template, status=status, csrf=signin.csrf_token(site.keys, token), **context)
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def new_link_form(site: Site, visit: Visit) -> Response:
    opened = await open_editable(site, visit)
    if isinstance(opened, Response):
        return opened
    token, view = opened
    once = sent_once.blank_form_token(
        site.keys, token, f"link:{view.dataset.id}", site.catalog.clock().date()
    )
    values = dict.fromkeys(FIELDS, "") | {"type": "main", sent_once.FIELD: once}
    return page_with_token(
        site, visit, token, "resource_form.html", view=view, values=values, errors={}, types=RESOURCE_TYPES
    )


async def add_link(site: Site, visit: Visit) -> Response:
    opened = await open_editable_form(site, visit)
    if isinstance(opened, Response):
        return opened
    token, view, form = opened
    values = {name: form_text(form, name).strip() for name in (*FIELDS, sent_once.FIELD)}

    def refused_page(errors: dict[str, list[str]], shown: dict[str, str]) -> Response:
        return page_with_token(
            site,
            visit,
            token,
            "resource_form.html",
            400,
            view=view,
            values=shown,
            errors=errors,
            types=RESOURCE_TYPES,
        )

    if held := nul_refusals(values, i18n.translations(visit.language).gettext):
        return refused_page(held, without_nul(values))
    body: dict[str, Any] = {"filetype": "remote", "title": values["title"], "url": values["url"]}
    body |= {name: values[name] for name in ("type", "format", "description") if values[name]}
    submitted = Submitted.parse(lambda: parse_resource(body, site.catalog.files.public_url, creating=True))
    try:
        added = await run_in_threadpool(
            partial(catalog_resources.add_resource, once=sent_once.sending(form)),
            site.catalog,
            visit.actor,
            view.dataset.id,
            submitted,
        )
    except Invalid as invalid:
        return refused_page(field_errors_of(invalid, i18n.translations(visit.language).gettext), values)
    return RedirectResponse(f"/datasets/{view.dataset.slug}/#resource-{added.id}", status_code=303)


def field_errors_of(invalid: Invalid, gettext: Callable[[str], str]) -> dict[str, list[str]]:
    """The API's errors by the resource form's fields (anything else at the top of the form)."""
    shown: dict[str, list[str]] = {}
    for key, value in worded(dict(invalid.errors)).items():
        texts = value if isinstance(value, list) else [value]
        place = key if key in FIELDS else "__all__"
        shown.setdefault(place, []).extend(in_language(str(text), gettext) for text in texts)
    return shown


async def delete_form(site: Site, visit: Visit) -> Response:
    opened = await open_editable(site, visit)
    if isinstance(opened, Response):
        return opened
    token, view = opened
    resource = resource_of(view, str(visit.request.path_params["rid"]))
    return page_with_token(site, visit, token, "resource_delete.html", view=view, resource=resource)


async def delete(site: Site, visit: Visit) -> Response:
    opened = await open_editable_form(site, visit)
    if isinstance(opened, Response):
        return opened
    _, view, _ = opened
    resource = resource_of(view, str(visit.request.path_params["rid"]))
    await run_in_threadpool(
        catalog_resources.delete_resource, site.catalog, visit.actor, view.dataset.id, resource.id
    )
    return RedirectResponse(f"/datasets/{view.dataset.slug}/#files", status_code=303)


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "new_link_form": new_link_form,
        "add_link": add_link,
        "delete_form": delete_form,
        "delete": delete,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
