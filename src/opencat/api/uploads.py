"""Upload handlers: authorize first, stream the body to disk, read udata's chunked-upload fields
into a command, and let the use case carry it out."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, MalformedRangeHeader, Response
from starlette.types import Message, Receive, Scope, Send

from opencat.api import serializers
from opencat.api.conditional import expected_versions, names_current, unmodified_since
from opencat.api.endpoint import (
    RESOURCE_ID,
    Call,
    Reply,
    Services,
    api_key_sent,
    check_mask_before_writing,
    refuse_nul,
    render,
)
from opencat.api.multipart import Received, receive
from opencat.api.openapi import describe, operation_of
from opencat.api.params import invalid_argument
from opencat.api.vary import varying_by_caller
from opencat.catalog import community as community_catalog
from opencat.catalog import downloads, upload_sessions
from opencat.catalog import uploads as use_cases
from opencat.catalog.access import Versions
from opencat.catalog.accounts import authenticate
from opencat.catalog.context import Catalog
from opencat.domain import ids
from opencat.domain.accounts import Actor
from opencat.domain.dates import iso, utc_now
from opencat.domain.errors import NotFound, UploadProblem, UploadRefused
from opencat.domain.uploads import check_chunked, check_part_index, served_type

Target = Callable[[Request], use_cases.UploadTarget]
# A whole file or its last part creates (201) or replaces (200); an earlier part answers progress (200).
_UPLOAD: dict[str, Any] = {
    "status": 201,
    "also": (200,),
    "returns": "UploadAnswer",
    "form": True,
    "auth": "required",
    "errors": (412, 415),
    "headers": ("If-Match",),
    "creates": True,
}
# A community resource is no part of its dataset's version: no ``If-Match``.
_COMMUNITY_UPLOAD = {**_UPLOAD, "returns": "CommunityUploadAnswer", "headers": (), "errors": (415,)}


def _new_resource(request: Request) -> use_cases.UploadTarget:
    return use_cases.UploadTarget(str(request.path_params["ident"]), expected_versions=_if_match(request))


def _if_match(request: Request) -> Versions | None:
    return expected_versions(request.headers.get("if-match"))


def _replace_file(request: Request) -> use_cases.UploadTarget:
    rid = str(request.path_params[RESOURCE_ID])
    if not ids.is_route_uuid(rid):
        raise NotFound()  # udata's ``<uuid:rid>`` route: werkzeug's 404
    return use_cases.UploadTarget(
        str(request.path_params["ident"]), rid, expected_versions=_if_match(request)
    )


def _new_community(request: Request) -> use_cases.UploadTarget:
    return use_cases.UploadTarget(str(request.path_params["ident"]), community=True)


def _community_file(request: Request) -> use_cases.UploadTarget:
    return use_cases.UploadTarget(None, str(request.path_params["community"]), community=True)


def upload_endpoint(name: str, target_of: Target) -> Callable[[Request], Awaitable[Response]]:
    """Uploads bypass the JSON adapter: the body is streamed, never held in memory."""

    async def run(request: Request) -> Response:
        services: Services = request.app.state.services
        cat = services.catalog
        refuse_nul(request)  # PostgreSQL refuses NUL in a text mid-query (a 500)
        actor = await run_in_threadpool(authenticate, cat, api_key_sent(request))
        operation = operation_of(run)  # describe() attaches it below
        returns = None if operation is None else operation.returns
        check_mask_before_writing(request, actor, returns)
        destination = await run_in_threadpool(use_cases.authorize, cat, actor, target_of(request))
        received = await receive(request, lambda: use_cases.open_spool(cat), cat.uploads.max_bytes)
        try:
            command = upload_command(received)
            outcome = await run_in_threadpool(use_cases.run, cat, actor, destination, command)
        finally:
            received.discard()
        call = Call(request, services, actor)
        if outcome.resource is None:
            return varying_by_caller(render(call, Reply({"success": True, "error": None})))
        body = {**_rendered(cat, actor, services, outcome), "success": True}
        rendered = await run_in_threadpool(
            render, call, Reply(body, 201 if outcome.created else 200), True, returns
        )
        return varying_by_caller(rendered)  # as every answer of the API (endpoint._handle)

    run.__name__ = name
    return run


def upload_command(received: Received) -> use_cases.UploadCommand:
    """udata's form fields (udata: udata/core/storages/api.py): no ``totalparts`` (or 1) is a simple upload;
    otherwise a part when a file comes with it, the final call when none does."""
    fields = received.fields
    # udata's parser reads every integer it declares, in this order, whichever the upload uses.
    numbers = {
        name: _integer(fields, name) for name in ("partindex", "partbyteoffset", "totalparts", "chunksize")
    }
    total = numbers["totalparts"]
    if total is None or total <= 1:
        if received.file is None:
            raise UploadRefused(UploadProblem.MISSING_FILE)
        # udata names a simple upload after the file part (its form's ``filename`` is the chunked
        # protocol's): a ``filename`` field must not rename ``x.exe`` past the allow-list.
        name = received.filename or fields.get("filename") or "file"
        return use_cases.SimpleUpload(received.file, name, fields.get("checksum") or None)
    session_id = fields.get("uuid") or ""
    check_chunked(session_id, total)
    if received.file is None:
        return use_cases.FinalCall(
            session_id, total, fields.get("filename") or None, fields.get("checksum") or None
        )
    index = check_part_index(numbers["partindex"], total)
    name = fields.get("filename") or received.filename or "file"
    return use_cases.Chunk(session_id, index, total, numbers["chunksize"], received.file, name)


def _integer(fields: dict[str, str], name: str) -> int | None:
    raw = fields.get(name)
    if raw is None:  # sent empty, it is read too: ``int('')`` fails, as in udata's parser
        return None
    try:
        return int(raw)
    except ValueError as error:  # udata's upload_parser (reqparse, ``type=int``): Python's words
        raise invalid_argument(name, str(error)) from None


def _rendered(
    cat: Catalog, actor: Actor, services: Services, outcome: use_cases.UploadOutcome
) -> dict[str, Any]:
    assert outcome.resource is not None
    if outcome.community is None:
        return serializers.resource(outcome.resource, services.urls, utc_now())
    view = community_catalog.get_community_resource(cat, actor, outcome.community.id)
    return serializers.community_resource(view, actor, services.urls, utc_now())


upload_new_resource = describe(
    "Upload a file as a new resource (simple or chunked)", "upload_new_dataset_resource", **_UPLOAD
)(upload_endpoint("upload_new_resource", _new_resource))
upload_resource_file = describe(
    "Upload a new file for a resource (simple or chunked)", "upload_dataset_resource", **_UPLOAD
)(upload_endpoint("upload_resource_file", _replace_file))


@describe(
    "Which parts of an unfinished chunked upload have arrived (to resume it)",
    "get_upload_status",
    returns="UploadStatus",
    auth="required",
)
def upload_status(call: Call) -> Reply:
    status = upload_sessions.upload_status(call.catalog, call.actor, call.path("uuid"))
    return Reply(status_body(status))


def status_body(status: upload_sessions.UploadStatus) -> dict[str, Any]:
    """The status of an unfinished upload (the pages' session route answers the same)."""
    return {
        "uuid": status.id,
        "filename": status.filename,
        "totalparts": status.total_parts,
        "received": sorted(status.received),
        "bytes_received": sum(status.received.values()),
        "expires_at": iso(status.expires_at),
    }


class WholeOnUnreadableRange(FileResponse):
    """A ``Range`` the server cannot read is ignored: the whole file, ``200`` (RFC 9110 §14.2, as
    udata's Werkzeug does); Starlette answers it a plain-text 400."""

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Starlette answers a range past the end with a 416 of its own, without this response's
        ``Vary``: it is added to it (a private dataset's file is a member's)."""
        vary = self.headers.get("vary")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and vary:
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"vary" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"vary", vary.encode("latin-1"))]}
            await send(message)

        await super().__call__(scope, receive, sending)


@describe(
    "A file of the local store (Range, ETag), to those who may read its resource",
    "get_resource_file",
    media="*/*",
    headers=("If-None-Match",),
    also=(206, 304),
    errors=(410, 416),  # the file of a deleted dataset; a Range past the file's end
    masked=False,
)
async def serve_file(request: Request) -> Response:
    """Files of the local store, with Range, ETag and If-None-Match, as a static server would;
    only to those who may read the resource that holds the file."""
    services: Services = request.app.state.services
    refuse_nul(request)  # PostgreSQL refuses NUL in a text mid-query (a 500)
    key = str(request.path_params["key"])
    if any(part.startswith(".") for part in key.split("/")):
        raise NotFound()
    actor = await run_in_threadpool(authenticate, services.catalog, api_key_sent(request))
    public = await run_in_threadpool(downloads.check_file_readable, services.catalog, actor, key)
    try:
        path = services.catalog.files.local_path(key)
    except ValueError:
        raise NotFound() from None
    if path is None:
        raise NotFound()
    response = WholeOnUnreadableRange(
        path, filename=path.name, media_type=served_type(path.name), content_disposition_type="inline"
    )
    # Shown inline like udata; the sandbox keeps an uploaded SVG or XML from running script on our origin
    # (nosniff is every answer's: app.EVERY_ANSWER).
    # A private dataset's file: no shared cache keeps it, whatever it makes of Vary.
    response.headers["Cache-Control"] = "no-cache" if public else "private, no-cache"
    response.headers["Content-Security-Policy"] = "sandbox"
    stat = path.stat()
    response.set_stat_headers(stat)
    varying_by_caller(response)  # a private dataset's file is served to its members only
    if _client_copy_is_current(request, response.headers["etag"], stat.st_mtime):
        kept = (
            "etag",
            "last-modified",
            "cache-control",
            "content-security-policy",
            "vary",
        )
        return Response(status_code=304, headers={name: response.headers[name] for name in kept})
    return response


def _client_copy_is_current(request: Request, etag: str, modified: float) -> bool:
    """``If-None-Match`` (``*`` or the tag, weakly compared), else ``If-Modified-Since``, as
    werkzeug's ``send_file`` answers them for udata."""
    wanted = request.headers.get("if-none-match")
    if wanted is not None:
        return names_current(wanted, etag)
    since = request.headers.get("if-modified-since")
    return since is not None and unmodified_since(since, datetime.fromtimestamp(modified, UTC))


upload_new_community_resource = describe(
    "Upload a file as a new community resource", "upload_new_community_resource", **_COMMUNITY_UPLOAD
)(upload_endpoint("upload_new_community_resource", _new_community))
upload_community_file = describe(
    "Upload a new file for a community resource", "upload_community_resource", **_COMMUNITY_UPLOAD
)(upload_endpoint("upload_community_file", _community_file))
