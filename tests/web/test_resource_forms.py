"""A dataset's files from the browser, on both databases: add a remote link through the API's
parsing and use case, delete a file after a confirmation page; who may, CSRF."""

from dataclasses import replace

from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import get_dataset
from opencat.config import Settings
from tests.factories import make_dataset, make_org, make_user
from tests.web.publishing import hidden, sign_in

EN = {"Accept-Language": "en"}


def test_add_a_remote_link(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Air quality")
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/", headers=EN)
    assert f'href="/datasets/{view.dataset.slug}/resources/new/"' in page.text
    form_page = client.get(f"/datasets/{view.dataset.slug}/resources/new/", headers=EN)
    assert form_page.status_code == 200
    action = f"/datasets/{view.dataset.id}/resources/new/"
    assert f'action="{action}"' in form_page.text
    # The fields' bounds are the domain's (the format's said 64, the API takes 255).
    assert 'name="format" type="text" value="" maxlength="255"' in form_page.text
    assert 'name="title" type="text" value="" maxlength="350"' in form_page.text
    csrf = hidden(form_page.text, "csrf_token")
    # The API's rules: a title and a valid URL.
    refused = client.post(action, data={"csrf_token": csrf, "title": "", "url": "not a url"}, headers=EN)
    assert refused.status_code == 400
    assert 'id="r-url-error"' in refused.text
    assert 'value="not a url"' in refused.text
    added = client.post(
        action,
        data={
            "csrf_token": csrf,
            "title": "Hourly measures",
            "url": "https://example.org/air.csv",
            "type": "main",
            "format": "CSV",
            # A long description, as real data holds (12,229 characters): the form's size was the
            # sign-in form's (16 KiB), which refused it and lost what was typed.
            "description": "Relevés des stations é " * 1000,
        },
    )
    assert added.status_code == 303
    resources = get_dataset(catalog, me.actor(catalog), view.dataset.id).resources
    assert [(r.title, r.url, r.type, r.format, r.filetype) for r in resources] == [
        ("Hourly measures", "https://example.org/air.csv", "main", "csv", "remote")
    ]
    assert resources[0].description == ("Relevés des stations é " * 1000).strip()
    assert added.headers["location"] == f"/datasets/{view.dataset.slug}/#resource-{resources[0].id}"


def test_delete_a_file_after_confirming(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = make_dataset(
        catalog, me, title="Parks", resources=[{"title": "Park list", "url": "https://example.org/p.csv"}]
    )
    resource = view.resources[0]
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    confirm_path = f"/datasets/{view.dataset.slug}/resources/{resource.id}/delete/"
    assert f'href="{confirm_path}"' in page
    confirm = client.get(confirm_path, headers=EN)
    assert confirm.status_code == 200
    assert "Delete “Park list”" in confirm.text
    assert "its stored copy deleted" in confirm.text
    # A link: nothing stored is deleted, and the page does not say so.
    linked = make_dataset(
        catalog,
        me,
        resources=[{"title": "Elsewhere", "url": "https://example.org/e.csv", "filetype": "remote"}],
    )
    link_page = client.get(
        f"/datasets/{linked.dataset.slug}/resources/{linked.resources[0].id}/delete/", headers=EN
    )
    assert "This link will be removed" in link_page.text
    assert "stored copy" not in link_page.text
    # Nothing is deleted by the confirmation page, nor by a post without its token.
    assert len(get_dataset(catalog, me.actor(catalog), view.dataset.id).resources) == 1
    action = f"/datasets/{view.dataset.id}/resources/{resource.id}/delete/"
    assert client.post(action, data={}).status_code == 403
    assert len(get_dataset(catalog, me.actor(catalog), view.dataset.id).resources) == 1
    done = client.post(action, data={"csrf_token": hidden(confirm.text, "csrf_token")})
    assert done.status_code == 303
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources == []
    assert "Removed a file" in client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    # A resource that is not there (any more): 404.
    assert client.get(confirm_path).status_code == 404


def test_strangers_and_other_organizations_are_refused(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    other_editor = make_user(catalog, first_name="Elsewhere")
    org = make_org(catalog, "Owner's city", **{owner.user.id: "admin"})
    make_org(catalog, "Other city", **{other_editor.user.id: "editor"})
    view = make_dataset(
        catalog,
        owner,
        title="Trees",
        organization=org.id,
        resources=[{"title": "Tree list", "url": "https://example.org/t.csv"}],
    )
    resource = view.resources[0]
    slug = view.dataset.slug
    assert client.get(f"/datasets/{slug}/resources/new/").status_code == 303  # to sign in
    sign_in(client, catalog, other_editor)
    page = client.get(f"/datasets/{slug}/").text
    assert "/resources/new/" not in page
    assert "/delete/" not in page
    assert client.get(f"/datasets/{slug}/resources/new/").status_code == 403
    assert client.get(f"/datasets/{slug}/resources/{resource.id}/delete/").status_code == 403
    csrf = hidden(client.get("/datasets/new/").text, "csrf_token")
    deleting = client.post(
        f"/datasets/{view.dataset.id}/resources/{resource.id}/delete/", data={"csrf_token": csrf}
    )
    assert deleting.status_code == 403
    adding = client.post(
        f"/datasets/{view.dataset.id}/resources/new/",
        data={"csrf_token": csrf, "title": "x", "url": "https://example.org/x"},
    )
    assert adding.status_code == 403
    assert [r.title for r in get_dataset(catalog, owner.actor(catalog), view.dataset.id).resources] == [
        "Tree list"
    ]


def test_a_refused_link_is_explained_in_the_pages_language(client: TestClient, catalog: Catalog) -> None:
    """The API's English words were shown on the French page (``Invalid URL "…": scheme …``)."""
    me = make_user(catalog)
    view = make_dataset(catalog, me)
    sign_in(client, catalog, me)
    action = f"/datasets/{view.dataset.id}/resources/new/"
    csrf = hidden(client.get(f"/datasets/{view.dataset.slug}/resources/new/").text, "csrf_token")
    for url, french in (
        ("gopher://example.org/x", "le schéma gopher n\u2019est pas permis"),
        ("javascript:alert(1)", "javascript:alert(1)\u00a0» n\u2019est pas valide"),
        ("http://127.0.0.1/x", "c\u2019est une adresse locale"),
        ("http://10.1.2.3/x", "c\u2019est une adresse privée"),
        ("http://224.0.0.1/x", "c\u2019est une adresse privée"),
        ("https://intranet/x", "intranet/x\u00a0» n\u2019est pas valide"),
        ("https://example.c0m/x", "son domaine n\u2019est pas valide"),
    ):
        refused = client.post(action, data={"csrf_token": csrf, "title": "T", "url": url})
        assert refused.status_code == 400
        assert french in refused.text, url
        assert "Invalid URL" not in refused.text
        english = client.post(action, data={"csrf_token": csrf, "title": "T", "url": url}, headers=EN)
        assert "Invalid URL" in english.text  # the API's own words, in English


def test_a_link_refused_at_the_files_limit_says_why(
    client: TestClient, catalog: Catalog, settings: Settings
) -> None:
    """The error page said only that nothing was done, in either language."""
    me = make_user(catalog)
    view = make_dataset(catalog, me)
    sign_in(client, catalog, me)
    full = TestClient(
        create_app(settings, catalog=replace(catalog, max_resources=0)),
        base_url=str(client.base_url),
        cookies=client.cookies,
    )
    page = full.get(f"/datasets/{view.dataset.slug}/resources/new/")
    form = {"csrf_token": hidden(page.text, "csrf_token"), "title": "T", "url": "https://example.org/t.csv"}
    if 'name="once"' in page.text:
        form["once"] = hidden(page.text, "once")
    action = f"/datasets/{view.dataset.id}/resources/new/"
    browser = {"Accept": "text/html,application/xhtml+xml"}
    french = full.post(action, data=form, headers={**browser, "Accept-Language": "fr"})
    assert french.status_code == 400
    assert "Un jeu de données ne peut pas avoir plus de 0 fichiers." in french.text
    english = full.post(action, data=form, headers={**browser, **EN})
    assert "A dataset cannot have more than 0 resources." in english.text
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources == []


def test_the_link_form_sent_again_adds_no_second_link(client: TestClient, catalog: Catalog) -> None:
    """The back button restores the filled form; sent again (or twice by a slow click), it added
    the link twice. The same form now answers the link it added; changed, it adds another."""
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Sent twice")
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/resources/new/", headers=EN).text
    action = f"/datasets/{view.dataset.id}/resources/new/"
    form = {
        "csrf_token": hidden(page, "csrf_token"),
        "once": hidden(page, "once"),
        "title": "Timetable",
        "url": "https://example.org/t.csv",
    }
    refused = client.post(action, data=form | {"url": "not a url"}, headers=EN)
    assert refused.status_code == 400
    assert hidden(refused.text, "once") == form["once"]  # a refusal keeps the form's token
    first = client.post(action, data=form)
    again = client.post(action, data=form)
    assert (first.status_code, again.status_code) == (303, 303)
    assert again.headers["location"] == first.headers["location"]
    assert [r.title for r in get_dataset(catalog, me.actor(catalog), view.dataset.id).resources] == [
        "Timetable"
    ]
    changed = client.post(action, data=form | {"title": "Timetable, winter"})
    assert changed.headers["location"] != first.headers["location"]
    other = client.get(f"/datasets/{view.dataset.slug}/resources/new/").text
    # The blank form asked again (the back button asks it: no cache keeps it) carries the same
    # token: filled the same by the browser, it is the same sending.
    assert hidden(other, "once") == form["once"]
    elsewhere = make_dataset(catalog, me, title="Elsewhere").dataset.slug
    assert hidden(client.get(f"/datasets/{elsewhere}/resources/new/").text, "once") != form["once"]
    titles = [r.title for r in get_dataset(catalog, me.actor(catalog), view.dataset.id).resources]
    assert titles == ["Timetable, winter", "Timetable"]


def test_a_nul_in_a_files_or_a_proposals_text_is_said_beside_its_field(
    client: TestClient, catalog: Catalog
) -> None:
    """It was the generic "unreadable form" page, what was typed lost, as the dataset form no
    longer does: a link's, a file's edit and a proposal's forms say it beside the field."""
    me = make_user(catalog)
    view = make_dataset(
        catalog, me, resources=[{"title": "a", "url": "https://example.org/a.csv", "filetype": "remote"}]
    )
    link = view.resources[0]
    sign_in(client, catalog, me)
    said = "Ce champ ne peut contenir de caractère nul."
    slug, dataset_id = view.dataset.slug, view.dataset.id
    csrf = hidden(client.get(f"/datasets/{slug}/resources/new/").text, "csrf_token")
    link_form = {"csrf_token": csrf, "title": "T", "url": "https://example.org/b.csv", "type": "main"}
    added = client.post(f"/datasets/{dataset_id}/resources/new/", data=link_form | {"description": "x\x00y"})
    assert added.status_code == 400
    assert said in added.text
    assert ">xy</textarea>" in added.text  # what was typed, without its NUL
    edit = client.get(f"/datasets/{slug}/resources/{link.id}/edit/").text
    edited = {
        "csrf_token": hidden(edit, "csrf_token"),
        "revision": hidden(edit, "revision"),
        "title": "a\x00b",
        "url": link.url,
        "type": link.type,
    }
    answer = client.post(f"/datasets/{dataset_id}/resources/{link.id}/edit/", data=edited)
    assert answer.status_code == 400
    assert said in answer.text
    proposal = {"csrf_token": csrf, "title": "P", "url": "https://example.org/p", "description": "\x00"}
    proposed = client.post(f"/datasets/{dataset_id}/community/new/", data=proposal)
    assert proposed.status_code == 400
    assert said in proposed.text
    assert [r.title for r in get_dataset(catalog, me.actor(catalog), dataset_id).resources] == ["a"]
