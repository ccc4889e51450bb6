"""Validation of user-supplied URLs (udata: udata/uris.py, udata's ``uris.validate``)."""

import re

import pytest

from opencat.api.urlcheck import check_url


def invalid(url: str) -> str:
    """The start of udata's message for a refused URL."""
    return f'Invalid URL "{url}"'


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org",
        "https://www.example.com/foo/?bar=baz&inga=42&quux",
        "http://foo.com/blah_(wikipedia)_blah#cite-1",
        "http://foo.bar/?q=Test%20URL-encoded%20stuff",
        "http://example.org/unicode_(✪)_in_path/䨹",
        "http://j.mp",
        "http://1337.net",
        "http://a.b-c.de",
        "https://foo_bar.example.com/",
        "http://例子.测试.com",
        "http://xn--e1afmkfd.xn--p1ai/",
        "ftp://foo.bar/baz",
        "ftps://foo.bar/",
        "HTTPS://EXAMPLE.ORG/Path",
        "http://example.org:8080/index.html",
        "http://142.42.1.1:8080/",
        "http://223.255.255.254",
        "http://[2a00:1450:4007:80e::2004]:8080/",
        "http://userid:password@example.com:8080/",
        "http://userid@example.com",
    ],
)
def test_public_urls_are_accepted_unchanged(url: str) -> None:
    assert check_url(url) == url


def test_surrounding_spaces_are_trimmed() -> None:
    assert check_url("  http://somewhere.com  ") == "http://somewhere.com"
    assert check_url("\thttps://example.org/a\n") == "https://example.org/a"


@pytest.mark.parametrize("scheme", ["irc", "unknown", "file", "javascript", "gopher"])
def test_other_schemes_are_refused(scheme: str) -> None:
    url = f"{scheme}://somewhere.com"
    with pytest.raises(ValueError, match=f"^{re.escape(invalid(url))}.*{scheme}"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost",
        "http://localhost:8080/index.html",
        "http://api.localhost/",
        "HTTP://LOCALHOST/",
    ],
)
def test_local_hosts_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(invalid(url))}: is a local URL$"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1",
        "http://127.0.1.1:8080/index.html",
        "http://[::1]:8080",
        "http://10.1.1.1",
        "http://10.1.1.254:8080/index.html",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fc00::1]:8080",
        "http://[fe80::1]/",
        "http://224.1.1.1",
        "http://[ff00::1]:8080/index.html",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0",
        "http://[::]",
    ],
)
def test_private_loopback_and_multicast_addresses_are_refused(url: str) -> None:
    said = r"(is a (private|local) URL|\S+ is a (multicast|mask) IP)"
    with pytest.raises(ValueError, match=f"^{re.escape(invalid(url))}: {said}$"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1\\@example.org/", "http://localhost\\@example.org/x", "https://[::1]\\@example.org/"],
)
def test_a_backslash_in_the_authority_is_refused(url: str) -> None:
    """urlsplit reads example.org where a browser, taking the backslash for a slash, goes to the
    loopback: the permalink would send visitors there."""
    with pytest.raises(ValueError, match=f"^{re.escape(invalid(url))}$"):
        check_url(url)
    assert check_url("https://example.org/a\\b") == "https://example.org/a\\b"  # in a path: a path


