"""The HTML pages: ``/`` (the portal's own tests are in tests/web/) and the API docs page with its files (the browser tests are in
tests/system/test_docs_page.py)."""

import re

from starlette.testclient import TestClient


def test_the_root_page_links_to_the_docs_the_document_and_the_catalog(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    links = re.findall(r'<a[^>]* href="([^"]+)"', response.text)
    assert "/api/1/" in links
    assert "/api/1/site/catalog" in links


def test_the_docs_page_runs_no_inline_script(client: TestClient) -> None:
    response = client.get("/api/1/")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    assert scripts
    assert all('src="/api/1/docs/' in attributes and not body for attributes, body in scripts)
    assert "http" not in response.text  # every file from this server


def test_the_docs_page_leads_back_and_says_what_it_is_without_javascript(client: TestClient) -> None:
    """It was an empty page without JavaScript, with no way back to the catalog (linked from every page)."""
    text = client.get("/api/1/").text
    links = re.findall(r'<a[^>]* href="([^"]+)"', text)
    assert links[:2] == ["/", "/api/1/swagger.json"]
    noscript = re.search(r"<noscript>(.*?)</noscript>", text, re.S)
    assert noscript is not None
    assert 'href="/api/1/swagger.json"' in noscript[1]
    assert "<main>" in text
    assert (
        '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    )  # phones: 40 % without
    assert text.count("<h1") == 1  # Swagger UI's title is an h2


def test_the_docs_files_are_served_from_the_package(client: TestClient) -> None:
    init = client.get("/api/1/docs/init.js")
    assert init.status_code == 200
    assert init.headers["content-type"].startswith("text/javascript")
    assert '"/api/1/swagger.json"' in init.text
    assert "validatorUrl: null" in init.text
    bundle = client.get("/api/1/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert "SwaggerUIBundle" in bundle.text
    assert client.get("/api/1/docs/swagger-ui.css").status_code == 200


def test_only_the_listed_files_are_served(client: TestClient) -> None:
    for name in ("swagger-initializer.js", "..%2F__init__.py", "LICENSE", "oauth2-redirect.html"):
        response = client.get(f"/api/1/docs/{name}")
        assert response.status_code == 404, name
        assert response.json()["message"]


def test_the_docs_page_without_its_slash_redirects(client: TestClient) -> None:
    response = client.get("/api/1")
    assert response.status_code == 308
    assert response.headers["location"] == "http://testserver/api/1/"
