"""The account pages in a real browser (Debian's chromium through Playwright) against ``opencat
serve`` configured with a real SMTP server on a local port: a password reset end to end (the test
reads the mail and follows its link); axe-core on each new page in both languages."""

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import pytest
from aiosmtpd.controller import Controller

from opencat.catalog import accounts, sessions
from opencat.db import resources as db_resources
from tests import factories
from tests.factories import make_dataset
from tests.mailbox import Mailbox, SmtpServer, link_in
from tests.ports import free_port
from tests.system import axe
from tests.system.conftest import Account, Deployment, Launcher, client_catalog
from tests.system.harness import cli

PASSWORD = "a long pass phrase"
NEW_PASSWORD = "another long pass phrase"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller, mailbox)
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def site(
    module_database: str, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """``opencat serve`` that mails through the local SMTP server, a sysadmin made with the CLI."""
    launcher = Launcher(tmp_path_factory.mktemp("accounts"))
    port = free_port()
    env = launcher.env(
        "node",
        module_database,
        f"http://127.0.0.1:{port}",
        smtp_host="127.0.0.1",
        smtp_port=str(smtp.port),
        smtp_starttls="false",
        smtp_from="catalog@example.org",
        linkcheck_allow_private="true",  # the dashboard's link checks target this very server
    )
    made = cli(env, "user", "create", "--sysadmin", "--email", "admin@example.org", "--first-name", "Ad", "--last-name", "Min")  # fmt: skip
    catalog = client_catalog(launcher.root / "client", module_database)
    try:
        server = launcher.start(env, workers=2, port=port)
        yield Deployment(server, module_database, catalog, Account(made["id"], made["api_key"]))
    finally:
        launcher.stop_all()
        catalog.db.dispose()


def person(site: Deployment, first_name: str = "Camille") -> str:
    """A new user with a password; their email."""
    email = f"{uuid.uuid4().hex[:12]}@example.org"
    accounts.create_user(site.catalog, email=email, first_name=first_name, last_name="Martin")
    sessions.set_password(site.catalog, email, PASSWORD)
    return email


def test_reset_a_forgotten_password_by_mail(browser: Any, site: Deployment, smtp: SmtpServer) -> None:
    email = person(site)
    before = len(smtp.mailbox.messages)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{site.url}/login?lang=en")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    assert email in page.get_by_role("status").inner_text()
    message = smtp.mailbox.wait(before + 1)[before]
    assert message["To"] == email
    link = link_in(message)
    assert link.startswith(f"{site.url}/account/password/reset/")
    page.goto(link)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    assert "has been changed" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Sign in", exact=True).last.click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/")
    assert "Camille Martin" in page.get_by_role("navigation", name="Account").inner_text()
    page.goto(link)  # used once: it works no more
    assert page.get_by_role("alert").is_visible()
    context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_the_reset_pages(
    browser: Any,
    site: Deployment,
    smtp: SmtpServer,
    language: str,
) -> None:
    email = person(site)
    before = len(smtp.mailbox.messages)
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    found: dict[str, Any] = {}
    page.goto(f"{site.url}/account/password/reset/?lang={language}")
    found["forgot"] = axe.violations(page)
    page.locator("#email").fill(email)
    page.locator("form.account-form button").click()
    page.wait_for_load_state()
    found["sent"] = axe.violations(page)
    page.goto(link_in(smtp.mailbox.wait(before + 1)[before]))
    found["reset"] = axe.violations(page)
    page.locator("#password").fill("short")
    page.locator("#password_again").fill("short")
    page.locator("#password").evaluate("input => input.removeAttribute('minlength')")
    page.locator("form.account-form button").click()
    page.wait_for_load_state()
    assert page.locator(".field-error").is_visible()
    found["reset-error"] = axe.violations(page)
    page.goto(f"{site.url}/account/password/reset/not-a-token/?lang={language}")
    found["reset-invalid"] = axe.violations(page)
    context.close()
    assert {name: violations for name, violations in found.items() if violations} == {}


