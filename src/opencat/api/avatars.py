"""udata's ``/api/1/avatars/{identifier}/{size}/``: the picture of an account that has none
(data.gouv.fr's front-end components ask for it when a user's ``avatar_thumbnail`` is null, which
is always so here)."""

import hashlib

from starlette.responses import Response

from opencat.api.conditional import names_current
from opencat.api.endpoint import Call
from opencat.api.openapi import describe
from opencat.domain.errors import NotFound
from opencat.domain.identicons import MAX_SIZE, identicon_png

# The picture of an identifier never changes: caches may keep it a day.
CACHE_CONTROL = "public, max-age=86400"


@describe(
    "A deterministic picture for an identifier, size pixels square (1 to 512)",
    "avatars",
    media="image/png",
    masked=False,
    also=(304,),
)
def identicon(call: Call) -> Response:
    spelled = call.path("size")
    # udata's <int:size>: digits only, else no such route.
    size = int(spelled) if spelled.isascii() and spelled.isdigit() and len(spelled) <= 4 else 0
    if not 1 <= size <= MAX_SIZE:
        raise NotFound()
    picture = identicon_png(call.path("identifier"), size)
    tag = f'"{hashlib.sha1(picture).hexdigest()}"'
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if names_current(call.header("if-none-match") or "", tag):
        return Response(status_code=304, headers=headers)
    return Response(picture, media_type="image/png", headers=headers)
