"""Files uploaded from the browser, signed in with the session (cookie + CSRF), not an API key.

The dataset's files page (``/datasets/{slug}/resources/``) holds a plain file form that posts the
whole file (works without JavaScript); ``static/upload.js`` takes it over and speaks udata's chunked
protocol to the same address, with the CSRF token in a header, and asks ``/account/uploads/{uuid}/``
which parts the server holds to resume. Both routes read the body with the API's streaming reader and
its form fields (``api/uploads``) and run the same use cases (``catalog/uploads``): one set of rules.
"""

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencat.api.errors import error_answer, json_response
from opencat.api.multipart import Received, receive
from opencat.api.uploads import status_body, upload_command
from opencat.catalog import upload_sessions
from opencat.catalog import uploads as catalog_uploads
from opencat.catalog.views import DatasetView
from opencat.domain.datasets import Resource
from opencat.domain.errors import (
    CatalogError,
    FileTypeNotAllowed,
    Gone,
    Moved,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
    UploadProblem,
    UploadRefused,
)
from opencat.domain.numerals import is_digits
from opencat.web import i18n, signin
from opencat.web.account_pages import refused
from opencat.web.form_errors import in_language
from opencat.web.pages import Handler, Site, Visit, guard
from opencat.web.publish_pages import to_login
from opencat.web.render import SCRIPTED_CSP, file_size
from opencat.web.resource_forms import RESOURCE_TYPES, editable_view, signed_in_token

# The header that carries the CSRF token of the script's requests (which then get JSON answers).
CSRF_HEADER = "x-csrf-token"
# The files page lists this many files at a time (as the dataset page: it stays under 100 KB).
FILES_PER_PAGE = 20
# Parts of 8 MiB: a 200 MB file in 25 requests; a multiple of 64 bytes, SHA-1's block (upload.js).
CHUNK_BYTES = 8 * 1024 * 1024


def _scripted(response: Response) -> Response:
    """The files page runs its one script (``/static/upload.js``) and calls this site only."""
    response.headers["Content-Security-Policy"] = SCRIPTED_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


def files_location(slug: str, ids: Sequence[str], resource_id: str) -> str:
    """The files page that shows a file (its page of ``FILES_PER_PAGE``), at the file."""
    number = list(ids).index(resource_id) // FILES_PER_PAGE + 1 if resource_id in ids else 1
    return f"/datasets/{slug}/resources/{f'?page={number}' if number > 1 else ''}#resource-{resource_id}"