@pytest.mark.skipif(
    not os.environ.get("OPENCAT_SCREENSHOTS"), reason="set OPENCAT_SCREENSHOTS=DIR to save them"
)
def test_screenshots_of_the_reset_forms(browser: Any, site: Deployment, smtp: SmtpServer) -> None:
    target = Path(os.environ["OPENCAT_SCREENSHOTS"])
    target.mkdir(parents=True, exist_ok=True)
    email = person(site)
    for width in (1280, 390):
        before = len(smtp.mailbox.messages)
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
        page = context.new_page()
        page.goto(f"{site.url}/account/password/reset/")
        page.locator("#email").fill(email)
        page.screenshot(path=str(target / f"password-forgot-{width}.png"), full_page=True)
        page.locator("form.account-form button").click()
        page.wait_for_load_state()
        page.goto(link_in(smtp.mailbox.wait(before + 1)[before]))
        page.screenshot(path=str(target / f"password-reset-{width}.png"), full_page=True)
        context.close()
    slug, admin_email, newcomer_email = _org_with_admin(site)
    for width in (1280, 390):
        page = signed_in(browser, site, admin_email, viewport={"width": width, "height": 900}, locale="fr-FR")
        page.goto(f"{site.url}/organizations/{slug}/members/")
        if width == 1280:
            page.locator("#member-user").fill(newcomer_email)
            page.locator("form.account-form button").click()
            page.wait_for_load_state()
        page.screenshot(path=str(target / f"members-{width}.png"), full_page=True)
        page.context.close()
    email = _publisher_with_a_broken_link(site)
    for width in (1280, 390):
        page = signed_in(browser, site, email, viewport={"width": width, "height": 900}, locale="fr-FR")
        page.goto(f"{site.url}/account/")
        page.screenshot(path=str(target / f"dashboard-checks-{width}.png"), full_page=True)
        page.context.close()
    slug, admin = _public_dataset(site, "Comptages vélo"), _sysadmin(site)
    for width in (1280, 390):
        page = signed_in(browser, site, admin, viewport={"width": width, "height": 900}, locale="fr-FR")
        page.goto(f"{site.url}/admin/users/?q=Durand")
        page.screenshot(path=str(target / f"admin-users-{width}.png"), full_page=True)
        page.goto(f"{site.url}/datasets/{slug}/curation/")
        page.screenshot(path=str(target / f"curation-{width}.png"), full_page=True)
        page.context.close()


