"""Creating and editing a dataset from the browser: ``/datasets/new/`` and
``/datasets/{slug}/edit/``.

The form's fields become the body the API would receive, parsed by the API's own inputs
(``api/inputs.dataset_changes``) and saved by the same use cases (``catalog/datasets``), so the
pages and the API cannot disagree on a rule. The form carries the revision it was made from: a
save of an older revision is refused as the API refuses a stale ``If-Match``."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from opencat.api.inputs import dataset_changes
from opencat.api.wording import message, worded
from opencat.catalog import dashboard, references, spatial
from opencat.catalog import datasets as catalog_datasets
from opencat.catalog.views import DatasetView
from opencat.domain.changes import Submitted
from opencat.domain.datasets import Dataset
from opencat.domain.errors import Invalid, Moved, PermissionDenied, PreconditionFailed
from opencat.domain.numerals import is_digits
from opencat.web import i18n, sent_once, signin
from opencat.web.account_pages import read_form, refused
from opencat.web.form_errors import in_language
from opencat.web.markdown import page_markdown
from opencat.web.pages import NUL_REFUSED, Handler, Site, Visit, form_text, guard, unless_unchanged
from opencat.web.publish_pages import to_login
from opencat.web.render import SCRIPTED_CSP
from opencat.web.views import harvested_from

# A description may be 100,000 characters (the API's limit), several bytes each in UTF-8.
MAX_FORM_BYTES = 512 * 1024
TEXT_FIELDS = (
    "title", "acronym", "description", "tags", "license", "frequency", "coverage_start",
    "coverage_end", "zones", "granularity", "organization",
)  # fmt: skip
# Where an error of the API's body is shown: beside the field the form has for it.
ERROR_PLACES = {
    "temporal_coverage": "coverage",
    "spatial": "zones",
    "extras": "__all__",
    "contact_points": "contact_points",
}
# The form's page runs one script of this site (suggest.js: tag and zone suggestions, which it
# fetches from the API); the public pages run none.
FORM_CSP = SCRIPTED_CSP
# Checkboxes of contact points a form may carry (a user's and their organizations'): the form
# offers every one, so the bound is far above any publisher's (100 saved 100 of 127 ticked, without
# a word); past it the form is refused whole, never cut.
MAX_CONTACT_POINTS = 1000


@dataclass(frozen=True, slots=True)
class Filled:
    """What the form holds: the text of each field, the two boxes, the revision it came from."""

    text: dict[str, str]
    private: bool
    archived: bool
    revision: str = ""
    contact_points: tuple[str, ...] = ()
    # A new dataset's form is sent once: the token its creation records (catalog/datasets.create_dataset).
    once: str = ""

    @classmethod
    def of(cls, dataset: Dataset) -> "Filled":
        coverage = dataset.temporal_coverage
        zones = dataset.spatial.zones if dataset.spatial else ()
        text = {
            "title": dataset.title,
            "acronym": dataset.acronym or "",
            "description": dataset.description or "",
            "tags": ", ".join(dataset.tags),
            "license": dataset.license or "",
            "frequency": dataset.frequency or "",
            "coverage_start": coverage.start.isoformat() if coverage else "",
            "coverage_end": coverage.end.isoformat() if coverage and coverage.end else "",
            "zones": ", ".join(zones),
            "granularity": (dataset.spatial.granularity or "") if dataset.spatial else "",
            "organization": dataset.organization_id or "",
        }
        archived = dataset.archived is not None
        return cls(text, dataset.private, archived, str(dataset.revision), tuple(dataset.contact_point_ids))

    @classmethod
    def read(cls, form: FormData) -> "Filled":
        text = {name: form_text(form, name).strip() for name in TEXT_FIELDS}
        text["description"] = form_text(form, "description")  # kept as typed (Markdown)
        contacts = tuple(dict.fromkeys(str(value) for value in form.getlist("contact_points")))
        return cls(
            text,
            form.get("private") == "1",
            form.get("archived") == "1",
            str(form.get("revision") or ""),
            contacts[:MAX_CONTACT_POINTS],
            str(form.get("once") or ""),
        )


COVERAGE_WITHOUT_START = "A coverage with an end date needs its start date too."


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def body_of(filled: Filled, current: Dataset | None, now_iso: str) -> dict[str, Any]:
    """The API's JSON body for what the form holds (the fields udata's dataset form has)."""
    text = filled.text
    body: dict[str, Any] = {
        "title": text["title"],
        "acronym": text["acronym"] or None,
        "description": unless_unchanged(text["description"], current.description if current else None),
        "tags": _items(text["tags"]),
        "license": text["license"] or None,
        "frequency": text["frequency"] or None,
        "private": filled.private,
        # udata keeps the contact points on an empty list, and clears them on null.
        "contact_points": list(filled.contact_points) or None,
    }
    if text["coverage_start"] or text["coverage_end"]:
        body["temporal_coverage"] = {"start": text["coverage_start"], "end": text["coverage_end"] or None}
    elif current is not None and current.temporal_coverage is not None:
        body["temporal_coverage"] = None
    zones, granularity = _items(text["zones"]), text["granularity"] or None
    if zones or granularity or (current is not None and current.spatial is not None):
        body["spatial"] = {"zones": zones, "granularity": granularity}
    if filled.archived:  # archived since it was, or from now
        archived = current.archived if current is not None else None
        body["archived"] = archived.isoformat() if archived is not None else now_iso
    else:
        body["archived"] = None
    organization = text["organization"]
    if organization and (current is None or organization != current.organization_id):
        body["organization"] = organization
    return body


def field_errors(errors: Mapping[str, Any]) -> dict[str, list[str]]:
    """The API's errors, in its words, by the form field they are shown beside."""
    shown: dict[str, list[str]] = {}

    def flatten(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, Mapping):
            return [text for item in value.values() for text in flatten(item)]
        if isinstance(value, list | tuple):
            return [text for item in value for text in flatten(item)]
        return [str(value)]

    for key, value in worded(dict(errors)).items():
        if key == "spatial" and isinstance(value, Mapping):
            # The body's spatial object holds two of the form's fields: each error beside its own.
            for part, said in value.items():
                shown.setdefault("granularity" if part == "granularity" else "zones", []).extend(
                    flatten(said)
                )
            continue
        place = ERROR_PLACES.get(
            key, key if key in TEXT_FIELDS or key in ("private", "archived", "contact_points") else "__all__"
        )
        shown.setdefault(place, []).extend(flatten(value))
    return shown


