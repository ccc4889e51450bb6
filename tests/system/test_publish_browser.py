"""Publishing from a real browser (Debian's chromium through Playwright) against ``opencat
serve``: a publisher signs in, creates a private dataset with a previewed description, edits it,
makes it public and finds it in the public search; a stranger is refused the edit page; two
concurrent edits; axe-core on every form (a dataset's, a link's, a deletion's confirmation) and on
the dataset page with its history, in both languages."""

import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.system import axe
from tests.system.conftest import Deployment
from tests.system.harness import opencat_command

PASSWORD = "a long pass phrase"


def _person(deployment: Deployment) -> str:
    account = deployment.new_user()
    with httpx2.Client(base_url=deployment.url, timeout=30) as http:
        email = str(http.get("/api/1/me/", headers=account.headers).json()["email"])
    done = subprocess.run(
        [*opencat_command(), "user", "set-password", email],
        input=f"{PASSWORD}\n",
        env=deployment.server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return email


@pytest.fixture(scope="module")
def publisher(deployment: Deployment) -> str:
    return _person(deployment)


def _signed_in(browser: Any, deployment: Deployment, email: str, **options: Any) -> Any:
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{deployment.url}/login?next=/account/")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.account-form button").click()
    page.wait_for_url("**/account/")
    return page


def test_publish_edit_and_find_a_dataset(browser: Any, deployment: Deployment, publisher: str) -> None:
    title = f"Comptages piétons {uuid.uuid4().hex[:6]}"
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    page.goto(f"{deployment.url}/account/?lang=en")
    page.get_by_role("link", name="New dataset").click()
    page.wait_for_url("**/datasets/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Counted **every hour** at the crossings.")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview of the description")
    assert preview.locator("strong").inner_text() == "every hour"
    page.get_by_label("Tags (optional)").fill("mobility, pedestrians")
    page.get_by_label("Update frequency").select_option("hourly")
    page.get_by_label("Private: only its publishers see it").check()
    page.get_by_role("button", name="Create the dataset").click()
    page.wait_for_url("**/datasets/comptages-pietons-*/")
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert "private" in page.locator("ul.states").inner_text()
    dataset_url = page.url
    with httpx2.Client(base_url=deployment.url, timeout=30) as http:
        assert http.get(dataset_url).status_code == 404  # private: nobody else sees it
    # Edit: public now, with a temporal coverage.
    page.get_by_role("link", name="Edit the dataset").click()
    page.wait_for_url("**/edit/")
    page.get_by_label("Private: only its publishers see it").uncheck()
    page.get_by_label("From").fill("2024-01-01")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_url(dataset_url)
    assert page.locator("ul.states").count() == 0
    # Anyone finds it in the public search.
    visitor = browser.new_context(locale="en-US").new_page()
    visitor.goto(f"{deployment.url}/datasets/?q={title.split()[-1]}&lang=en")
    assert visitor.get_by_role("link", name=title).count() >= 1
    # A stranger signed in is refused its edit page.
    stranger = _signed_in(browser, deployment, _person(deployment), locale="en-US")
    answer = stranger.goto(dataset_url + "edit/?lang=en")
    assert answer is not None
    assert answer.status == 403
    assert stranger.get_by_role("heading", level=1).inner_text() == "Not allowed"


def test_back_then_create_again_makes_nothing_twice(
    browser: Any, deployment: Deployment, publisher: str
) -> None:
    """The back button to a creating form, and its button pressed again: the browser asked the
    blank form again (it is kept by no cache) and filled it with what was typed, but its random
    token was another, so the same form made a second dataset (a second link). A blank form's
    token is now the session's for that form and day: the same sending answers what it made."""
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    title = f"Once only {uuid.uuid4().hex[:6]}"
    page.goto(f"{deployment.url}/datasets/new/?lang=en")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Sent twice by the back button.")
    page.get_by_role("button", name="Create the dataset").click()
    page.wait_for_url("**/datasets/once-only-*/")
    dataset_url = page.url
    page.go_back()
    page.wait_for_url("**/datasets/new/*")
    assert page.get_by_label("Title").input_value() == title
    page.get_by_role("button", name="Create the dataset").click()
    page.wait_for_url("**/datasets/once-only-*/")
    assert page.url == dataset_url
    with httpx2.Client(base_url=deployment.url, timeout=30) as http:
        found = http.get("/api/1/datasets/", params={"q": title.split()[-1], "page_size": 10}).json()
    assert [item["title"] for item in found["data"]] == [title]

    page.goto(f"{dataset_url}resources/new/?lang=en")
    page.locator("#r-title").fill("only link")
    page.locator("#r-url").fill("https://example.org/only.csv")
    page.locator("form.account-form button").click()
    page.wait_for_url("**/datasets/*/#resource-*")
    page.go_back()
    page.wait_for_url("**/resources/new/*")
    page.locator("form.account-form button").click()
    page.wait_for_url("**/datasets/*/#resource-*")
    slug = dataset_url.rstrip("/").rsplit("/", 1)[1]
    with httpx2.Client(base_url=deployment.url, timeout=30) as http:
        resources = http.get(f"/api/1/datasets/{slug}/").json()["resources"]
    assert [resource["title"] for resource in resources] == ["only link"]