def signed_in(browser: Any, site: Deployment, email: str, **options: Any) -> Any:
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{site.url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.account-form button").click()
    page.wait_for_url(f"{site.url}/")
    return page


def test_checkboxes_sit_beside_their_labels_at_390_px(browser: Any, site: Deployment) -> None:
    page = signed_in(browser, site, person(site), viewport={"width": 390, "height": 900}, locale="fr-FR")
    page.goto(f"{site.url}/datasets/new/")
    for box_id in ("f-private", "f-archived"):
        box = page.locator(f"#{box_id}").bounding_box()
        label = page.locator(f"label[for={box_id}]").bounding_box()
        assert box["x"] + box["width"] <= label["x"]  # on its left
        assert label["y"] - 4 <= box["y"] <= label["y"] + 12  # on the label's first line
        assert label["x"] + label["width"] <= 390
    page.context.close()


def test_tags_and_zones_are_suggested_while_typing(browser: Any, site: Deployment) -> None:
    email = f"{uuid.uuid4().hex[:12]}@example.org"
    user, key = accounts.create_user(site.catalog, email=email, first_name="Paula", last_name="Durand")
    sessions.set_password(site.catalog, email, PASSWORD)
    make_dataset(site.catalog, factories.Account(user, key), tags=["velos-partages", "mobilite"])
    page = signed_in(browser, site, email, locale="fr-FR")
    page.goto(f"{site.url}/datasets/new/")
    page.locator("#f-tags").press_sequentially("mobilite, velos-p", delay=20)
    options = page.locator("#f-tags-suggestions option")
    options.first.wait_for(state="attached")
    assert options.first.get_attribute("value") == "mobilite, velos-partages"
    page.locator("#f-zones").press_sequentially("lyon", delay=20)
    zones = page.locator("#f-zones-suggestions option")
    zones.first.wait_for(state="attached")
    assert zones.first.get_attribute("value") == "fr:epci:200046977"
    # the level named in the page's language, not its id (was "Métropole de Lyon (fr:epci)")
    assert (
        zones.first.get_attribute("label")
        == "Métropole de Lyon — Intercommunalité française (EPCI), 200046977"
    )
    # The same last word after another entry is asked again: the options offered for "lyon"
    # alone would drop "paris" (an entry deleted came back the same way).
    page.locator("#f-zones").fill("")
    page.locator("#f-zones").press_sequentially("paris, lyon", delay=20)
    page.wait_for_function(
        "() => { const o = document.querySelector('#f-zones-suggestions option');"
        " return o !== null && o.value.startsWith('paris, '); }",
        timeout=10_000,
    )
    page.context.close()


def _org_with_admin(site: Deployment) -> tuple[str, str, str]:
    """An organization, the email of its admin (with a password) and of a user not yet a member."""
    admin_email, newcomer_email = person(site, "Ada"), person(site, "Noé")
    admin = accounts.show_user(site.catalog, admin_email).user  # the operator's lookup, by email
    org = accounts.create_organization(site.catalog, name=f"Métropole {uuid.uuid4().hex[:6]}")
    accounts.add_member(site.catalog, org.id, admin.id, "admin")
    return org.slug, admin_email, newcomer_email


def test_manage_members_in_a_browser(browser: Any, site: Deployment) -> None:
    slug, admin_email, newcomer_email = _org_with_admin(site)
    page = signed_in(browser, site, admin_email, locale="en-US")
    page.goto(f"{site.url}/account/?lang=en")
    page.get_by_role("link", name="Manage the members of").click()
    page.wait_for_url(f"**/organizations/{slug}/members/")
    page.get_by_label("Email of their account").fill(newcomer_email)
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_role("button", name="Add the member").click()
    row = page.get_by_role("row").filter(has_text=newcomer_email)
    assert "Noé Martin" in row.inner_text()
    row.get_by_label("Role of Noé Martin", exact=True).select_option("admin")
    row.get_by_role("button", name="Change the role of Noé Martin").click()
    page.wait_for_load_state()
    assert page.get_by_label("Role of Noé Martin", exact=True).input_value() == "admin"
    page.get_by_role("link", name="Remove Noé Martin").click()  # a page asks again
    page.wait_for_load_state()
    assert "Noé Martin will no longer edit the datasets" in page.content()
    page.get_by_role("button", name="Remove the member").click()
    page.wait_for_url(f"**/organizations/{slug}/members/")
    assert newcomer_email not in page.content()
    page.get_by_role("link", name="Remove Ada Martin").click()
    page.get_by_role("button", name="Remove the member").click()  # the last admin stays
    assert "at least one admin" in page.get_by_role("alert").inner_text()
    page.context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_the_members_page(
    browser: Any,
    site: Deployment,
    language: str,
) -> None:
    slug, admin_email, _ = _org_with_admin(site)
    page = signed_in(browser, site, admin_email, bypass_csp=True)
    found: dict[str, Any] = {}
    page.goto(f"{site.url}/organizations/{slug}/members/?lang={language}")
    found["members"] = axe.violations(page)
    page.locator("#member-user").fill("nobody@example.org")
    page.locator("form.account-form button").click()
    page.wait_for_load_state()
    found["members-error"] = axe.violations(page)
    page.locator("a.button.secondary").first.click()  # the confirmation of a removal
    page.wait_for_load_state()
    found["member-remove"] = axe.violations(page)
    page.context.close()
    assert {name: violations for name, violations in found.items() if violations} == {}


def _publisher_with_a_broken_link(site: Deployment) -> str:
    """A user whose dataset has a file whose link was checked (and found broken) by the server."""
    email = f"{uuid.uuid4().hex[:12]}@example.org"
    user, key = accounts.create_user(site.catalog, email=email, first_name="Paula", last_name="Durand")
    sessions.set_password(site.catalog, email, PASSWORD)
    remote = {"title": "Comptages 2024", "url": "https://example.org/c.csv", "filetype": "remote"}
    view = make_dataset(
        site.catalog, factories.Account(user, key), title="Comptages vélo", resources=[remote]
    )
    resource = view.resources[0]
    with site.catalog.db.write() as conn:
        db_resources.update_one(
            conn, replace(resource, url=f"{site.url}/no-such-file.csv"), site.catalog.clock()
        )
    with httpx2.Client(base_url=site.url, timeout=30) as http:
        path = f"/api/1/datasets/{view.dataset.id}/resources/{resource.id}/check/"
        assert http.get(path).json()["check:status"] == 404
    return email


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_the_dashboard_with_checks_and_changes(
    browser: Any,
    site: Deployment,
    language: str,
) -> None:
    email = _publisher_with_a_broken_link(site)
    page = signed_in(browser, site, email, bypass_csp=True)
    page.goto(f"{site.url}/account/?lang={language}")
    assert page.locator("table.checks tr.broken").count() == 1
    assert page.locator("ol.history li").count() >= 1
    violations = axe.violations(page)
    page.context.close()
    assert violations == []


def _sysadmin(site: Deployment) -> str:
    email = f"{uuid.uuid4().hex[:12]}@example.org"
    accounts.create_user(site.catalog, email=email, first_name="Sam", last_name="Admin", sysadmin=True)
    sessions.set_password(site.catalog, email, PASSWORD)
    return email


def _public_dataset(site: Deployment, title: str) -> str:
    user, key = accounts.create_user(
        site.catalog, email=f"{uuid.uuid4().hex[:12]}@example.org", first_name="Paula", last_name="Durand"
    )
    return make_dataset(site.catalog, factories.Account(user, key), title=title).dataset.slug


def test_feature_a_dataset_as_sysadmin_and_see_it_on_the_home_page(browser: Any, site: Deployment) -> None:
    title = f"Comptages vélo {uuid.uuid4().hex[:6]}"
    slug = _public_dataset(site, title)
    page = signed_in(browser, site, _sysadmin(site), locale="en-US")
    page.goto(f"{site.url}/?lang=en")
    featured = page.locator("section[aria-labelledby=featured]")
    assert featured.count() == 0 or title not in featured.inner_text()
    page.goto(f"{site.url}/datasets/{slug}/")
    page.get_by_role("link", name="Badges and featured").click()
    page.get_by_role("button", name="Feature it on the home page").click()
    assert "is featured on the home page" in page.content()
    page.get_by_label("Add a badge").select_option("hvd")
    page.get_by_role("button", name="Add the badge").click()
    assert page.get_by_role("button", name="Remove the badge").count() == 1
    page.goto(f"{site.url}/")
    assert title in page.get_by_role("region", name="Featured datasets").inner_text()
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Users").click()
    page.get_by_label("Find a user (name or email)").fill("Paula")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("button", name="Make sysadmin Paula Durand").count() >= 1
    page.context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_axe_finds_no_violation_on_the_sysadmin_pages(
    browser: Any,
    site: Deployment,
    language: str,
) -> None:
    slug = _public_dataset(site, "Budget primitif")
    page = signed_in(browser, site, _sysadmin(site), bypass_csp=True)
    found: dict[str, Any] = {}
    page.goto(f"{site.url}/admin/users/?lang={language}&q=Paula")
    found["users"] = axe.violations(page)
    page.locator('a[href*="/deactivate"]').first.click()  # the confirmation of a deactivation
    page.wait_for_load_state()
    found["user-deactivate"] = axe.violations(page)
    page.goto(f"{site.url}/datasets/{slug}/curation/?lang={language}")
    found["curation"] = axe.violations(page)
    page.locator("#badge-kind").select_option("spd")
    page.locator("form.account-form button").last.click()
    page.wait_for_load_state()
    found["curation-badge"] = axe.violations(page)
    organization = accounts.create_organization(site.catalog, name=f"Ville {uuid.uuid4().hex[:6]}")
    page.goto(f"{site.url}/organizations/{organization.slug}/curation/?lang={language}")
    found["organization-badges"] = axe.violations(page)
    page.locator("#badge-kind").select_option("public-service")
    page.locator("form.account-form button").last.click()
    page.wait_for_load_state()
    assert page.locator(".badge-list li").count() == 1
    found["organization-badge-given"] = axe.violations(page)
    page.context.close()
    assert {name: violations for name, violations in found.items() if violations} == {}
