"""udata's URL validation for user-supplied links (udata: udata/uris.py)."""

import ipaddress
import re
from urllib.parse import unquote, urlsplit

from opencat.domain.links import LINK_SCHEMES as SCHEMES

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_TLD = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
# A scheme as udata's URL pattern reads one: letters, digits, dots and dashes, then ``://``.
_SCHEMED = re.compile(r"^[a-z0-9.\-]+://", re.IGNORECASE)


def _domain_problem(host: str) -> str | None:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return ""  # no host name udata's pattern reads: its plain ``Invalid URL``
    if len(labels[-1]) < 2:
        return ""  # udata's pattern reads no TLD of one character (``1.2.3``, ``999.1.1.1``)
    # udata checks against a list of known TLDs; we check their shape only (compatibility.md).
    if not _TLD.match(labels[-1]):
        return f"Invalid TLD {labels[-1]}"
    return None


def _is_mask(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """netaddr's ``is_hostmask`` (not a loopback's) or ``is_netmask``, as udata refuses them:
    ``0.0.0.0``, ``255.255.255.255``, ``128.0.0.0``."""
    value, ones = int(address), 2**address.max_prefixlen - 1
    hostmask = (value + 1) & value == 0
    inverted = value ^ ones
    netmask = (inverted + 1) & inverted == 0
    return (hostmask and not address.is_loopback) or netmask


def _host_problem(host: str) -> str | None:
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return "is a local URL"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _domain_problem(host)
    if _is_mask(address):
        return f"{address} is a mask IP"
    if address.is_loopback:
        return "is a local URL"
    if address.is_multicast:
        return f"{address} is a multicast IP"
    if address.is_private or address.is_link_local:
        return "is a private URL"
    if address.is_reserved or address.is_unspecified:
        return "is a private URL"
    return None


def _is_stored_file(url: str, files_url: str | None) -> bool:
    """A URL under the public root of our own file store, without dot segments."""
    if not files_url or not url.startswith(files_url.rstrip("/") + "/"):
        return False
    rest = urlsplit(url[len(files_url.rstrip("/")) :]).path
    return not any(unquote(segment) in (".", "..") for segment in rest.split("/"))


def check_url(value: str, files_url: str | None = None) -> str:
    """The trimmed URL; ValueError with udata's wording when it is not acceptable.

    A URL of our own file store (under ``files_url``) is always valid, even when the store is
    local (the default base URL, ``http://127.0.0.1:8000``): a hosted file's URL is sent back as
    it was read."""
    url = value.strip()
    if any(character.isspace() for character in url):
        raise ValueError(f'Invalid URL "{url}"')
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError(f'Invalid URL "{url}"') from None
    if parts.scheme.lower() not in SCHEMES:
        if _SCHEMED.match(url):  # udata's pattern reads a scheme, then says it is not one it takes
            allowed = ", ".join(SCHEMES)
            raise ValueError(
                f'Invalid URL "{url}": Invalid scheme {parts.scheme.lower()}, allowed schemes: {allowed}'
            )
        raise ValueError(f'Invalid URL "{url}"')
    # A backslash in the authority reads as a slash to browsers (WHATWG): ``http://127.0.0.1\@a.org/``
    # is example.org's to urlsplit and the loopback's to whoever follows the link.
    if not host or "\\" in parts.netloc:
        raise ValueError(f'Invalid URL "{url}"')
    if _is_stored_file(url, files_url):
        return url
    problem = _host_problem(host.strip("[]"))
    if problem is not None:
        raise ValueError(f'Invalid URL "{url}": {problem}' if problem else f'Invalid URL "{url}"')
    return url
