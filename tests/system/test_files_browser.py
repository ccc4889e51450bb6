"""Maintaining a dataset's files from a real browser against ``opencat serve``: reorder them with
the keyboard (the move buttons) and by drag and drop, edit one, delete one after its confirmation;
axe-core on the files page with files and on the edit form, in both languages."""

import uuid
from typing import Any

import httpx2
import pytest

from tests.system import axe
from tests.system.conftest import Deployment
from tests.system.test_publish_browser import _person, _signed_in
from tests.system.test_upload_browser import _new_dataset


@pytest.fixture(scope="module")
def publisher(deployment: Deployment) -> str:
    return _person(deployment)


def _with_links(page: Any, deployment: Deployment, names: list[str], language: str = "en") -> str:
    """A new public dataset with one link per name, in that order; its files page's address."""
    dataset_url = _new_dataset(page, deployment, f"Rivers {uuid.uuid4().hex[:6]}")
    for name in reversed(names):  # a new link goes first
        page.goto(f"{dataset_url}resources/new/?lang={language}")
        page.locator("#r-title").fill(name)
        page.locator("#r-url").fill(f"https://example.org/{name}.csv")
        page.locator("form.account-form button").click()
        page.wait_for_url("**/datasets/*/#resource-*")
    return f"{dataset_url}resources/"


def _shown(page: Any) -> list[str]:
    return [str(title).split("⠿")[-1].strip() for title in page.locator("#u-list h3").all_inner_texts()]


def _stored(deployment: Deployment, page: Any) -> list[str]:
    slug = page.url.split("/datasets/", 1)[1].split("/", 1)[0]
    with httpx2.Client(base_url=deployment.url, timeout=30) as http:
        return [r["title"] for r in http.get(f"/api/1/datasets/{slug}/").json()["resources"]]


def test_reorder_by_keyboard_and_by_drag_edit_and_delete(
    browser: Any,
    deployment: Deployment,
    publisher: str,
) -> None:
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    files_url = _with_links(page, deployment, ["north", "south", "east"])
    page.goto(files_url + "?lang=en")
    assert _shown(page) == ["north", "south", "east"]

    # The keyboard: Tab to "Move up east", Enter; the page comes back at the moved file.
    up = page.get_by_role("button", name="Move up east")
    up.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _shown(page) == ["north", "east", "south"]
    assert page.url.endswith("#resource-" + page.locator("#u-list li").nth(1).get_attribute("data-id"))
    page.get_by_role("button", name="Move down north").focus()
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert _shown(page) == ["east", "north", "south"]
    assert _stored(deployment, page) == ["east", "north", "south"]

    # Drag and drop: "south" by its handle onto the top half of "east".
    assert page.locator("#u-list .drag-handle").first.is_visible()
    first = page.locator("#u-list li").first
    box = first.bounding_box()
    assert box is not None
    with page.expect_event("load"):  # the page is loaded again once the order is saved
        page.locator("#u-list li").nth(2).drag_to(first, target_position={"x": 20, "y": 5})
    assert _shown(page) == ["south", "east", "north"]
    assert _stored(deployment, page) == ["south", "east", "north"]

    # Edit one: its title, kind and address.
    page.get_by_role("link", name="Edit east").click()
    page.wait_for_url("**/edit/")
    page.locator("#r-title").fill("East bank")
    page.locator("#r-type").select_option("documentation")
    page.locator("#r-url").fill("https://example.org/east-bank.csv")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_url("**/resources/#resource-*")
    assert _shown(page) == ["south", "East bank", "north"]

    # Delete one, after its confirmation page.
    page.get_by_role("link", name="Delete north").click()
    page.wait_for_url("**/delete/")
    page.get_by_role("button", name="Delete the file").click()
    page.wait_for_url("**/datasets/*/#files")
    assert _stored(deployment, page) == ["south", "East bank"]
    page.context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_the_files_and_edit_pages(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    language: str,
) -> None:
    page = _signed_in(browser, deployment, publisher, bypass_csp=True)  # axe is injected as a script
    files_url = _with_links(page, deployment, ["one", "two"], language)
    found: dict[str, Any] = {}
    page.goto(f"{files_url}?lang={language}")
    found["files"] = axe.violations(page)
    page.locator("#u-list a[href$='/edit/']").first.click()
    page.wait_for_url("**/edit/")
    found["edit"] = axe.violations(page)
    page.locator("#r-url").evaluate("input => input.type = 'text'")  # past the browser's own check
    page.locator("#r-url").fill("not an address")
    page.locator("form.account-form button").click()
    page.wait_for_load_state()
    assert page.locator("#r-url-error").is_visible()
    found["edit with an error"] = axe.violations(page)
    page.context.close()
    assert {name: violations for name, violations in found.items() if violations} == {}


def test_a_stranger_proposes_a_community_file_and_link(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    tmp_path: Any,
) -> None:
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    dataset_url = _new_dataset(page, deployment, f"Bus stops {uuid.uuid4().hex[:6]}")
    page.context.close()
    stranger = _signed_in(browser, deployment, _person(deployment), locale="en-US")
    stranger.goto(dataset_url + "?lang=en")
    stranger.get_by_role("link", name="Propose a resource").click()
    stranger.wait_for_url("**/community/new/")
    stranger.get_by_label("Title").fill("Cleaned stops")
    stranger.get_by_label("Address (URL)").fill("https://example.org/stops.csv")
    stranger.get_by_role("button", name="Propose the link").click()
    stranger.wait_for_url("**/datasets/*/#community-*")
    assert stranger.get_by_role("link", name="Edit Cleaned stops").is_visible()
    stranger.get_by_role("link", name="Propose a resource").click()
    stranger.wait_for_url("**/community/new/")
    small = tmp_path / "stops.geojson"
    small.write_text('{"type": "FeatureCollection", "features": []}')
    stranger.get_by_label("File", exact=True).set_input_files(str(small))
    stranger.get_by_role("button", name="Upload the file").click()
    stranger.locator("section[aria-labelledby=community] li").nth(1).wait_for()  # loaded again, with it
    stranger.wait_for_load_state()
    titles = stranger.locator("section[aria-labelledby=community] h3").all_inner_texts()
    assert sorted(titles) == ["Cleaned stops", "stops.geojson"]
    stranger.context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_the_community_forms(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    language: str,
) -> None:
    page = _signed_in(browser, deployment, publisher, bypass_csp=True)  # axe is injected as a script
    dataset_url = _new_dataset(page, deployment, f"Axe community {uuid.uuid4().hex[:6]}")
    found: dict[str, Any] = {}
    page.goto(f"{dataset_url}community/new/?lang={language}")
    found["propose"] = axe.violations(page)
    page.locator("#r-title").fill("x")
    page.locator("#r-url").evaluate("input => input.type = 'text'")
    page.locator("#r-url").fill("not an address")
    page.locator("form.account-form button").first.click()
    page.wait_for_load_state()
    assert page.locator("#r-url-error").is_visible()
    found["propose with an error"] = axe.violations(page)
    page.locator("#r-url").fill("https://example.org/x")
    page.locator("form.account-form button").first.click()
    page.wait_for_url("**/datasets/*/#community-*")
    found["dataset with one"] = axe.violations(page)
    page.locator("a[href*='/community/'][href$='/delete/']").first.click()
    page.wait_for_url("**/delete/")
    found["delete"] = axe.violations(page)
    page.context.close()
    assert {name: violations for name, violations in found.items() if violations} == {}
