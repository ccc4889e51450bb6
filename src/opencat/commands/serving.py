"""What ``opencat serve`` decides before serving: its public URL, and what it tells at start."""

import ipaddress
import socket
from collections.abc import MutableMapping

from opencat.config import Settings, variable
from opencat.db.checks import masked

_ANY = ("0.0.0.0", "::")


def derived_base_url(host: str, port: int) -> tuple[str, str]:
    """The base URL of ``--host``/``--port`` and where its host name came from.

    Listening on every address (0.0.0.0, ::) names no host: the machine's name serves when it
    resolves (other machines may reach it), else 127.0.0.1 (this machine only)."""
    note = "from --host/--port"
    if host in _ANY:
        name = socket.gethostname()
        try:
            socket.getaddrinfo(name, port)
        except OSError:
            name = "127.0.0.1"
            note = f"from --port; {host} names no host and this machine's name does not resolve"
        else:
            note = f"from --port and this machine's name ({host} names no host)"
        host = name
    elif ipaddress.ip_address(host).version == 6:
        host = f"[{host}]"
    return f"http://{host}:{port}", note


def choose_base_url(
    settings: Settings, environ: MutableMapping[str, str], host: str, port: int
) -> tuple[Settings, str]:
    """The settings to serve with: OPENCAT_BASE_URL when set, else the address served.

    The derived URL goes into the environment too: the workers read their settings there."""
    name = variable("base_url")
    if environ.get(name):
        return settings, f"from {name}"
    url, note = derived_base_url(host, port)
    environ[name] = url
    return settings.model_copy(update={"base_url": url}), f"{note}; set {name} to choose it"


def banner(settings: Settings, note: str) -> list[str]:
    if settings.storage_url is None:
        store = f"{(settings.data_dir / 'files').resolve()} (local files)"
    else:
        store = settings.storage_url
    return [
        f"data directory: {settings.data_dir.resolve()}",
        f"database: {masked(settings.database_url)}",
        f"file store: {store}",
        f"base URL: {settings.base_url} ({note})",
    ]
