"""The demo catalog (what ``make serve`` loads) through ``opencat serve`` in headless Chromium: every
page type browsable, with every facet the demo's data gives, axe-core clean in both languages, and
under 100 KB with its stylesheet even for the demo's largest dataset.

``OPENCAT_SCREENSHOTS=docs/screenshots`` also saves each page type at 1280 and 390 px, in French and
English, as ``{page}-{language}-{width}.png``."""

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.ports import free_port
from tests.system import axe
from tests.system.conftest import Launcher
from tests.system.harness import Server, cli, opencat_command
from tests.system.test_pages_browser import _no_foreign_requests

LANGUAGES = ("fr", "en")
WIDTHS = (1280, 390)


@dataclass
class Demo:
    server: Server
    dataset: str  # a dataset page with temporal and spatial coverage and a few resources
    largest: str  # the demo's dataset with the most resources
    organization: str
    user: str
    deleted: str

    @property
    def origin(self) -> str:
        return self.server.url

    def pages(self) -> dict[str, str]:
        return {
            "home": "/",
            "search": "/datasets/",
            "dataset": f"/datasets/{self.dataset}/",
            "organization": f"/organizations/{self.organization}/",
            "user": f"/users/{self.user}/",
            "not-found": "/datasets/no-such-dataset/",
            "gone": f"/datasets/{self.deleted}/",
        }


def _pick(datasets: list[dict[str, Any]]) -> tuple[str, str]:
    """The dataset page shown (coverage in time and space, a handful of resources) and the largest."""
    shown = min(
        (d for d in datasets if d["temporal_coverage"] and d["spatial"] and 3 <= len(d["resources"]) <= 12),
        key=lambda d: d["slug"],
    )
    largest = max(datasets, key=lambda d: len(d["resources"]))
    return shown["slug"], largest["slug"]