@pytest.mark.parametrize(
    "url",
    [
        "",
        "foo.com",
        "http://",
        "http://..",
        "http://../",
        "http://?",
        "http://#",
        "//",
        "///a",
        "http:///a",
        "rdar://1234",
        "http://foo",
        "http://example.c",
        "http://example.123",
        "http://.www.foo.bar/",
        "http://www.foo.bar./",
        "http://example..org/",
        "http://1.1.1.1.1",
        "http://123.123.123",
        "http://3628126748",
        "http://[fffff:1450:4007:80e::2004]",
        "http://example.org:99999/",
        "http://example.org:port/",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(invalid(url))}"):
        check_url(url)


def test_whitespace_inside_a_url_is_refused() -> None:
    for url in (
        "http:// shouldfail.com",
        "http://exa mple.org/",
        "http://foo.bar?q=Spaces should be encoded",
    ):
        with pytest.raises(ValueError, match=r'^Invalid URL "'):
            check_url(url)


def test_top_level_domains_are_checked_by_shape_not_by_list() -> None:
    # udata keeps a list of known TLDs; we only refuse what cannot be one (compatibility.md).
    with pytest.raises(ValueError, match=r'^Invalid URL "http://somewhere.i2": Invalid TLD i2$'):
        check_url("http://somewhere.i2")
    assert check_url("http://data.intranet/") == "http://data.intranet/"


def test_internationalized_top_level_domains_are_accepted() -> None:
    for url in ("http://例子.中国", "http://somewhere.укр"):
        assert check_url(url) == url


def test_localhost_localdomain_is_refused() -> None:
    with pytest.raises(ValueError, match="is a local URL"):
        check_url("http://localhost.localdomain:8080/")


def test_host_labels_cannot_start_or_end_with_a_dash() -> None:
    for url in ("http://-a.b.co", "http://a.b-.co", "http://-error-.example.org/"):
        with pytest.raises(ValueError, match=r'^Invalid URL "'):
            check_url(url)


FILES = "http://127.0.0.1:8000/resources"


@pytest.mark.parametrize(
    "url",
    [
        f"{FILES}/a-dataset/20240101-000000/data.csv",
        f"{FILES}/a-dataset/20240101-000000/donn%C3%A9es.csv",
        f"  {FILES}/d/x.csv  ",
    ],
)
def test_urls_of_our_own_file_store_are_valid_even_when_local(url: str) -> None:
    with pytest.raises(ValueError, match="is a local URL"):
        check_url(url)
    assert check_url(url, FILES) == url.strip()
    assert check_url(url, FILES + "/") == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/other",
        "http://127.0.0.1:8000/resources",
        "http://127.0.0.1:8000/resourcesx/data.csv",
        "http://127.0.0.1:9999/resources/x",
        "https://127.0.0.1:8000/resources/x",
        "http://localhost:8000/resources/x",
        f"{FILES}/../api/1/me/",
        f"{FILES}/d/%2e%2e/%2E%2E/api/1/me/",
        f"{FILES}/./x",
    ],
)
def test_other_local_urls_stay_refused(url: str) -> None:
    with pytest.raises(ValueError, match="is a local URL"):
        check_url(url, FILES)


def test_a_files_url_does_not_excuse_a_malformed_url() -> None:
    with pytest.raises(ValueError, match="Invalid URL"):
        check_url(f"{FILES}/a b.csv", FILES)
    with pytest.raises(ValueError, match="Invalid URL"):
        check_url("http://127.0.0.1:80x/resources/a", "http://127.0.0.1:80x/resources")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "gopher://x.org/",
            'Invalid URL "gopher://x.org/": Invalid scheme gopher, allowed schemes: http, https, ftp, ftps',
        ),
        (
            "HTTPX://x.org/",
            'Invalid URL "HTTPX://x.org/": Invalid scheme httpx, allowed schemes: http, https, ftp, ftps',
        ),
        ("javascript:alert(1)", 'Invalid URL "javascript:alert(1)"'),
        ("mailto:someone@example.org", 'Invalid URL "mailto:someone@example.org"'),
        ("nope", 'Invalid URL "nope"'),
        ("http://-bad-.example.org/", 'Invalid URL "http://-bad-.example.org/"'),
        ("http://224.0.0.1/", 'Invalid URL "http://224.0.0.1/": 224.0.0.1 is a multicast IP'),
        ("http://example.a/x", 'Invalid URL "http://example.a/x"'),
        ("http://1.2.3/x", 'Invalid URL "http://1.2.3/x"'),
        ("http://999.1.1.1/x", 'Invalid URL "http://999.1.1.1/x"'),
        ("://example.org/x", 'Invalid URL "://example.org/x"'),
        ("http://0.0.0.0/", 'Invalid URL "http://0.0.0.0/": 0.0.0.0 is a mask IP'),
        ("http://128.0.0.0/", 'Invalid URL "http://128.0.0.0/": 128.0.0.0 is a mask IP'),
        ("http://1.255.255.255/", 'Invalid URL "http://1.255.255.255/": 1.255.255.255 is a mask IP'),
    ],
)
def test_refusals_are_worded_as_udatas(url: str, said: str) -> None:
    """udata/uris.py's words: a scheme its pattern reads is named with the allowed ones; what its
    pattern cannot read at all (no ``//``, no host name) is a plain ``Invalid URL``."""
    with pytest.raises(ValueError, match=f"^{re.escape(said)}$"):
        check_url(url)
