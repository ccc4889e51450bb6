"""The small pieces behind the command line: masked URLs, the served URL, progress output."""

import io
import socket

import pytest

from opencat.commands.progress import Progress
from opencat.commands.serving import choose_base_url, derived_base_url
from opencat.config import Settings
from opencat.db.checks import masked


def test_masked_hides_the_password_only() -> None:
    assert masked("postgresql://opencat:hunter2@db:5432/cat") == "postgresql://opencat:***@db:5432/cat"
    assert masked("sqlite:////srv/opencat.db") == "sqlite:////srv/opencat.db"
    assert "hunter2" not in masked("postgresql://u:hunter2@db:port/x")
    # libpq also reads a password from the query string.
    assert masked("postgresql://u@db/cat?password=hunter2&connect_timeout=3") == (
        "postgresql://u@db/cat?connect_timeout=3&password=***"
    )
    assert "s3cret" not in masked("postgresql://u@db/cat?sslpassword=s3cret")


def test_base_url_of_an_address() -> None:
    assert derived_base_url("127.0.0.1", 8001) == ("http://127.0.0.1:8001", "from --host/--port")
    assert derived_base_url("::1", 8001)[0] == "http://[::1]:8001"


def test_every_address_means_the_machines_name_or_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    url, note = derived_base_url("0.0.0.0", 8002)
    assert url == f"http://{socket.gethostname()}:8002"
    assert "machine's name" in note

    def unresolvable(*_args: object) -> None:
        raise socket.gaierror("no such name")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    url, note = derived_base_url("::", 8002)
    assert url == "http://127.0.0.1:8002"
    assert "does not resolve" in note


def test_an_explicit_base_url_wins_and_a_derived_one_reaches_the_workers() -> None:
    settings = Settings(base_url="https://data.example.org")
    environ = {"OPENCAT_BASE_URL": "https://data.example.org"}
    assert choose_base_url(settings, environ, "127.0.0.1", 9000) == (settings, "from OPENCAT_BASE_URL")
    empty: dict[str, str] = {}
    chosen, _ = choose_base_url(Settings(), empty, "127.0.0.1", 9000)
    assert chosen.base_url == empty["OPENCAT_BASE_URL"] == "http://127.0.0.1:9000"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_off_a_terminal_prints_lines_at_most_every_interval() -> None:
    out = io.StringIO()
    progress = Progress("imported", "datasets", out, interval=3600)
    for done in range(1, 101):
        progress(done, 100)
    assert out.getvalue() == "imported 1/100 datasets\nimported 100/100 datasets\n"


def test_progress_on_a_terminal_draws_a_bar() -> None:
    out = Terminal()
    progress = Progress("indexed", "datasets", out)
    progress(5, 10)
    progress(10, 10)
    drawn = out.getvalue()
    assert drawn.startswith("\r[" + "#" * 15 + "." * 15 + "]  50% indexed 5/10 datasets")
    assert drawn.endswith("100% indexed 10/10 datasets\n")


def test_progress_without_a_total_counts() -> None:
    out = io.StringIO()
    progress = Progress("exported", "kB", out, interval=3600)
    progress(1)
    progress(2)
    progress.finish()
    assert out.getvalue() == "exported 1 kB\nexported 2 kB\n"