def test_a_refused_form_puts_the_focus_on_what_went_wrong(
    browser: Any, deployment: Deployment, publisher: str
) -> None:
    """Refused by the server, the form came back with the focus at the top of the page: a screen
    reader's user was not taken to the summary of what to correct."""
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    page.goto(f"{deployment.url}/datasets/new/?lang=en")
    page.get_by_label("Title").fill("Refused")
    page.get_by_label("Description").fill("A tag too short.")
    page.get_by_label("Tags (optional)").fill("a")
    page.get_by_role("button", name="Create the dataset").click()
    page.wait_for_load_state()
    focused = page.evaluate(
        "document.activeElement.getAttribute('role') + ':' + document.activeElement.innerText"
    )
    assert focused.startswith("alert:The dataset was not saved")
    assert page.get_by_label("Title").input_value() == "Refused"  # what was typed is kept


def test_two_concurrent_edits_in_two_browsers(browser: Any, deployment: Deployment, publisher: str) -> None:
    page = _signed_in(browser, deployment, publisher, locale="en-US")
    page.goto(f"{deployment.url}/datasets/new/?lang=en")
    page.get_by_label("Title").fill(f"Shared {uuid.uuid4().hex[:6]}")
    page.get_by_label("Description").fill("One dataset, two tabs.")
    page.get_by_role("button", name="Create the dataset").click()
    page.wait_for_url("**/datasets/shared-*/")
    edit_url = page.url + "edit/?lang=en"
    other = page.context.new_page()  # a second tab, same publisher
    page.goto(edit_url)
    other.goto(edit_url)
    page.get_by_label("Title").fill("Saved first")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_url("**/datasets/saved-first*/")
    other.get_by_label("Title").fill("Saved second")
    other.get_by_role("button", name="Save the changes").click()
    other.wait_for_load_state()
    alert = other.get_by_role("alert")
    assert "Someone saved this dataset while you were editing it" in alert.inner_text()
    assert other.get_by_label("Title").input_value() == "Saved second"
    page.reload()
    assert page.get_by_role("heading", level=1).inner_text() == "Saved first"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_the_publishing_forms(
    browser: Any,
    deployment: Deployment,
    publisher: str,
    language: str,
) -> None:
    page = _signed_in(browser, deployment, publisher, bypass_csp=True)  # axe is injected as a script
    found: dict[str, Any] = {}
    page.goto(f"{deployment.url}/datasets/new/?lang={language}")
    found["new"] = axe.violations(page)
    page.locator("#f-description").fill("# Title\n\nSome *text*.")
    page.locator("button[value=preview]").click()
    page.wait_for_load_state()
    found["preview"] = axe.violations(page)
    page.locator("#f-title").fill("x")
    page.locator("#f-description").fill("y")
    page.locator("#f-coverage-start").fill("2024-02-01")
    page.locator("#f-zones").fill("nowhere:none")
    page.locator("button[value=save]").click()
    page.wait_for_load_state()
    assert page.locator(".field-error").count() >= 1
    found["errors"] = axe.violations(page)
    page.locator("#f-zones").fill("")
    page.locator("#f-title").fill(f"Axe {language} {uuid.uuid4().hex[:6]}")
    page.locator("button[value=save]").click()
    page.wait_for_url("**/datasets/axe-*/")
    found["dataset"] = axe.violations(page)
    page.goto(page.url + f"edit/?lang={language}")
    found["edit"] = axe.violations(page)
    page.locator("#f-tags").fill("axe, history")
    page.locator("button[value=save]").click()
    page.wait_for_url("**/datasets/axe-*/")
    assert page.locator("ol.history ins").count() >= 1  # a field-by-field change is shown
    found["dataset-with-history"] = axe.violations(page)
    dataset_url = page.url
    page.goto(dataset_url + f"resources/new/?lang={language}")
    found["link"] = axe.violations(page)
    page.locator("#r-title").fill("Axe link")
    page.locator("#r-url").fill("not a url")
    page.locator("#r-url").evaluate("input => input.type = 'text'")  # past the browser's own check
    page.locator("form.account-form button").click()
    page.wait_for_load_state()
    assert page.locator("#r-url-error").is_visible()
    found["link-error"] = axe.violations(page)
    page.locator("#r-url").fill("https://example.org/axe.csv")
    page.locator("form.account-form button").click()
    page.wait_for_url("**/datasets/axe-*/*")
    delete = page.locator("a[href*='/delete/']").first
    page.goto(f"{deployment.url}{delete.get_attribute('href')}?lang={language}")
    found["delete"] = axe.violations(page)
    page.locator("form.account-form button").click()
    page.wait_for_url("**/datasets/axe-*/*")
    assert page.locator("a[href*='/delete/']").count() == 0
    # The dataset deleted from its edit page, after the confirmation page.
    page.goto(dataset_url + f"edit/?lang={language}")
    page.locator(".danger-zone a").click()
    page.wait_for_url("**/delete/")
    found["delete-dataset"] = axe.violations(page)
    page.locator("form.account-form button.danger").click()
    page.wait_for_url(re.compile(r".*/account/\?deleted=[0-9a-f]{24}$"))
    assert page.locator(".notice[role=status]").count() == 1
    found["deleted-notice"] = axe.violations(page)
    assert page.locator("tr", has_text="Axe ").locator(".state").count() >= 1  # shown as deleted
    page.goto(dataset_url)  # its publishers still read it, marked deleted, with nothing to edit
    assert page.locator("ul.states li").count() == 1
    assert page.locator("a[href$='/edit/']").count() == 0
    page.goto(f"{deployment.url}/account/?lang={language}")
    found["dashboard"] = axe.violations(page)
    page.context.close()
    assert {name: violations for name, violations in found.items() if violations} == {}


