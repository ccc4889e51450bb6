"""Canonical URLs of catalog objects, built from the configured base URLs."""

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Urls:
    """``base`` is this API's public root, where opencat also serves its pages; ``front`` the root of
    an external web front-end, when the pages for people live there instead (``OPENCAT_FRONT_URL``)."""

    base: str
    front: str | None = None

    def api(self, path: str) -> str:
        return f"{self.base}/api/1/{path}"

    def _page(self, path: str) -> str:
        # An external front-end's pages as udata names them (no slash at the end); ours take one.
        return f"{self.base}/{path}/" if self.front is None else f"{self.front}/{path}"

    @property
    def home(self) -> str:
        return f"{self.front or self.base}/"

    def dataset_uri(self, slug: str) -> str:
        return self.api(f"datasets/{slug}/")

    def dataset_page(self, slug: str) -> str:
        return self._page(f"datasets/{slug}")

    def resource_latest(self, resource_id: str) -> str:
        return self.api(f"datasets/r/{resource_id}")

    def organization_uri(self, slug: str) -> str:
        return self.api(f"organizations/{slug}/")

    def organization_page(self, slug: str) -> str:
        return self._page(f"organizations/{slug}")

    def user_uri(self, slug: str) -> str:
        return self.api(f"users/{slug}/")

    def user_page(self, slug: str) -> str:
        return self._page(f"users/{slug}")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def comparable(url: str) -> str:
    """``url`` with what does not change the place it names set aside: the web scheme (http or
    https), the case of the host, its final dot and a default port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.casefold()
    host = (parts.hostname or "").rstrip(".")
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    web = "web" if scheme in _DEFAULT_PORTS else scheme
    rest = parts.path or "/"
    return f"{web}://{host}{rest}" + (f"?{parts.query}" if parts.query else "")
