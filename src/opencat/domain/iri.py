"""An IRI written as a URI (werkzeug's ``iri_to_uri``, which udata's redirects go through): a
``Location`` header holds ASCII only, so a stored URL with a host or a path outside it is sent as
its IDNA host and percent-encoded UTF-8."""

import re
from urllib.parse import quote, urlsplit, urlunsplit

# What stays as written: unreserved and reserved characters, and escapes already made.
_SAFE = "!#$%&'()*+,/:;=?@[]~"


# What a URI may not hold as is (RFC 3986): controls, the space, angle brackets, quotes, braces,
# the bar, the backslash, the caret and the backquote; werkzeug escapes them too.
_UNSAFE = re.compile(r'[\x00-\x20\x7f<>"{}|\\^`]')


def iri_to_uri(iri: str) -> str:
    if iri.isascii() and not _UNSAFE.search(iri):
        return iri
    try:
        parts = urlsplit(iri)
    except ValueError:
        return quote(iri, safe=_SAFE)
    netloc = parts.netloc
    if not netloc.isascii():
        netloc = _ascii_netloc(netloc)
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_SAFE),
            quote(parts.query, safe=_SAFE),
            quote(parts.fragment, safe=_SAFE),
        )
    )


def _ascii_netloc(netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:  # not a name IDNA can spell: escaped like the rest
        host = quote(host, safe="")
    return f"{quote(userinfo, safe=_SAFE)}{at}{host}{colon}{port}"
