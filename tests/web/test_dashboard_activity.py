"""The dashboard's link checks (the last result of each checked file of my datasets and my
organizations', broken links first) and recent changes, on both databases; real link checks
against a local HTTP server."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from opencat.catalog import dashboard, linkcheck
from opencat.catalog.context import Catalog
from opencat.db import resources as db_resources
from opencat.links.checker import LinkPolicy
from tests.api.test_linkcheck import _resource, site  # noqa: F401 - the local HTTP server fixture
from tests.factories import make_dataset, make_org, make_user
from tests.web.publishing import sign_in

EN = {"Accept-Language": "en"}


def test_broken_links_come_first(client: TestClient, catalog: Catalog, site: str) -> None:  # noqa: F811
    me = sign_in(client, catalog, first_name="Paula")
    org = make_org(catalog, "Métropole", **{me.user.id: "editor"})
    stranger = make_user(catalog)
    intranet = replace(catalog, link_policy=LinkPolicy(allow_private=True, timeout=30))
    working = _resource(catalog, f"{site}/data.csv", me)
    broken = _resource(catalog, f"{site}/missing", me)
    theirs = _resource(catalog, f"{site}/missing", stranger)
    unchecked = _resource(catalog, f"{site}/never", me)
    org_dataset = make_dataset(
        catalog,
        me,
        organization=org.id,
        resources=[{"title": "r", "url": "https://example.org/y", "filetype": "remote"}],
    )
    for dataset_id, resource_id in (broken, working, theirs):
        linkcheck.check_resource(intranet, me.actor(catalog), dataset_id, resource_id)
    checks = dashboard.my_link_checks(catalog, me.actor(catalog))
    assert [check.resource.id for check in checks] == [broken[1], working[1]]
    assert checks[0].broken
    assert checks[0].status == 404
    assert not checks[1].broken
    # ``check:date`` is kept naive, as udata says it: read back as the UTC instant it names
    checked_at = checks[0].checked_at
    assert checked_at is not None
    assert checked_at.utcoffset() == timedelta(0)
    assert abs(checked_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert unchecked[1] not in {check.resource.id for check in checks}
    page = client.get("/account/", headers=EN)
    assert page.status_code == 200
    assert "1 broken link, listed first." in page.text
    assert page.text.index(f"{site}/missing") < page.text.index(f"{site}/data.csv")
    assert theirs[0] not in page.text
    french = client.get("/account/")
    assert "1 lien cassé, en tête de liste." in french.text
    # An organization's resources count too.
    org_resource = org_dataset.resources[0]
    with catalog.db.write() as conn:
        db_resources.update_one(conn, replace(org_resource, url=f"{site}/missing"), catalog.clock())
    linkcheck.check_resource(intranet, me.actor(catalog), org_dataset.dataset.id, org_resource.id)
    assert len([c for c in dashboard.my_link_checks(catalog, me.actor(catalog)) if c.broken]) == 2


def test_recent_changes_of_my_datasets_and_organizations(client: TestClient, catalog: Catalog) -> None:
    me = sign_in(client, catalog, first_name="Paula")
    colleague, stranger = make_user(catalog, first_name="Colin"), make_user(catalog, first_name="Sam")
    org = make_org(catalog, "Métropole", **{me.user.id: "admin", colleague.user.id: "editor"})
    assert "Nothing changed yet." not in client.get("/account/", headers=EN).text  # the memberships
    make_dataset(catalog, me, title="Mon jeu")
    make_dataset(catalog, colleague, title="Jeu de Colin", organization=org.id)
    make_dataset(catalog, stranger, title="Jeu de Sam")
    changes = dashboard.my_recent_changes(catalog, me.actor(catalog))
    names = [entry.activity.related_to_name for entry in changes]
    assert names[:2] == ["Jeu de Colin", "Mon jeu"]
    assert "Jeu de Sam" not in names
    assert "Métropole" in names  # the organization's own changes
    page = client.get("/account/", headers=EN).text
    assert "Recent changes" in page
    assert "Jeu de Colin" in page
    assert "Colin Tester" in page  # who made it
    assert "Jeu de Sam" not in page


def test_a_new_user_sees_empty_sections(client: TestClient, catalog: Catalog) -> None:
    sign_in(client, catalog)
    page = client.get("/account/", headers=EN).text
    assert "No link of your files has been checked yet." in page
    assert "Nothing changed yet." in page