def _signed_in(site: Site, visit: Visit) -> str | None:
    token = signin.session_token(visit.request, site.keys)
    return token if token is not None and visit.user is not None else None


async def _read(visit: Visit) -> FormData | None:
    # A NUL pasted into a text field is said beside it, the rest kept (the whole form was refused).
    return await read_form(visit, MAX_FORM_BYTES, 40 + MAX_CONTACT_POINTS, frozenset(TEXT_FIELDS))


async def _nul_refused(
    site: Site, visit: Visit, token: str, filled: Filled, view: DatasetView | None
) -> Response | None:
    """The form again, its fields holding NUL said (their text kept without it); None if none."""
    held = [name for name, text in filled.text.items() if "\x00" in text]
    if not held:
        return None
    kept = replace(filled, text={name: text.replace("\x00", "") for name, text in filled.text.items()})
    return await _form(site, visit, token, kept, view, 400, errors={name: [NUL_REFUSED] for name in held})


def _choices(site: Site, visit: Visit) -> dict[str, Any]:
    language = visit.language
    return {
        "licenses": references.list_licenses(site.catalog),
        "frequencies": [(f.id, f.label(language)) for f in references.list_frequencies(site.catalog)],
        "granularities": spatial.list_granularities(site.catalog, language),
        "organizations": dashboard.my_organizations(site.catalog, visit.actor),
        "contact_choices": dashboard.my_contact_points(site.catalog, visit.actor),
    }


