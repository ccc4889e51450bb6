"""What a signed-in publisher sees on the pages (their hidden datasets, never anyone else's) and
their dashboard ``/account/``, on both databases."""

import re
from datetime import date

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset, update_dataset
from opencat.domain.changes import Submitted
from opencat.domain.datasets import Spatial, TemporalCoverage
from tests.conftest import utc
from tests.factories import dataset_changes, make_dataset, make_org, make_user
from tests.web.publishing import sign_in

EN = {"Accept-Language": "en"}


def test_an_owner_sees_their_private_dataset_on_the_pages(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog, first_name="Camille")
    hidden = make_dataset(catalog, owner, title="Secret budget lines", private=True)
    slug = hidden.dataset.slug
    # Nobody signed in: not found, not in the search, not on the user's page.
    assert client.get(f"/datasets/{slug}/").status_code == 404
    assert "Secret budget lines" not in client.get("/datasets/?q=budget").text
    # A stranger signed in: the same.
    stranger = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(stranger, catalog, first_name="Stranger")
    assert stranger.get(f"/datasets/{slug}/").status_code == 404
    assert "Secret budget lines" not in stranger.get("/datasets/?q=budget").text
    # The owner: the page, marked private, with a link to edit it; the search and their page.
    sign_in(client, catalog, owner)
    page = client.get(f"/datasets/{slug}/", headers=EN)
    assert page.status_code == 200
    assert "Secret budget lines" in page.text
    assert '<ul class="badges states"><li>private</li></ul>' in page.text
    assert f'href="/datasets/{slug}/edit/"' in page.text
    assert "Secret budget lines" in client.get("/datasets/?q=budget").text
    assert "Secret budget lines" in client.get(f"/users/{owner.user.slug}/").text
    assert f"/datasets/{slug}/edit/" not in stranger.get("/datasets/?q=budget").text


def test_an_organization_editor_sees_its_private_datasets(client: TestClient, catalog: Catalog) -> None:
    editor = make_user(catalog, first_name="Eddie")
    member_of_other = make_user(catalog, first_name="Other")
    org = make_org(catalog, "Ville de Lyon", **{editor.user.id: "editor"})
    make_org(catalog, "Ville de Nantes", **{member_of_other.user.id: "admin"})
    hidden = make_dataset(catalog, editor, title="Draft bike counts", private=True, organization=org.id)
    sign_in(client, catalog, member_of_other)
    assert client.get(f"/datasets/{hidden.dataset.slug}/").status_code == 404
    assert "Draft bike counts" not in client.get(f"/organizations/{org.slug}/").text
    other = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(other, catalog, editor)
    assert other.get(f"/datasets/{hidden.dataset.slug}/").status_code == 200
    assert "Draft bike counts" in other.get(f"/organizations/{org.slug}/").text


