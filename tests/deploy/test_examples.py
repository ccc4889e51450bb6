"""The example deployment files of deploy/: accepted by their own tools (nginx -t, caddy validate,
systemd-analyze verify), and the proxies, run in front of a real ``opencat serve``, carry uploads
(simple and chunked, past nginx's default body limit) and downloads, while every link in the
answers uses the public address (OPENCAT_BASE_URL), whatever Host and X-Forwarded-* say.

A missing tool skips its test on a developer's machine; in CI (``CI=true``) it fails, since
.ci/run installs them.
"""

import hashlib
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from tests.deploy.proxies import (
    DEPLOY,
    HOST,
    Process,
    caddy_config,
    caddy_env,
    find_tool,
    nginx_config,
)
from tests.ports import free_port
from tests.system.harness import Server, cli, opencat_command, server_env

PUBLIC = f"https://{HOST}"
MIB = 1024 * 1024


def tool(name: str) -> str:
    found = find_tool(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing in CI: .ci/run installs it")
        pytest.skip(f"{name} is not installed (apt-get install -y {name})")
    return found


def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    nginx = tool("nginx")
    wrapper = nginx_config(tmp_path, free_port(), free_port(), free_port())
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(wrapper)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr, checked.stderr


def test_the_caddy_example_passes_caddy_validate(tmp_path: Path) -> None:
    caddy = tool("caddy")
    checked = subprocess.run(
        [caddy, "validate", "--config", str(DEPLOY / "caddy" / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env=caddy_env(tmp_path),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    formatted = subprocess.run(
        [caddy, "fmt", str(DEPLOY / "caddy" / "Caddyfile")], capture_output=True, text=True, timeout=60
    )
    assert formatted.stdout == (DEPLOY / "caddy" / "Caddyfile").read_text(), "run: caddy fmt --overwrite"


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    systemd_analyze = tool("systemd-analyze")
    opencat = opencat_command()[0]
    units = ["opencat.service", "opencat-backup.service", "opencat-backup.timer"]
    for unit in units:  # verify checks that the programs exist: point them at this checkout's
        text = (DEPLOY / "systemd" / unit).read_text()
        text = text.replace("/opt/opencat/.venv/bin/opencat", opencat)
        text = text.replace("/etc/opencat/opencat.env", str(DEPLOY / "systemd" / "opencat.env"))
        (tmp_path / unit).write_text(text)
    checked = subprocess.run(
        [systemd_analyze, "verify", "--man=no", *units],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Unknown keys are only warnings (exit 0): any output is a defect of the example.
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_the_env_example_names_only_settings_that_exist() -> None:
    from opencat.config import PREFIX, Settings

    names = re.findall(r"^#?(OPENCAT_[A-Z_]+)=", (DEPLOY / "systemd" / "opencat.env").read_text(), re.M)
    known = {f"{PREFIX}{field.upper()}" for field in Settings.model_fields}
    assert set(names) - known == set()


@dataclass
class Site:
    """opencat behind a proxy: ``url`` is the proxy's local address, ``key`` a sysadmin's API key."""

    url: str
    key: str
    server: Server
    plain_url: str = ""  # nginx's plain HTTP side

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.key}


@pytest.fixture(scope="module")
def opencat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``opencat serve`` on SQLite, its links on the public address; the proxies point at it."""
    root = tmp_path_factory.mktemp("opencat")
    data_dir = root / "data"
    data_dir.mkdir()
    env = server_env(data_dir, f"sqlite:///{data_dir / 'opencat.db'}", PUBLIC, feed_delay_hours="0")
    made = cli(env, "user", "create", "--sysadmin", "--email", "ops@example.org", "--first-name", "Op", "--last-name", "S")  # fmt: skip
    server = Server(env, free_port(), workers=1)
    try:
        yield Site("", made["api_key"], server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def nginx(opencat: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    binary = tool("nginx")
    folder = tmp_path_factory.mktemp("nginx")
    https_port, http_port = free_port(), free_port()
    wrapper = nginx_config(folder, opencat.server.port, http_port, https_port)
    process = Process(
        [binary, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(wrapper)],
        https_port,
        folder / "nginx.out",
    )
    try:
        yield Site(
            f"https://127.0.0.1:{https_port}", opencat.key, opencat.server, f"http://127.0.0.1:{http_port}"
        )
    finally:
        process.stop()


@pytest.fixture(scope="module")
def caddy(opencat: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    binary = tool("caddy")
    folder = tmp_path_factory.mktemp("caddy")
    port = free_port()
    config = caddy_config(folder, opencat.server.port, port)
    process = Process(
        [binary, "run", "--config", str(config), "--adapter", "caddyfile"],
        port,
        folder / "caddy.out",
        env=caddy_env(folder),
    )
    try:
        yield Site(f"http://127.0.0.1:{port}", opencat.key, opencat.server)
    finally:
        process.stop()


@pytest.fixture(params=["nginx", "caddy"])
def site(request: pytest.FixtureRequest) -> Site:
    proxied: Site = request.getfixturevalue(request.param)
    return proxied


def _client(site: Site) -> httpx2.Client:
    # The proxies answer for the public name only; the certificate is the test's own.
    return httpx2.Client(base_url=site.url, headers={"Host": HOST}, verify=False, timeout=60)


def _chunked(http: httpx2.Client, site: Site, url: str, content: bytes, parts: int) -> httpx2.Response:
    size = -(-len(content) // parts)
    fields = {
        "uuid": "6f1c1d1e-2b7a-4c55-9a47-3d1f0e2c9b10",
        "filename": "Big Export.csv",
        "totalparts": str(parts),
    }
    for index in range(parts):
        chunk = content[index * size : (index + 1) * size]
        sent = http.post(
            url,
            data={**fields, "partindex": str(index), "chunksize": str(len(chunk))},
            files={"file": ("blob", chunk)},
            headers=site.headers,
        )
        assert sent.status_code == 200, sent.text
    checksum = hashlib.sha1(content).hexdigest()
    return http.post(url, data={**fields, "checksum": checksum}, headers=site.headers)


def test_uploads_and_downloads_go_through_the_proxy_with_public_links(site: Site) -> None:
    simple = os.urandom(3 * MIB)  # past nginx's default client_max_body_size (1 MiB)
    chunked = os.urandom(5 * MIB // 2)
    with _client(site) as http:
        created = http.post(
            "/api/1/datasets/", json={"title": "Behind a proxy", "description": "x"}, headers=site.headers
        )
        assert created.status_code == 201, created.text
        dataset = created.json()
        assert dataset["uri"] == f"{PUBLIC}/api/1/datasets/{dataset['slug']}/"
        upload_url = f"/api/1/datasets/{dataset['id']}/upload/"
        uploaded = http.post(upload_url, files={"file": ("big.csv", simple)}, headers=site.headers)
        assert uploaded.status_code == 201, uploaded.text
        assembled = _chunked(http, site, upload_url, chunked, parts=2)
        assert assembled.status_code == 201, assembled.text
        for resource, content in ((uploaded.json(), simple), (assembled.json(), chunked)):
            assert resource["url"].startswith(f"{PUBLIC}/resources/")
            downloaded = http.get(resource["url"].removeprefix(PUBLIC))
            assert downloaded.status_code == 200
            assert downloaded.content == content
        feed = http.get("/api/1/datasets/recent.atom")
        assert f'href="{PUBLIC}/api/1/datasets/recent.atom" rel="self"' in feed.text
        assert http.delete(f"/api/1/datasets/{dataset['id']}/", headers=site.headers).status_code == 204


def test_links_ignore_the_host_and_forwarded_headers_a_client_sends(site: Site) -> None:
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    with httpx2.Client(base_url=site.server.url, timeout=30) as direct, _client(site) as proxied:
        for http, headers in ((direct, forged), (proxied, {k: v for k, v in forged.items() if k != "Host"})):
            page = http.get("/api/1/datasets/?page_size=1", headers=headers).json()
            assert page["next_page"] is None or page["next_page"].startswith(PUBLIC)
            feed = http.get("/api/1/datasets/recent.atom", headers=headers).text
            assert "evil.example" not in feed
            assert f'href="{PUBLIC}/"' in feed


def test_the_proxy_keeps_or_makes_a_request_id(site: Site) -> None:
    with _client(site) as http:
        kept = http.get("/api/1/datasets/?page_size=1", headers={"X-Request-ID": "deploy-test-42"})
        made = http.get("/api/1/datasets/?page_size=1")
    assert kept.headers.get_list("X-Request-ID") == ["deploy-test-42"]
    assert len(made.headers.get_list("X-Request-ID")) == 1
    assert re.fullmatch(r"[0-9a-f-]{32,36}", made.headers["X-Request-ID"])
    # An id opencat refuses is replaced by its own, which the proxy answers (it answered the
    # client's, which neither log held for opencat's line).
    with _client(site) as http:
        refused = http.get("/api/1/datasets/?page_size=1", headers={"X-Request-ID": "bad id"})
    assert len(refused.headers.get_list("X-Request-ID")) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-ID"])


def test_metrics_and_readiness_are_not_public(site: Site) -> None:
    with _client(site) as http:
        assert http.get("/metrics").status_code == 404
        assert http.get("/readyz").status_code == 404
        assert http.get("/healthz").status_code == 200


def test_nginx_sends_plain_http_to_https(nginx: Site) -> None:
    with httpx2.Client(base_url=nginx.plain_url, headers={"Host": HOST}, timeout=30) as http:
        answer = http.get("/api/1/datasets/?page_size=1")
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{PUBLIC}/api/1/datasets/?page_size=1"
