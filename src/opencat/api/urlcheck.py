"""udata's URL validation for user-supplied links (udata-behaviour §3.13)."""

import ipaddress
import re
from urllib.parse import urlsplit

SCHEMES = ("http", "https", "ftp", "ftps")
_TLD = re.compile(r"^[a-z][a-z0-9-]{1,62}$")


def _host_problem(host: str) -> str | None:
    if host == "localhost" or host.endswith(".localhost"):
        return "is a local URL"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        if len(labels) < 2 or not _TLD.match(labels[-1]) or not all(labels):
            return "has an invalid domain"
        return None
    if address.is_private or address.is_loopback or address.is_multicast or address.is_link_local:
        return "is a private URL"
    if address.is_reserved or address.is_unspecified:
        return "is a private URL"
    return None


def check_url(value: str) -> str:
    """The trimmed URL; ValueError with udata's wording when it is not acceptable."""
    url = value.strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError(f'Invalid URL "{url}"') from None
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError(f'Invalid URL "{url}": scheme {parts.scheme or "(none)"} is not allowed')
    if not host:
        raise ValueError(f'Invalid URL "{url}"')
    problem = _host_problem(host.strip("[]"))
    if problem is not None:
        raise ValueError(f'Invalid URL "{url}": {problem}')
    return url