def _listed(view: DatasetView, asked: str | None) -> dict[str, Any]:
    """The page of the dataset's files asked (``?page=N``), in their order."""
    total = len(view.resources)
    pages = max(1, -(-total // FILES_PER_PAGE))
    number = int(asked) if asked and is_digits(asked) and 1 <= int(asked) <= pages else 1
    offset = (number - 1) * FILES_PER_PAGE
    shown = view.resources[offset : offset + FILES_PER_PAGE]
    moves = _moves(view.resources)
    return {
        "shown": shown,
        "offset": offset,
        "number": number,
        "pages": pages,
        "total": total,
        "moves": moves,
    }


def _moves(resources: Sequence[Resource]) -> dict[str, tuple[int | None, int | None]]:
    """Where each file's Move up and Move down buttons send it: to the place of the previous and
    of the next file of its kind (None: there is none). The dataset's page shows the files by
    kind, so a move past a file of another kind changed nothing there (dragging still places a
    file anywhere in the API's order)."""
    kinds = [resource.type if resource.type in RESOURCE_TYPES else "other" for resource in resources]
    up: list[int | None] = []
    seen: dict[str, int] = {}
    for place, kind in enumerate(kinds):
        up.append(seen.get(kind))
        seen[kind] = place
    down: list[int | None] = [None] * len(kinds)
    seen = {}
    for place in reversed(range(len(kinds))):
        down[place] = seen.get(kinds[place])
        seen[kinds[place]] = place
    return {resource.id: (up[n], down[n]) for n, resource in enumerate(resources)}


def upload_context(site: Site) -> dict[str, Any]:
    """What the upload form (templates/_upload_form.html) needs."""
    return {"chunk_bytes": CHUNK_BYTES, "max_bytes": site.catalog.uploads.max_bytes, "upload_error": None}


def files_page(
    site: Site,
    visit: Visit,
    token: str,
    view: DatasetView,
    status: int = 200,
    template: str = "resources.html",
    **more: Any,
) -> Response:
    context: dict[str, Any] = {
        "view": view,
        "csrf": signin.csrf_token(site.keys, token),
        "types": RESOURCE_TYPES,
        "upload_action": f"/datasets/{view.dataset.id}/resources/upload/",
        "done_url": f"/datasets/{view.dataset.slug}/resources/",  # where a file whose answer was lost is
        "listed": _listed(view, visit.request.query_params.get("page")),
        **upload_context(site),
    }
    return _scripted(visit.page(template, status=status, **(context | more)))


async def resources_page(site: Site, visit: Visit) -> Response:
    token = signed_in_token(site, visit)
    if token is None:
        return to_login(visit.request.url.path)
    try:
        view = await editable_view(site, visit)
    except PermissionDenied:
        return visit.page("forbidden.html", status=403)
    if view.dataset.slug != visit.request.path_params["slug"]:  # asked by id: one address, the slug's
        raise Moved(view.dataset.slug)
    return files_page(site, visit, token, view)


def _target(visit: Visit) -> catalog_uploads.UploadTarget:
    rid = visit.request.path_params.get("rid")
    return catalog_uploads.UploadTarget(
        str(visit.request.path_params["slug"]), None if rid is None else str(rid), live_only=True
    )


Where = Callable[[catalog_uploads.UploadOutcome], Awaitable[str]]
RefusedPage = Callable[[str, int, str], Awaitable[Response]]


async def upload(site: Site, visit: Visit) -> Response:
    """A new file of the dataset, or a new file for one of its resources."""

    async def where(outcome: catalog_uploads.UploadOutcome) -> str:
        view = await editable_view(site, visit)
        assert outcome.resource is not None
        return files_location(view.dataset.slug, [r.id for r in view.resources], outcome.resource.id)

    async def refused_page(token: str, status: int, said: str) -> Response:
        return files_page(site, visit, token, await editable_view(site, visit), status, upload_error=said)

    return await receive_upload(site, visit, _target(visit), where, refused_page)


async def receive_upload(
    site: Site, visit: Visit, target: catalog_uploads.UploadTarget, where: Where, refused_page: RefusedPage
) -> Response:
    """A whole file (the plain form), or a part or the final call of a chunked upload (the script).

    The script's requests carry the CSRF token in a header, checked before a byte of the body is
    read, and get JSON in udata's shapes; the plain form's token is a field, checked once the body
    is spooled and before anything is stored. ``where`` says which page shows the new file."""
    scripted = CSRF_HEADER in visit.request.headers
    token = signed_in_token(site, visit)
    if token is None:
        if scripted:
            return script_refusal(visit, SIGN_IN_AGAIN, 401)
        return to_login(visit.request.url.path)
    if scripted and not signin.csrf_ok(site.keys, token, visit.request.headers[CSRF_HEADER]):
        return script_refusal(visit, BAD_CSRF, 403)
    cat = site.catalog
    received: Received | None = None
    try:
        destination = await run_in_threadpool(catalog_uploads.authorize, cat, visit.actor, target)
        received = await receive(
            visit.request, lambda: catalog_uploads.open_spool(cat), cat.uploads.max_bytes
        )
        if not scripted and not signin.csrf_ok(site.keys, token, received.fields.get(signin.CSRF_FIELD)):
            return refused(visit, 403, "csrf")
        command = upload_command(received)
        outcome = await run_in_threadpool(catalog_uploads.run, cat, visit.actor, destination, command)
    except CatalogError as error:
        if not scripted and isinstance(error, Moved | Gone | NotFound):
            raise  # the pages' own answers (web/pages.guard)
        status, body = error_answer(error, site.urls.base)
        said = _for_people(visit, error, body, cat.uploads.max_bytes, cat.uploads.extensions)
        if scripted:  # udata's body, the sentence the page shows and the problem (additions of the pages)
            problem = error.problem.name.lower() if isinstance(error, UploadRefused) else None
            return json_response({**body, "worded": said, "problem": problem}, status)
        if isinstance(error, PermissionDenied):
            return visit.page("forbidden.html", status=403)
        return await refused_page(token, status, said)
    finally:
        if received is not None:
            received.discard()
    if outcome.resource is None:  # a part arrived
        return json_response({"success": True, "error": None}, 200)
    location = await where(outcome)
    if not scripted:
        return RedirectResponse(location, status_code=303)
    checksum = outcome.resource.checksum
    body = {
        "success": True,
        "id": outcome.resource.id,
        "title": outcome.resource.title,
        "filesize": outcome.resource.filesize,
        "checksum": None if checksum is None else {"type": checksum.type, "value": checksum.value},
        "location": location,
    }
    return json_response(body, 201 if outcome.created else 200)


def _for_people(
    visit: Visit, error: CatalogError, body: dict[str, Any], max_bytes: int, extensions: Iterable[str]
) -> str:
    """Why a file was refused, in the page's language: the refusals a person can meet (its type,
    its size, HTML) in words of ours, a refused type with the types taken (the API's answer
    points to their list); the others (the protocol's) as the API words them."""
    gettext = i18n.translations(visit.language).gettext
    if isinstance(error, FileTypeNotAllowed):
        taken = ", ".join(sorted(extensions))
        return gettext("this type of file is not accepted here. Accepted types: %(types)s.") % {
            "types": taken
        }
    if isinstance(error, PayloadTooLarge):
        size = file_size(max_bytes, visit.language)
        return gettext("the file is larger than this catalog accepts (%(size)s).") % {"size": size}
    if isinstance(error, UnsupportedMediaType):
        return gettext("HTML pages are not accepted as files.")
    if isinstance(error, UploadRefused) and error.problem is UploadProblem.CHECKSUM_MISMATCH:
        return gettext("the file that arrived is not the one sent (its checksum differs). Send it again.")
    if isinstance(error, UploadRefused) and error.problem is UploadProblem.NUL_IN_FORM:
        return gettext("its name (or another field of the form) holds a NUL character.")
    said = (
        body.get("error")
        or body.get("message")
        or " ".join(str(text) for texts in body.get("errors", {}).values() for text in texts)
    )
    return in_language(str(said), gettext)


# The refusals the upload script meets before the catalog is asked, in the API's words; a person
# reads them in the page's language (``worded``), which the script shows.
SIGN_IN_AGAIN = "Sign in again to go on uploading."
BAD_CSRF = "Invalid CSRF token."


def script_refusal(visit: Visit, message: str, status: int) -> Response:
    """A refusal for the pages' scripts: udata's ``message``, and the page's words in ``worded``."""
    worded = i18n.translations(visit.language).gettext(message)
    return json_response({"message": message, "worded": worded}, status)


async def upload_status(site: Site, visit: Visit) -> Response:
    """Which parts of the signed-in user's unfinished upload the server holds (to resume)."""
    if visit.user is None or signed_in_token(site, visit) is None:
        return script_refusal(visit, SIGN_IN_AGAIN, 401)
    try:
        status = await run_in_threadpool(
            upload_sessions.upload_status, site.catalog, visit.actor, str(visit.request.path_params["uuid"])
        )
    except CatalogError as error:
        code, body = error_answer(error, site.urls.base)
        return json_response(body, code)
    response = json_response(status_body(status), 200)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "resources_page": resources_page,
        "upload": upload,
        "upload_status": upload_status,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