@pytest.mark.skipif(
    not os.environ.get("OPENCAT_SCREENSHOTS"), reason="set OPENCAT_SCREENSHOTS=DIR to save them"
)
def test_screenshots_of_the_publishing_forms(browser: Any, deployment: Deployment, publisher: str) -> None:
    target = Path(os.environ["OPENCAT_SCREENSHOTS"])
    target.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page = _signed_in(
            browser, deployment, publisher, viewport={"width": width, "height": 900}, locale="fr-FR"
        )
        page.goto(f"{deployment.url}/datasets/new/")
        page.locator("#f-title").fill(f"Comptages vélo {width}")
        page.locator("#f-description").fill(
            "Comptages **horaires** des boucles de la métropole.\n\n- 2024\n- 2025"
        )
        page.locator("#f-tags").fill("vélo, mobilité")
        page.locator("#f-frequency").select_option("hourly")
        page.locator("button[value=preview]").click()
        page.wait_for_load_state()
        page.screenshot(path=str(target / f"dataset-form-{width}.png"), full_page=True)
        page.locator("button[value=save]").click()
        page.wait_for_url("**/datasets/comptages-velo-*/")
        page.goto(page.url + "edit/")
        page.locator("#f-coverage-start").fill("not a date")
        page.locator("#f-coverage-start").evaluate("input => input.type = 'text'")
        page.locator("#f-coverage-start").fill("2024-13-45")
        page.locator("button[value=save]").click()
        page.wait_for_load_state()
        page.screenshot(path=str(target / f"dataset-form-errors-{width}.png"), full_page=True)
        delete_url = page.url.split("/edit/")[0] + "/delete/"
        for language in ("fr", "en"):
            page.goto(f"{delete_url}?lang={language}")
            page.screenshot(path=str(target / f"dataset-delete-{width}-{language}.png"), full_page=True)
        page.locator("form.account-form button.danger").click()
        page.wait_for_url(re.compile(r".*/account/\?deleted=[0-9a-f]{24}$"))
        deleted_url = page.url
        for language in ("fr", "en"):  # the list, with the line that says it was just deleted
            page.goto(f"{deleted_url}&lang={language}")
            page.screenshot(path=str(target / f"dashboard-{width}-{language}.png"), full_page=True)
        page.context.close()
