"""The public pages in a real browser (Debian's chromium driven by Playwright) against ``opencat
serve``: search and facets, a dataset, its download and preview, languages, no JavaScript, private and
deleted datasets, and axe-core's accessibility rules on every page type. The screenshots in docs/
come from the demo catalog (tests/system/test_demo_pages.py)."""

from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from opencat.catalog import accounts
from tests.system import axe
from tests.system.conftest import Deployment

CSV = b"commune;annee;mesure\nLyon;2024;12.5\nVilleurbanne;2024;11.0\nBron;2024;9.8\n"


@dataclass
class Site:
    origin: str
    org_slug: str
    user_slug: str
    air: dict[str, Any]
    private_slug: str
    deleted_slug: str

    def pages(self) -> dict[str, str]:
        """One URL per page type."""
        return {
            "home": "/",
            "search": "/datasets/?tag=air",
            "dataset": f"/datasets/{self.air['slug']}/?preview={self.air['resources'][0]['id']}",
            "organization": f"/organizations/{self.org_slug}/",
            "user": f"/users/{self.user_slug}/",
            "not-found": "/datasets/no-such-dataset/",
            "gone": f"/datasets/{self.deleted_slug}/",
        }


def _dataset(http: httpx2.Client, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = http.post("/api/1/datasets/", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def site(deployment: Deployment) -> Site:
    catalog = deployment.catalog
    org = accounts.create_organization(catalog, name="Métropole de Lyon")
    accounts.add_member(catalog, org.id, deployment.admin.id, "admin")
    headers = deployment.admin.headers
    with httpx2.Client(base_url=deployment.url, timeout=60) as http:
        air = _dataset(
            http,
            headers,
            title="Qualité de l'air à Lyon",
            description="Mesures quotidiennes des polluants.\n\nSource : stations de la métropole.",
            organization=org.id,
            tags=["air", "pollution"],
            license="lov2",
            frequency="daily",
            temporal_coverage={"start": "2020-01-01", "end": "2024-12-31"},
        )
        upload = http.post(
            f"/api/1/datasets/{air['id']}/upload/",
            files={"file": ("mesures.csv", CSV, "text/csv")},
            headers=headers,
        )
        assert upload.status_code == 201, upload.text
        air = http.get(f"/api/1/datasets/{air['id']}/").json()
        _dataset(http, headers, title="Qualité de l'air à Paris", description="Indices.", tags=["air"])
        _dataset(
            http,
            headers,
            title="Budget primitif",
            description="Budget.",
            organization=org.id,
            tags=["budget"],
        )
        private = _dataset(
            http, headers, title="Brouillon confidentiel", description="Privé.", tags=["air"], private=True
        )
        deleted = _dataset(http, headers, title="Ancien relevé", description="Supprimé.")
        assert http.delete(f"/api/1/datasets/{deleted['id']}/", headers=headers).status_code == 204
        user_slug = http.get("/api/1/me/", headers=headers).json()["slug"]
    return Site(deployment.url, org.slug, user_slug, air, private["slug"], deleted["slug"])


def _no_foreign_requests(page: Any, origin: str) -> list[str]:
    foreign: list[str] = []
    page.on("request", lambda sent: None if sent.url.startswith(origin + "/") else foreign.append(sent.url))
    return foreign


def test_search_narrow_by_two_facets_open_a_dataset_and_download(browser: Any, site: Site) -> None:
    page = browser.new_page(locale="en-US")
    foreign = _no_foreign_requests(page, site.origin)
    page.goto(f"{site.origin}/?lang=en")
    page.get_by_label("Search the datasets").fill("qualité air")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/datasets/?q=*")
    assert page.get_by_role("heading", name="2 datasets").is_visible()
    page.locator(".facet", has_text="Tag").get_by_role("link", name="pollution").click()
    page.locator(".facet", has_text="Organization").get_by_role("link", name="Métropole de Lyon").click()
    assert "tag=pollution" in page.url
    assert "organization=" in page.url
    assert page.get_by_role("heading", name="1 dataset").is_visible()
    page.get_by_role("link", name="Qualité de l'air à Lyon").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Qualité de l'air à Lyon"
    download = page.get_by_role("link", name="Download mesures.csv")
    href = download.get_attribute("href")
    assert href == f"{site.origin}/api/1/datasets/r/{site.air['resources'][0]['id']}"
    fetched = page.request.get(href)
    assert fetched.ok
    assert fetched.body() == CSV
    assert foreign == []


def test_preview_a_csv_without_javascript(browser: Any, site: Site) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(f"{site.origin}/datasets/{site.air['slug']}/?lang=en")
    page.get_by_role("link", name="Preview the first rows mesures.csv").click()
    table = page.get_by_role("table", name="Preview of mesures.csv")
    assert table.get_by_role("columnheader").all_inner_texts() == ["commune", "annee", "mesure"]
    assert table.get_by_role("row").count() == 4
    assert table.get_by_role("cell", name="Villeurbanne").is_visible()
    context.close()


def test_a_wide_preview_scrolls_in_its_box_on_a_phone(
    browser: Any, site: Site, deployment: Deployment
) -> None:
    """A cell of 400 letters widened the whole page to 3,457 px at 390 px: the file list's grid
    column grew to the table."""
    headers = deployment.admin.headers
    with httpx2.Client(base_url=deployment.url, timeout=60) as http:
        wide = _dataset(http, headers, title="Relevés larges", description="Une cellule longue.")
        content = b"a,b,c,d\n1," + b"x" * 400 + b",3,2024-01-10\n4,5,6,Saint-R\xc3\xa9my-de-Provence\n"
        upload = http.post(
            f"/api/1/datasets/{wide['id']}/upload/", files={"file": ("large.csv", content)}, headers=headers
        )
        assert upload.status_code == 201, upload.text
    page = browser.new_page(locale="en-US", viewport={"width": 390, "height": 800})
    page.goto(f"{site.origin}/datasets/{wide['slug']}/?preview={upload.json()['id']}&lang=en")
    assert page.get_by_role("table", name="Preview of large.csv").is_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] == widths[1], widths
    # ... and the table scrolls in its box, its cells whole: a cell breaking its words anywhere
    # would squeeze "4" and "xxx..." into a column a letter wide instead.
    box = page.get_by_role("table", name="Preview of large.csv").locator("xpath=..")
    assert box.evaluate("node => node.scrollWidth > node.clientWidth")
    # Every cell on one line: the long one made the others as narrow as their longest piece
    # ("2024-/01-10", "Saint-/Rémy-/de-/Provence") while the table fit its box.
    lines = page.locator("table.preview td").evaluate_all(
        "cells => cells.map(node => { const r = document.createRange(); r.selectNodeContents(node);"
        " return r.getClientRects().length; })"
    )
    assert lines == [1] * 8, lines
    page.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_words_longer_than_the_line_break_instead_of_widening_the_page(
    browser: Any, site: Site, deployment: Deployment, width: int
) -> None:
    """A 90-letter tag (the API allows 96), a title, a file name and a format without spaces
    widened the dataset page to 4,800 px."""
    headers = deployment.admin.headers
    with httpx2.Client(base_url=deployment.url, timeout=60) as http:
        long = _dataset(
            http, headers, title="Mots " + "Z" * 200, description="Y" * 300, tags=["b" * 90, "velo"]
        )
        added = http.post(
            f"/api/1/datasets/{long['id']}/resources/",
            json={
                "title": "F" * 250,
                "url": "https://example.org/" + "u" * 300,
                "format": "c" * 60,
                "filetype": "remote",
            },
            headers=headers,
        )
        assert added.status_code == 201, added.text
    page = browser.new_page(locale="fr-FR", viewport={"width": width, "height": 800})
    page.goto(f"{site.origin}/datasets/{long['slug']}/")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] == widths[1], widths
    # The labels beside the long values stay whole words: one line box for the text.
    label = page.locator(".facts dt").first
    assert label.inner_text() == "Format"
    lines = label.evaluate(
        "node => { const r = document.createRange(); r.selectNodeContents(node); return r.getClientRects().length; }"
    )
    assert lines == 1
    page.close()