async def _form(
    site: Site,
    visit: Visit,
    token: str,
    filled: Filled,
    view: DatasetView | None,
    status: int = 200,
    **context: Any,
) -> Response:
    choices = await run_in_threadpool(_choices, site, visit)
    gettext = i18n.translations(visit.language).gettext
    errors = {
        key: [in_language(text, gettext) for text in texts]
        for key, texts in context.pop("errors", {}).items()
    }
    response = visit.page(
        "dataset_form.html",
        status=status,
        csrf=signin.csrf_token(site.keys, token),
        filled=filled,
        view=view,
        errors=errors,
        preview=context.pop("preview", None),
        stale=context.pop("stale", False),
        harvested=harvested_from(view.dataset.harvest) if view is not None else None,
        **choices,
        **context,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = FORM_CSP
    return response


async def new_form(site: Site, visit: Visit) -> Response:
    token = _signed_in(site, visit)
    if token is None:
        return to_login("/datasets/new/")
    once = sent_once.blank_form_token(site.keys, token, "dataset", site.catalog.clock().date())
    empty = Filled(dict.fromkeys(TEXT_FIELDS, ""), private=False, archived=False, once=once)
    return await _form(site, visit, token, empty, None)


async def _editable(site: Site, visit: Visit) -> DatasetView:
    slug = str(visit.request.path_params["slug"])
    return await run_in_threadpool(catalog_datasets.get_dataset_to_edit, site.catalog, visit.actor, slug)


def _forbidden(visit: Visit) -> Response:
    return visit.page("forbidden.html", status=403)


async def edit_form(site: Site, visit: Visit) -> Response:
    token = _signed_in(site, visit)
    if token is None:
        return to_login(visit.request.url.path)
    try:
        view = await _editable(site, visit)
    except PermissionDenied:
        return _forbidden(visit)
    except Moved as moved:  # an old slug: the edit page of the dataset's current one
        return RedirectResponse(f"/datasets/{quote(moved.location_ident)}/edit/", status_code=308)
    return await _form(site, visit, token, Filled.of(view.dataset), view)


async def _checked_form(site: Site, visit: Visit) -> tuple[str | None, FormData | Response]:
    """The session's token and the form, or the answer refusing it (unreadable, no CSRF token)."""
    token = _signed_in(site, visit)
    form = await _read(visit)
    if form is None:
        return token, refused(visit, 400, "unreadable")
    if token is None:
        return None, to_login(visit.request.url.path)
    if not signin.csrf_ok(site.keys, token, form.get(signin.CSRF_FIELD)):
        return token, refused(visit, 403, "csrf")
    return token, form


def _preview(visit: Visit, filled: Filled) -> Markup:
    return page_markdown(filled.text["description"], i18n.translations(visit.language).gettext)


async def create(site: Site, visit: Visit) -> Response:
    token, form = await _checked_form(site, visit)
    if isinstance(form, Response):
        return form
    assert token is not None
    filled = Filled.read(form)
    if (nul := await _nul_refused(site, visit, token, filled, None)) is not None:
        return nul
    if form.get("action") == "preview":
        return await _form(site, visit, token, filled, None, preview=_preview(visit, filled))
    body = body_of(filled, None, site.catalog.clock().isoformat())
    submitted = Submitted.parse(lambda: dataset_changes(body, creating=True, files_url=None))
    try:
        view = await run_in_threadpool(
            partial(catalog_datasets.create_dataset, once=sent_once.sending(form)),
            site.catalog,
            visit.actor,
            submitted,
        )
    except Invalid as invalid:
        return await _invalid(site, visit, token, filled, None, invalid)
    return RedirectResponse(f"/datasets/{view.dataset.slug}/", status_code=303)


async def _invalid(
    site: Site, visit: Visit, token: str, filled: Filled, view: DatasetView | None, invalid: Invalid
) -> Response:
    errors = field_errors(invalid.errors)
    if not errors:
        errors = {"__all__": [message(invalid, "Invalid data")]}
    if "coverage" in errors and filled.text["coverage_end"] and not filled.text["coverage_start"]:
        # The API's word (no valid date) would point at the date the visitor did give.
        errors["coverage"] = [COVERAGE_WITHOUT_START]
    return await _form(site, visit, token, filled, view, 400, errors=errors)


async def update(site: Site, visit: Visit) -> Response:
    token, form = await _checked_form(site, visit)
    if isinstance(form, Response):
        return form
    assert token is not None
    try:
        view = await _editable(site, visit)
    except PermissionDenied:
        return _forbidden(visit)
    filled = Filled.read(form)
    if not is_digits(filled.revision):
        return refused(visit, 400, "unreadable")
    if (nul := await _nul_refused(site, visit, token, filled, view)) is not None:
        return nul
    if form.get("action") == "preview":
        return await _form(site, visit, token, filled, view, preview=_preview(visit, filled))
    body = body_of(filled, view.dataset, site.catalog.clock().isoformat())
    submitted = Submitted.parse(lambda: dataset_changes(body, creating=False, files_url=None))

    def save() -> DatasetView:
        return catalog_datasets.update_dataset(
            site.catalog,
            visit.actor,
            view.dataset.id,
            submitted,
            expected_versions=frozenset({(view.dataset.id, int(filled.revision))}),
        )

    try:
        saved = await run_in_threadpool(save)
    except PreconditionFailed:
        # Someone saved meanwhile: nothing is overwritten. The form keeps what this visitor typed,
        # now based on the current revision, so that sending it again is a deliberate choice.
        current = await _editable(site, visit)
        revision = str(current.dataset.revision)
        kept = Filled(filled.text, filled.private, filled.archived, revision, filled.contact_points)
        return await _form(site, visit, token, kept, current, 409, stale=True)
    except Invalid as invalid:
        return await _invalid(site, visit, token, filled, view, invalid)
    return RedirectResponse(f"/datasets/{saved.dataset.slug}/", status_code=303)


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "new_form": new_form,
        "create": create,
        "edit_form": edit_form,
        "update": update,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
