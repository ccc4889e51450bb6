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