@pytest.fixture(scope="module")
def demo(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo catalog served (SQLite runs only: tests/conftest.py's ``BROWSER_FIXTURES``)."""
    launcher = Launcher(tmp_path_factory.mktemp("demo"))
    port = free_port()
    env = launcher.env("node", module_database, f"http://127.0.0.1:{port}")
    admin = cli(env, "user", "create", "--sysadmin", "--email", "admin@example.org", "--first-name", "Ad", "--last-name", "Min")  # fmt: skip
    subprocess.run([*opencat_command(), "load-demo"], env=env, check=True, capture_output=True, timeout=120)
    try:
        server = launcher.start(env, workers=2, port=port)
        headers = {"X-API-KEY": admin["api_key"]}
        with httpx2.Client(base_url=server.url, timeout=60) as http:
            datasets = http.get("/api/1/datasets/", params={"page_size": 100}).json()["data"]
            assert len(datasets) == 40
            shown, largest = _pick(datasets)
            owned = next(d for d in datasets if d["owner"] and d["slug"] not in (shown, largest))
            user = owned["owner"]["slug"]
            organization = max(
                (d["organization"]["slug"] for d in datasets if d["organization"]),
                key=lambda slug: sum(
                    1 for d in datasets if d["organization"] and d["organization"]["slug"] == slug
                ),
            )
            gone = next(d for d in datasets if d["slug"] not in (shown, largest) and d["owner"] is None)
            assert http.delete(f"/api/1/datasets/{gone['id']}/", headers=headers).status_code == 204
        yield Demo(server, shown, largest, organization, user, gone["slug"])
    finally:
        launcher.stop_all()


def _at(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def test_the_demo_catalog_is_browsable_with_its_facets(demo: Demo) -> None:
    with httpx2.Client(base_url=demo.origin, timeout=60) as http:
        home = http.get("/?lang=en").text
        assert "39 public datasets" in home  # 40, one deleted by the fixture
        search = http.get("/datasets/?lang=en").text
        headings = re.findall(r'<section class="facet[^"]*">\s*<h3>([^<]+)</h3>', search)
        # Every facet the demo's data holds (it has no resource schema), each with counts.
        assert headings == [
            "Organization", "Tag", "Format", "License", "Spatial coverage", "Spatial granularity",
            "Badge", "Temporal coverage",
        ]  # fmt: skip
        for heading in headings:
            section = search.split(f"<h3>{heading}</h3>", 1)[1].split("</section>", 1)[0]
            assert re.search(r'<span class="count">\d+</span>', section), heading
        # Excerpts are text: no Markdown marks, tags or comments of the descriptions.
        excerpts = re.findall(r'<p class="excerpt">([^<]*)</p>', search)
        assert len(excerpts) == 20
        marks = re.compile(r"\*\*\w|\w\*\*|###|&lt;!--|\]\(")  # (a text's own "****" stays)
        assert not [excerpt for excerpt in excerpts if marks.search(excerpt)]
        # A zone is one line, whichever spelling the datasets store, and finds what it counts.
        zones = search.split("<h3>Spatial coverage</h3>", 1)[1].split("</section>", 1)[0]
        lines = re.findall(
            r'href="([^"]+)"><span class="name">([^<]+)</span> <span class="count">(\d+)', zones
        )
        assert len({name for _, name, _ in lines}) == len(lines) > 3
        for url, name, count in lines:
            found = http.get(url.replace("&amp;", "&") + "&lang=en").text
            total = re.search(r'<h2 id="count">(\d+) datasets?</h2>', found)
            assert total is not None, name
            assert total[1] == count, name
        assert http.get(f"/datasets/{demo.dataset}/").status_code == 200


def test_the_demo_pages_weigh_under_100_kb_with_their_stylesheet(demo: Demo) -> None:
    with httpx2.Client(base_url=demo.origin, timeout=60) as http:
        css = len(http.get("/static/site.css").content)
        for path in [*demo.pages().values(), f"/datasets/{demo.largest}/"]:
            for language in LANGUAGES:
                page = http.get(_at(path, language))
                assert "<script src" not in page.text
                assert len(page.content) + css < 100_000, (path, language, len(page.content) + css)


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_violation_on_the_demo_pages(browser: Any, demo: Demo, language: str) -> None:
    context = browser.new_context(bypass_csp=True)  # to inject axe (the pages refuse scripts)
    page = context.new_page()
    foreign = _no_foreign_requests(page, demo.origin)
    found = {}
    for name, path in {**demo.pages(), "largest": f"/datasets/{demo.largest}/"}.items():
        page.goto(f"{demo.origin}{_at(path, language)}")
        violations = axe.violations(page)
        if violations:
            found[name] = violations
    context.close()
    assert found == {}
    assert foreign == []


def _focused(page: Any) -> dict[str, str]:
    """The focused element: its tag, text and focus outline."""
    return dict(
        page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                return {tag: e.tagName, text: (e.innerText || e.value || '').trim(), href: e.getAttribute('href') || '',
                        outline: s.outlineStyle, width: s.outlineWidth}; }"""
        )
    )


def test_the_keyboard_reaches_everything_and_focus_is_visible(browser: Any, demo: Demo) -> None:
    page = browser.new_page(locale="en-US")
    page.goto(f"{demo.origin}/?lang=en")
    page.keyboard.press("Tab")
    skip = _focused(page)
    assert (skip["tag"], skip["text"]) == ("A", "Skip to content")
    assert skip["outline"] == "solid"
    assert skip["width"] == "3px"
    assert page.locator("a.skip").bounding_box()["y"] >= 0  # shown on screen when focused
    page.keyboard.press("Enter")
    # From the content, Tab goes to the search field: type, Enter searches.
    for _ in range(5):
        page.keyboard.press("Tab")
        if _focused(page)["tag"] == "INPUT":
            break
    page.keyboard.type("prénoms")
    page.keyboard.press("Enter")
    page.wait_for_url("**/datasets/?q=*")
    # Tab on to the first facet link, Enter narrows; every stop on the way has a visible outline.
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = _focused(page)
        assert focused["outline"] == "solid", focused
        if focused["href"].startswith("/datasets/?q=") and "organization=" in focused["href"]:
            break
    else:
        pytest.fail("no facet link reached by the keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url("**organization=*")
    page.close()


@pytest.mark.parametrize("width", [320, 640])
def test_pages_reflow_at_200_percent_zoom_and_on_small_screens(browser: Any, demo: Demo, width: int) -> None:
    """640 CSS pixels is a 1280 px window at 200 %; 320 is WCAG's reflow width (1.4.10): nothing
    may need a horizontal scroll (a preview table scrolls in its own region)."""
    page = browser.new_page(viewport={"width": width, "height": 800}, locale="fr-FR")
    wide = {}
    for name, path in {**demo.pages(), "largest": f"/datasets/{demo.largest}/"}.items():
        page.goto(f"{demo.origin}{path}")
        sizes = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if sizes[0] > sizes[1]:
            wide[name] = sizes
    page.close()
    assert wide == {}


@pytest.mark.skipif(
    not os.environ.get("OPENCAT_SCREENSHOTS"), reason="set OPENCAT_SCREENSHOTS=DIR to save them"
)
def test_screenshots_of_the_demo_catalog(browser: Any, demo: Demo) -> None:
    target = Path(os.environ["OPENCAT_SCREENSHOTS"])
    target.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900}, locale=language)
            for name, path in demo.pages().items():
                page.goto(f"{demo.origin}{_at(path, language)}")
                page.screenshot(path=str(target / f"{name}-{language}-{width}.png"), full_page=True)
            page.close()
