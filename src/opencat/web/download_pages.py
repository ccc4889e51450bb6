"""A file downloaded from a dataset's page by whoever is signed in (``/datasets/{slug}/resources/{rid}/download/``).

The page's download button leads to the permalink, which, like the store's own file URLs, knows only
API keys: the publisher of a private dataset, signed in with a cookie, got a 404 for their own file.
The button of a private or deleted dataset's file leads here instead: the page's visitor is checked as the page
itself checks them, the download is counted as a permalink's, then the file is sent (from the store,
with the headers the store's URL gives it) or its remote address is followed.
"""

from collections.abc import Iterator

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response, StreamingResponse

from opencat.api.uploads import WholeOnUnreadableRange
from opencat.catalog import downloads
from opencat.domain.datasets import Resource
from opencat.domain.errors import NotFound
from opencat.domain.uploads import served_type
from opencat.web.pages import Site, Visit

# The store's own file headers: an uploaded SVG or HTML-in-.txt runs no script on our origin
# (and every answer says nosniff: app.EVERY_ANSWER).
_FILE_HEADERS = {
    "Cache-Control": "private, no-store",  # a private dataset's file: no shared cache keeps it
    "Content-Security-Policy": "sandbox",
}
_CHUNK = 64 * 1024


async def download(site: Site, visit: Visit) -> Response:
    params = visit.request.path_params
    counted = visit.request.method != "HEAD"  # a link checker's HEAD downloads nothing
    resource = await run_in_threadpool(
        downloads.download_of, site.catalog, visit.actor, str(params["slug"]), str(params["rid"]), counted
    )
    return await _sent(site, resource)


async def community_download(site: Site, visit: Visit) -> Response:
    """A community resource of a private or deleted dataset, the same way."""
    params = visit.request.path_params
    counted = visit.request.method != "HEAD"
    resource = await run_in_threadpool(
        downloads.community_download_of,
        site.catalog,
        visit.actor,
        str(params["slug"]),
        str(params["cid"]),
        counted,
    )
    return await _sent(site, resource)


async def _sent(site: Site, resource: Resource) -> Response:
    """The stored file with the store's headers, or the remote address followed."""
    if not resource.fs_filename:
        return RedirectResponse(resource.url.strip(), status_code=302)
    name = resource.fs_filename.rsplit("/", 1)[-1]
    media_type = served_type(name)
    try:
        local = site.catalog.files.local_path(resource.fs_filename)
    except ValueError:  # a stored name the store refuses (imported data): no such file here
        raise NotFound() from None
    if local is not None:
        return WholeOnUnreadableRange(
            local,
            filename=name,
            media_type=media_type,
            content_disposition_type="attachment",
            headers=_FILE_HEADERS,
        )
    try:
        stream = await run_in_threadpool(site.catalog.files.open, resource.fs_filename)
    except Exception:  # whatever the store raises (OSError, boto's ClientError...): no such file
        raise NotFound() from None

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := stream.read(_CHUNK):
                yield chunk
        finally:
            stream.close()

    headers = {**_FILE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)