def test_the_language_switch_is_remembered(browser: Any, site: Site) -> None:
    page = browser.new_page(locale="fr-FR")
    page.goto(f"{site.origin}/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Datasets").first.click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Datasets"


def test_every_page_works_without_javascript(browser: Any, site: Site) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(f"{site.origin}/datasets/?lang=en")
    page.get_by_label("Sort by").select_option("-created")
    page.get_by_role("button", name="Sort").click()
    assert "sort=-created" in page.url
    page.goto(f"{site.origin}/datasets/{site.air['slug']}/")
    assert page.get_by_role("link", name="Download mesures.csv").is_visible()
    context.close()


def test_a_private_dataset_is_invisible(browser: Any, site: Site) -> None:
    page = browser.new_page()
    page.goto(f"{site.origin}/datasets/?tag=air")
    assert page.get_by_text("Brouillon confidentiel").count() == 0
    response = page.goto(f"{site.origin}/datasets/{site.private_slug}/")
    assert response.status == 404


def test_the_404_and_410_pages(browser: Any, site: Site) -> None:
    page = browser.new_page(locale="en-US")
    missing = page.goto(f"{site.origin}/datasets/no-such-dataset/?lang=en")
    assert missing.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    gone = page.goto(f"{site.origin}/datasets/{site.deleted_slug}/")
    assert gone.status == 410
    assert page.get_by_role("heading", level=1).inner_text() == "This page has been deleted"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_any_page_type(browser: Any, site: Site, language: str) -> None:
    # axe is injected as a script: the pages' CSP (rightly) refuses it, so this context bypasses it.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    foreign = _no_foreign_requests(page, site.origin)
    found = {}
    for name, path in site.pages().items():
        separator = "&" if "?" in path else "?"
        page.goto(f"{site.origin}{path}{separator}lang={language}")
        violations = axe.violations(page)
        if violations:
            found[name] = violations
    context.close()
    assert found == {}
    # The 404 and 410 pages' own statuses are the only errors the console shows (no missing file).
    assert sorted(errors) == [
        f"Failed to load resource: the server responded with a status of {status}"
        for status in ("404 (Not Found)", "410 (Gone)")
    ]
    assert foreign == []
