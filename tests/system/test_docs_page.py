"""The API docs page and the root page in a real browser (Debian's chromium driven by Playwright),
against ``opencat serve``: the operations render, nothing errs in the console, nothing is asked of
another host, and ``/`` leads there."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.system.conftest import Deployment


@dataclass
class Visit:
    """What the browser saw while on our pages."""

    page: Any
    origin: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


@pytest.fixture
def browser_on(deployment: Deployment, browser: Any) -> Visit:
    """The docs page in chromium (SQLite runs only: tests/conftest.py's ``BROWSER_FIXTURES``)."""
    page = browser.new_page()
    visit = Visit(page, deployment.url)
    page.on("console", lambda message: message.type == "error" and visit.errors.append(message.text))
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on(
        "request",
        lambda sent: (
            None if sent.url.startswith((visit.origin + "/", "data:")) else visit.foreign.append(sent.url)
        ),
    )
    return visit


def test_the_docs_page_lists_every_operation(browser_on: Visit) -> None:
    page = browser_on.page
    response = page.goto(f"{browser_on.origin}/api/1/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 60
    assert page.get_by_text("/api/1/datasets/{ident}/", exact=True).count() >= 1
    assert browser_on.errors == []
    assert browser_on.foreign == []


def test_the_root_page_links_to_the_docs(browser_on: Visit) -> None:
    page = browser_on.page
    response = page.goto(f"{browser_on.origin}/")
    assert response.status == 200
    assert page.title().endswith("opencat")
    hrefs = [link.get_attribute("href") for link in page.locator("a").all()]
    assert "/api/1/" in hrefs
    assert "/api/1/site/catalog" in hrefs
    page.locator("footer a[href='/api/1/']").click()
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.url == f"{browser_on.origin}/api/1/"
    assert browser_on.errors == []
    assert browser_on.foreign == []
