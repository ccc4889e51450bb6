"""What may be stored as a link to a remote file: a web or FTP address (udata: udata/uris.py)."""

from urllib.parse import urlsplit

LINK_SCHEMES = ("http", "https", "ftp", "ftps")


def is_web_link(url: str) -> bool:
    """An http(s) or ftp(s) URL with a host, without spaces or control characters: never a
    ``javascript:``, ``file:`` or ``data:`` address a permalink would redirect a browser to."""
    if any(character.isspace() or ord(character) < 32 for character in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.hostname)


def is_followable(url: str) -> bool:
    """Whether a permalink may send a browser to a stored URL: a web or FTP address, or a path of
    this site. Looser than ``is_web_link`` (a space in a real catalog's URL is redirected
    encoded), but never a ``javascript:`` or ``data:`` address, another scheme, or a line break
    that would end the ``Location`` header (a load of hostile documents may have stored them)."""
    if any(ord(character) < 32 or ord(character) == 127 for character in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.scheme:
        return url.startswith("/") and not url.startswith("//") and "\\" not in url
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.netloc)