def test_deleted_datasets_stay_out_of_the_owners_search(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    gone = make_dataset(catalog, owner, title="Withdrawn tramway timetable")
    delete_dataset(catalog, owner.actor(catalog), gone.dataset.id)
    sign_in(client, catalog, owner)
    assert "Withdrawn tramway timetable" not in client.get("/datasets/?q=tramway").text
    # The dashboard lists it, marked deleted, without an edit link.
    mine = client.get("/account/", headers=EN)
    assert "Withdrawn tramway timetable" in mine.text
    assert f"/datasets/{gone.dataset.slug}/edit/" not in mine.text
    assert '<span class="state">deleted</span>' in mine.text


def test_the_dashboard_lists_mine_and_my_organizations(client: TestClient, catalog: Catalog) -> None:
    assert client.get("/account/").headers["location"] == "/login?next=/account/"
    me = make_user(catalog, first_name="Maud")
    someone = make_user(catalog, first_name="Someone")
    org = make_org(catalog, "Région Bretagne", **{me.user.id: "admin"})
    elsewhere = make_org(catalog, "Ailleurs", **{someone.user.id: "admin"})
    make_dataset(catalog, me, title="My own notes", private=True)
    archived = make_dataset(catalog, me, title="Old ferry routes", organization=org.id)
    update_dataset(
        catalog,
        me.actor(catalog),
        archived.dataset.id,
        Submitted.of(dataset_changes(archived=utc(2024, 1, 1))),
    )
    make_dataset(catalog, someone, title="Not mine at all", organization=elsewhere.id)
    make_dataset(catalog, someone, title="Someone else's private", private=True)
    sign_in(client, catalog, me)
    page = client.get("/account/", headers=EN)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert "My own notes" in page.text
    assert "Old ferry routes" in page.text
    assert "Région Bretagne" in page.text
    assert '<span class="state">archived</span>' in page.text
    assert '<span class="state">private</span>' in page.text
    assert "Not mine at all" not in page.text
    assert "Someone else" not in page.text
    assert f'href="/datasets/{archived.dataset.slug}/edit/"' in page.text
    assert "Mes jeux de données" in client.get("/account/").text


def test_the_dataset_page_shows_its_history_to_its_editors(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog, first_name="Hélène")
    view = make_dataset(catalog, owner, title="Water quality", tags=["water"])
    update_dataset(
        catalog,
        owner.actor(catalog),
        view.dataset.id,
        Submitted.of(
            dataset_changes(
                title="Drinking water quality",
                resources=[{"title": "Samples 2024", "url": "https://example.org/s.csv"}],
            )
        ),
    )
    slug = "drinking-water-quality"
    # Visitors and strangers: no history.
    assert 'id="history"' not in client.get(f"/datasets/{slug}/").text
    stranger = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(stranger, catalog, first_name="Stranger")
    assert 'id="history"' not in stranger.get(f"/datasets/{slug}/").text
    # The owner: newest first, who, what changed field by field, the resource added.
    sign_in(client, catalog, owner)
    page = client.get(f"/datasets/{slug}/", headers=EN).text
    assert 'id="history"' in page
    history = page[page.index('id="history"') :]
    assert "3 changes in all." in history
    assert history.index("Added a file") < history.index("Created the dataset")
    assert "Changed the dataset" in history
    assert (
        '<span title="title">Title</span>: <del>Water quality</del> → <ins>Drinking water quality</ins>'
        in history
    )
    assert "Added a file</strong> “<bdi>Samples 2024</bdi>”" in history  # quoted the English way
    assert f"Hélène {owner.user.last_name}" in history
    assert f"/api/1/activity/?related_to={view.dataset.id}" in history
    assert "Historique" in client.get(f"/datasets/{slug}/").text


def test_the_history_says_its_values_in_the_pages_language(client: TestClient, catalog: Catalog) -> None:
    """It showed ``private: True → False`` and ISO date-times on the French page."""
    owner = make_user(catalog)
    view = make_dataset(catalog, owner, title="Budget", private=True)
    archived = utc(2026, 12, 5, 17, 48, 34)
    update_dataset(
        catalog,
        owner.actor(catalog),
        view.dataset.id,
        Submitted.of(dataset_changes(private=False, archived=archived)),
    )
    sign_in(client, catalog, owner)
    page = client.get(f"/datasets/{view.dataset.slug}/", headers={"Accept-Language": "fr"}).text
    history = page[page.index('id="history"') :]
    assert "<del>oui</del> → <ins>non</ins>" in history
    assert "5 déc. 2026" in history
    assert "True" not in history
    assert "2026-12-05T17:48:34" not in history
    english = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    assert "<del>yes</del> → <ins>no</ins>" in english[english.index('id="history"') :]


def test_the_history_names_licenses_frequencies_accounts_and_coverages(
    client: TestClient, catalog: Catalog
) -> None:
    """It showed Python's dictionaries for a coverage, ids for an organization, codes for a
    license or a frequency, and an untranslated ``slug``."""
    owner = make_user(catalog)
    org = make_org(catalog, "Ville de Lyon", **{owner.user.id: "admin"})
    view = make_dataset(
        catalog,
        owner,
        title="Budget",
        acronym="BDG",
        license="lov2",
        frequency="hourly",
        temporal_coverage=TemporalCoverage(date(2020, 1, 1), date(2023, 12, 31)),
        spatial=Spatial(("fr:commune:69123",), "fr:commune"),
    )
    changes = dataset_changes(
        license="odc-odbl",
        frequency="daily",
        temporal_coverage=TemporalCoverage(date(2019, 5, 1), None),
        spatial=Spatial(("fr:departement:69",), "fr:departement"),
        organization=org.id,
    )
    update_dataset(catalog, owner.actor(catalog), view.dataset.id, Submitted.of(changes))
    proposal = {"title": "Version nettoyée", "url": "https://example.org/n.csv", "filetype": "remote"}
    proposer = make_user(catalog)
    proposed = client.post(
        "/api/1/datasets/community_resources/",
        json={**proposal, "dataset": view.dataset.id},
        headers=proposer.headers,
    )
    assert proposed.status_code == 201, proposed.text
    sign_in(client, catalog, owner)
    page = client.get(f"/datasets/{view.dataset.slug}/", headers={"Accept-Language": "fr"}).text
    history = page[page.index('id="history"') :]
    for shown in ("1er janvier 2020 \u2013 31 décembre 2023", "1er mai 2019 \u2013", "Lyon ; Commune française",
                  "Quotidienne", "Ville de Lyon", "Open Data Commons Open Database License"):  # fmt: skip
        assert shown in history, shown
    for hidden in ("{'", "'start'", org.id, "hourly", "odc-odbl", "fr:commune:69123", "; fr:commune"):
        assert hidden not in history, hidden
    # A coverage without an end is said as such, and a time says its zone.
    info = page[page.index('class="info"') :]
    assert "depuis le 1er mai 2019" in info[: info.index("</dl>")]
    assert "<dt>Sigle</dt><dd>BDG</dd>" in info[: info.index("</dl>")]
    assert (
        "A ajouté une ressource communautaire</strong> «&nbsp;<bdi>Version nettoyée</bdi>&nbsp;»" in history
    )
    assert re.search(r"\d{2}:\d{2}:\d{2} UTC", history)


def test_the_history_names_a_files_kind(client: TestClient, catalog: Catalog) -> None:
    """It showed ``Type: main → documentation``."""
    owner = make_user(catalog)
    link = {"title": "Notice", "url": "https://example.org/notice.pdf", "filetype": "remote", "type": "main"}
    view = make_dataset(catalog, owner, title="Notices", resources=[link])
    rid = view.resources[0].id
    changed = client.put(
        f"/api/1/datasets/{view.dataset.id}/resources/{rid}/",
        json={**link, "type": "documentation"},
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    sign_in(client, catalog, owner)
    page = client.get(f"/datasets/{view.dataset.slug}/", headers={"Accept-Language": "fr"}).text
    history = page[page.index('id="history"') :]
    assert "Données principales</del> → <ins>Documentation" in history
    assert "main</del>" not in history


def test_the_french_history_keeps_its_colons_with_their_words(client: TestClient, catalog: Catalog) -> None:
    """``Titre: …`` had no space at all before its colon (French puts a no-break space)."""
    owner = make_user(catalog)
    view = make_dataset(catalog, owner, title="Eau")
    edited = client.put(
        f"/api/1/datasets/{view.dataset.id}/", json={"title": "Eau potable"}, headers=owner.headers
    )
    sign_in(client, catalog, owner)
    history = client.get(f"/datasets/{edited.json()['slug']}/", headers={"Accept-Language": "fr"}).text
    assert '<span title="title">Titre</span>&nbsp;: <del>Eau</del>' in history


def test_a_title_turned_right_to_left_does_not_turn_the_page_around_it(
    client: TestClient, catalog: Catalog
) -> None:
    """A title holding U+202E (right-to-left override) reversed what followed it in the heading
    (« Modifier « … LTR » showed its closing quote flipped) and the tab's " · opencat": the
    values a sentence holds, and the tab's title, are isolated (FSI ... PDI) when they hold a
    direction control; other titles are as they were."""
    owner = make_user(catalog)
    turned = make_dataset(catalog, owner, title="Budget \u202eRTL").dataset
    plain = make_dataset(catalog, owner, title="Budget plain").dataset
    sign_in(client, catalog, owner)
    page = client.get(f"/datasets/{turned.slug}/edit/", headers=EN).text
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert heading is not None
    assert "\u2068Budget \u202eRTL\u2069" in heading.group(1)
    tab = re.search(r"<title>(.*?)</title>", page, re.S)
    assert tab is not None
    assert tab.group(1).startswith("\u2068")
    assert tab.group(1).endswith("\u2069 · opencat")
    public = client.get(f"/datasets/{turned.slug}/").text
    assert re.search(r"<title>\u2068[^<]*\u2069 · opencat</title>", public)
    ordinary = client.get(f"/datasets/{plain.slug}/edit/", headers=EN).text
    assert "\u2068" not in ordinary
    assert "\u2069" not in ordinary
