"""The SSRF guard: refused addresses, schemes and URLs, pinned connections, TLS to the pinned address."""

from urllib.parse import quote

import pytest

from opencat.links.checker import LinkPolicy, check_link
from tests.links.network import PUBLIC, FakeInternet, LocalServer, clock

# --- the SSRF guard -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/ok",  # the live test server: it must see nothing
        "http://[::1]/",
        "http://localhost/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[2002:7f00:1::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://224.0.0.1/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://127.1/",
        "http://0x7f.1/",
        "https://127.0.0.1/",
    ],
)
def test_private_targets_are_refused_without_any_connection(
    server: LocalServer, internet: FakeInternet, url: str
) -> None:
    result = internet.check(url.format(port=server.port), allow_private=False)

    assert (result.available, result.status) == (False, None)
    assert result.error is not None
    assert result.error.startswith("refused ")
    assert internet.connected == []
    assert server.seen == []


def test_a_name_with_any_private_address_is_refused(internet: FakeInternet) -> None:
    internet.names["mixed.test"] = [PUBLIC, "10.1.2.3"]

    result = internet.check("http://mixed.test/", allow_private=False)

    assert result.error == "refused mixed.test: no public address"  # not what it resolves to
    assert internet.connected == []


def test_public_name_is_reached_at_the_checked_address(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check("http://public.test/ok", allow_private=False)

    assert (result.available, result.status) == (True, 200)
    assert internet.connected == [(PUBLIC, 80)]
    assert server.seen[0].host == "public.test"


def test_the_name_is_resolved_once_per_hop_so_rebinding_cannot_redirect_the_connection(
    server: LocalServer, internet: FakeInternet
) -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    policy = LinkPolicy(timeout=2.0)
    url = "http://public.test/no-head/501"  # two requests, HEAD then GET
    result = check_link(url, policy, clock, resolve=rebinding, connect=internet.connect)

    assert (result.available, result.status) == (True, 200)
    assert lookups == ["public.test"]
    assert internet.connected == [(PUBLIC, 80), (PUBLIC, 80)]


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/ok",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://localhost/",
        "http://internal.test/",
    ],
)
def test_redirect_from_a_public_host_to_a_private_address_is_refused(
    server: LocalServer, internet: FakeInternet, target: str
) -> None:
    internet.names["internal.test"] = ["10.0.0.7"]
    target = target.format(port=server.port)

    result = internet.check(f"http://public.test/go?to={quote(target)}", allow_private=False)

    assert (result.available, result.status, result.final_url) == (False, None, target)
    assert result.error is not None
    assert result.error.startswith("refused ")
    assert internet.connected == [(PUBLIC, 80)]
    assert [seen.path.split("?")[0] for seen in server.seen] == ["/go"]


@pytest.mark.parametrize(
    "target",
    ["file:///etc/passwd", "ftp://public.test/data.csv", "gopher://public.test/", "javascript:alert(1)"],
)
def test_redirect_to_another_scheme_is_refused(
    server: LocalServer, internet: FakeInternet, target: str
) -> None:
    result = internet.check(f"http://public.test/go?to={quote(target)}", allow_private=False)

    assert (result.available, result.status, result.final_url) == (False, None, target)
    assert result.error is not None
    assert result.error.endswith("is not allowed")
    assert internet.connected == [(PUBLIC, 80)]


def test_malformed_redirect_location_is_refused(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(f"http://public.test/go?to={quote('http://[::1')}")

    assert (result.available, result.error, result.final_url) == (False, "malformed URL", "http://[::1")


# --- refused before any lookup --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("ftp://public.test/data.csv", "ftp"),
        ("file:///etc/passwd", "file"),
        ("javascript:alert(1)", "javascript"),
        ("data:text/plain,hello", "data"),
        ("gopher://public.test/", "gopher"),
        ("public.test/no-scheme", "(none)"),
        ("", "(none)"),
    ],
)
def test_other_schemes_are_refused(internet: FakeInternet, url: str, scheme: str) -> None:
    result = internet.check(url)

    assert (result.url, result.available, result.status) == (url, False, None)
    assert result.error == f"scheme {scheme} is not allowed"
    assert internet.resolved == []


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://[::1", "malformed URL"),
        ("http://public.test:99999/", "malformed URL"),
        ("http://public.test:port/", "malformed URL"),
        ("http://", "malformed host name"),
        ("http:///path", "malformed host name"),
        ("http://exa mple.test/", "malformed host name"),
        ("http://a..b.test/", "malformed host name"),
        ("http://" + "a" * 64 + ".test/", "malformed host name"),
        ("http://a%00b.test/", "malformed host name"),
        ("http://*.test/", "malformed host name"),
    ],
)
def test_malformed_urls_are_refused_without_exceptions(internet: FakeInternet, url: str, error: str) -> None:
    result = internet.check(url)

    assert (result.available, result.status, result.error) == (False, None, error)
    assert internet.resolved == []


# --- TLS --------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("trust_test_certificate")
def test_https_verifies_the_host_name_while_connecting_to_the_pinned_address(
    tls_server: LocalServer, tls_internet: FakeInternet
) -> None:
    result = tls_internet.check("https://public.test/ok", allow_private=False)

    assert (result.available, result.status, result.error) == (True, 200, None)
    assert tls_internet.connected == [(PUBLIC, 443)]
    assert tls_server.seen[0].host == "public.test"


@pytest.mark.usefixtures("trust_test_certificate")
def test_https_certificate_for_another_name_is_refused(tls_internet: FakeInternet) -> None:
    result = tls_internet.check("https://other.test/ok", allow_private=False)

    assert (result.available, result.status) == (False, None)
    assert result.error is not None
    assert result.error.startswith("TLS certificate refused: Hostname mismatch")


def test_https_untrusted_certificate_is_refused(
    tls_internet: FakeInternet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)

    result = tls_internet.check("https://public.test/ok", allow_private=False)

    assert (result.available, result.status) == (False, None)
    assert result.error is not None
    assert result.error.startswith("TLS certificate refused")


def test_plain_http_server_on_the_https_port_is_a_tls_error(
    server: LocalServer, internet: FakeInternet
) -> None:
    internet.routes[PUBLIC, 443] = server.port

    result = internet.check("https://public.test/ok", allow_private=False)

    assert (result.available, result.status) == (False, None)
    assert result.error is not None
    assert result.error.startswith("TLS error: ")
