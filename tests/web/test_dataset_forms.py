"""Creating and editing a dataset from the browser, on both databases: every field through the
API's parsing and use cases, errors beside their fields, the revision guard, who may edit, CSRF."""

import re

from starlette.testclient import TestClient

from opencat.catalog import history, references
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import get_dataset
from opencat.domain.history import Key
from opencat.domain.queries import ActivityQuery
from tests.factories import make_dataset, make_org, make_user
from tests.web.publishing import hidden, sign_in

EN = {"Accept-Language": "en"}
NEW = "/datasets/new/"


def _other_client(client: TestClient) -> TestClient:
    return TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)


def _fields(client: TestClient, path: str) -> dict[str, str]:
    page = client.get(path, headers=EN)
    assert page.status_code == 200, page.text
    fields = {"csrf_token": hidden(page.text, "csrf_token")}
    if 'name="revision"' in page.text:
        fields["revision"] = hidden(page.text, "revision")
    if 'name="once"' in page.text:
        fields["once"] = hidden(page.text, "once")
    return fields


def _error_beside(html: str, field_id: str) -> str:
    found = re.search(rf'<span class="field-error" id="{field_id}-error">([^<]*)</span>', html)
    assert found is not None, f"no error beside {field_id}"
    assert f'aria-describedby="{field_id}' in html or f"{field_id}-error" in html
    return found.group(1)


def test_create_a_dataset_with_every_field(client: TestClient, catalog: Catalog) -> None:
    me = sign_in(client, catalog, first_name="Paula")
    org = make_org(catalog, "Métropole de Lyon", **{me.user.id: "editor"})
    license = references.list_licenses(catalog)[0]
    form = _fields(client, NEW) | {
        "title": "Comptages vélo",
        "acronym": "CV",
        "description": "Les *comptages* des boucles.",
        "tags": "vélo, mobilité",
        "license": license.id,
        "frequency": "daily",
        "coverage_start": "2024-01-01",
        "coverage_end": "2024-12-31",
        "zones": "country:fr",
        "granularity": "country",
        "organization": org.id,
        "private": "1",
        "action": "save",
    }
    created = client.post(NEW, data=form)
    assert created.status_code == 303, created.text
    slug = created.headers["location"].split("/")[2]
    view = get_dataset(catalog, me.actor(catalog), slug)
    d = view.dataset
    assert (d.title, d.acronym, d.description) == ("Comptages vélo", "CV", "Les *comptages* des boucles.")
    assert set(d.tags) == {"velo", "mobilite"}
    assert d.license == license.id
    assert d.frequency == "daily"
    assert d.temporal_coverage is not None
    assert d.temporal_coverage.start.isoformat() == "2024-01-01"
    assert d.spatial is not None
    assert d.spatial.zones == ("country:fr",)
    assert d.spatial.granularity == "country"
    assert d.organization_id == org.id
    assert d.owner_id is None
    assert d.private is True
    assert d.archived is None
    # The page shows it to its publisher, and the history records who created it.
    assert client.get(created.headers["location"]).status_code == 200
    entries = history.list_activity(catalog, me.actor(catalog), ActivityQuery(related_to=d.id))
    assert [entry.activity.key for entry in entries.items] == [Key.DATASET_CREATED]
    assert entries.items[0].actor is not None
    assert entries.items[0].actor.id == me.user.id


def test_validation_errors_are_shown_beside_their_fields(client: TestClient, catalog: Catalog) -> None:
    sign_in(client, catalog)
    form = _fields(client, NEW) | {
        "title": "",
        "description": "  ",
        "frequency": "every blue moon",
        "coverage_start": "not a date",
        "zones": "nowhere:at-all",
    }
    refused = client.post(NEW, data=form, headers=EN)
    assert refused.status_code == 400
    # The API's first refusal is the frequency's (udata coerces it first), then the body's.
    assert (
        _error_beside(refused.text, "f-frequency")
        == "&#39;every blue moon&#39; is not a valid UpdateFrequency"
    )
    assert 'value="not a date"' in refused.text  # what was typed is kept
    form["frequency"] = ""
    refused = client.post(NEW, data=form, headers=EN)
    assert refused.status_code == 400
    assert _error_beside(refused.text, "f-title") == "This field is required."
    assert _error_beside(refused.text, "f-description") == "This field is required."
    french = client.post(NEW, data=form)
    assert _error_beside(french.text, "f-title") == "Ce champ est obligatoire."
    form |= {"title": "T", "description": "D"}
    refused = client.post(NEW, data=form, headers=EN)
    assert refused.status_code == 400
    assert _error_beside(refused.text, "f-coverage") == "Not a valid date value."
    ended = form | {"coverage_start": "", "coverage_end": "2024-12-31"}
    assert (
        _error_beside(client.post(NEW, data=ended, headers=EN).text, "f-coverage")
        == "A coverage with an end date needs its start date too."
    )
    assert _error_beside(client.post(NEW, data=ended).text, "f-coverage").startswith(
        "Une couverture temporelle qui a une date de fin"
    )
    form["coverage_start"] = "2024-01-01"
    refused = client.post(NEW, data=form, headers=EN)
    assert refused.status_code == 400
    assert "nowhere:at-all" in _error_beside(refused.text, "f-zones")


def test_preview_renders_the_markdown_without_saving(client: TestClient, catalog: Catalog) -> None:
    me = sign_in(client, catalog)
    form = _fields(client, NEW) | {
        "title": "Preview me",
        "description": "# Heading\n\nSome **bold** <script>alert(1)</script>",
        "action": "preview",
    }
    shown = client.post(NEW, data=form, headers=EN)
    assert shown.status_code == 200
    assert "<strong>bold</strong>" in shown.text
    assert "<script>alert" not in shown.text
    assert "Preview of the description" in shown.text
    assert "Some **bold**" in shown.text  # the textarea keeps the Markdown
    assert client.get("/account/").text.count("Preview me") == 0
    del me


def test_edit_a_dataset_and_the_revision_guard(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog, first_name="Owner")
    mate = make_user(catalog, first_name="Mate")
    org = make_org(catalog, "Réseau de bus", **{me.user.id: "admin", mate.user.id: "editor"})
    view = make_dataset(catalog, me, title="Bus stops", tags=["bus"], organization=org.id)
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/edit/", headers=EN)
    path = f"/datasets/{view.dataset.id}/edit/"  # where the form is sent
    assert f'action="{path}"' in page.text
    assert 'value="Bus stops"' in page.text
    assert hidden(page.text, "revision") == str(view.dataset.revision)
    # Two editors open the form from the same revision.
    first = _fields(client, path)
    colleague = _other_client(client)
    sign_in(colleague, catalog, mate)
    second = _fields(colleague, path)
    base = {"description": "Some description", "tags": "bus, tram", "action": "save"}
    saved = client.post(path, data=first | base | {"title": "Bus and tram stops", "archived": "1"})
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/datasets/bus-and-tram-stops")
    stored = get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset
    assert stored.title == "Bus and tram stops"
    assert stored.archived is not None
    assert set(stored.tags) == {"bus", "tram"}
    # The second save, made from the older revision, is refused: nothing is overwritten.
    late = colleague.post(path, data=second | base | {"title": "Overwritten?"}, headers=EN)
    assert late.status_code == 409
    assert "Someone saved this dataset while you were editing it" in late.text
    assert 'value="Overwritten?"' in late.text  # the late editor's text is kept
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.title == "Bus and tram stops"
    # Sending again, now from the current revision, is a deliberate choice and goes through.
    again = {"csrf_token": second["csrf_token"], "revision": hidden(late.text, "revision")}
    assert colleague.post(path, data=again | base | {"title": "Overwritten"}).status_code == 303
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.title == "Overwritten"
    # The old slug's edit page leads to the new one; unchecking archived un-archives.
    moved = client.get("/datasets/bus-stops/edit/")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/datasets/overwritten/edit/"
    form = _fields(client, "/datasets/overwritten/edit/")
    assert client.post(path, data=form | base | {"title": "Overwritten"}).status_code == 303
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.archived is None


def test_who_may_reach_the_edit_page(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog, first_name="Owner")
    editor = make_user(catalog, first_name="Editor")
    other_editor = make_user(catalog, first_name="Elsewhere")
    admin = make_user(catalog, first_name="Admin", sysadmin=True)
    org = make_org(catalog, "Ville A", **{owner.user.id: "admin", editor.user.id: "editor"})
    make_org(catalog, "Ville B", **{other_editor.user.id: "editor"})
    public = make_dataset(catalog, owner, title="Public one", organization=org.id)
    private = make_dataset(catalog, owner, title="Private one", organization=org.id, private=True)
    # Not signed in: to the sign-in page.
    path = f"/datasets/{public.dataset.slug}/edit/"
    assert client.get(path).headers["location"] == f"/login?next={path}"
    assert client.get(NEW).headers["location"] == f"/login?next={NEW}"
    # Another organization's editor: 403 on a public dataset, 404 on a private one (as the API).
    sign_in(client, catalog, other_editor)
    assert client.get(path).status_code == 403
    assert client.get(f"/datasets/{private.dataset.slug}/edit/").status_code == 404
    csrf = hidden(client.get(NEW).text, "csrf_token")
    post = client.post(
        path, data={"csrf_token": csrf, "revision": "1", "title": "Mine now", "description": "x"}
    )
    assert post.status_code == 403
    assert get_dataset(catalog, owner.actor(catalog), public.dataset.id).dataset.title == "Public one"
    assert (
        f"/datasets/{public.dataset.slug}/edit/" not in client.get(f"/datasets/{public.dataset.slug}/").text
    )
    # The organization's editor and a sysadmin may.
    for allowed in (editor, admin):
        other = _other_client(client)
        sign_in(other, catalog, allowed)
        assert other.get(path).status_code == 200
        assert other.get(f"/datasets/{private.dataset.slug}/edit/").status_code == 200


def test_forms_without_their_csrf_token_are_refused(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Guarded")
    sign_in(client, catalog, me)
    fields = {"title": "Forged", "description": "x", "action": "save"}
    assert client.post(NEW, data=fields).status_code == 403
    assert client.post(NEW, data=fields | {"csrf_token": "forged"}).status_code == 403
    path = f"/datasets/{view.dataset.slug}/edit/"
    revision = str(view.dataset.revision)
    assert client.post(path, data=fields | {"revision": revision}).status_code == 403
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.title == "Guarded"
    assert "Forged" not in client.get("/account/").text


def test_a_form_body_that_is_not_utf8_is_refused_not_saved_as_replacement_characters(
    client: TestClient, catalog: Catalog
) -> None:
    """A title of ``%FF%FE`` was saved as "��" (slug ``dataset``) by the dataset, file and key
    forms, while others refused it: every page sends UTF-8, so such a body is no page's form."""
    from urllib.parse import urlencode

    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Kept")
    sign_in(client, catalog, me)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    path = f"/datasets/{view.dataset.slug}/edit/"
    for target in (NEW, path):
        body = urlencode(_fields(client, target)) + "&title=%FF%FE&description=d&action=save"
        answer = client.post(target, content=body.encode(), headers=form | EN)
        assert answer.status_code == 400, (target, answer.status_code)
        assert "This form could not be read." in answer.text
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.title == "Kept"
    assert "\ufffd" not in client.get("/account/").text
    # UTF-8, encoded as a browser does: taken.
    body = urlencode(_fields(client, path) | {"title": "Vélo €", "description": "d", "action": "save"})
    assert client.post(path, content=body.encode(), headers=form).status_code == 303
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.title == "Vélo €"


def test_nul_in_a_path_an_argument_or_a_form_is_refused_not_a_500(
    client: TestClient, catalog: Catalog
) -> None:
    """PostgreSQL refuses NUL in text: the pages answered 500 there (SQLite stored the NUL)."""
    me = sign_in(client, catalog)
    make_dataset(catalog, me, title="Horaires")
    for path in ("/datasets/a%00b/", "/organizations/a%00b/", "/users/a%00b/"):
        assert client.get(path).status_code == 404, path
    for path in ("/datasets/?q=a%00b", "/admin/users/?q=a%00b", "/datasets/?tag=x%00"):
        answer = client.get(path, headers=EN)
        assert answer.status_code == 400, path
        # A link, not a form: the page says so (it said the form had expired).
        assert "Unreadable address" in answer.text, path
        assert "Form refused" not in answer.text, path
    # A NUL pasted into a text field is said beside it, the form kept (without the NUL); the
    # whole form was refused, what was typed lost.
    for field, title, zones in (("title", "a\x00b", ""), ("zones", "Titre", "country:fr\x00")):
        form = _fields(client, NEW) | {"title": title, "description": "D", "zones": zones, "action": "save"}
        refused = client.post(NEW, data=form, headers=EN)
        assert refused.status_code == 400, refused.text
        assert "\x00" not in refused.text
        assert _error_beside(refused.text, f"f-{field}") == "This field cannot hold a NUL character."
        assert 'value="ab"' in refused.text or 'value="country:fr"' in refused.text
        french = client.post(NEW, data=form)
        assert _error_beside(french.text, f"f-{field}") == "Ce champ ne peut contenir de caractère nul."
    edit = "/datasets/horaires/edit/"  # the dataset made above
    edited = client.post(
        edit, data=_fields(client, edit) | {"description": "D\x00", "action": "save"}, headers=EN
    )
    assert _error_beside(edited.text, "f-description") == "This field cannot hold a NUL character."
    hostile = _fields(client, NEW) | {"title": "T", "description": "D", "revision\x00": "1", "action": "save"}
    assert "This form could not be read." in client.post(NEW, data=hostile, headers=EN).text  # a name
    keys = client.get("/account/keys/")
    named = {"csrf_token": hidden(keys.text, "csrf_token"), "name": "k\x00"}
    assert client.post("/account/keys/", data=named).status_code == 400
    assert [item["title"] for item in client.get("/api/1/datasets/").json()["data"]] == ["Horaires"]
    client.cookies.clear()
    login = client.get("/login")
    form = {"csrf_token": hidden(login.text, "csrf_token"), "email": "a\x00@example.org", "password": "x"}
    assert client.post("/login", data=form).status_code == 400


def test_the_license_list_speaks_the_pages_language(client: TestClient, catalog: Catalog) -> None:
    """udata's generic license titles are English: a French page offered "License Not Specified"
    beside its own "Non précisée" for no license at all."""
    me = sign_in(client, catalog)
    french = client.get(NEW, headers={"Accept-Language": "fr"}).text
    assert '<option value="">Aucune choisie</option>' in french
    assert '<option value="notspecified">Licence non spécifiée</option>' in french
    assert "License Not Specified" not in french
    assert "Other (Open)" not in french
    assert "Licence Ouverte / Open Licence version 2.0" in french  # a license's own name
    english = client.get(NEW, headers=EN).text
    assert '<option value="notspecified">License Not Specified</option>' in english
    made = make_dataset(catalog, me, title="Sans licence", license="notspecified")
    page = client.get(f"/datasets/{made.dataset.slug}/", headers={"Accept-Language": "fr"}).text
    assert "Licence non spécifiée" in page
    search = client.get("/datasets/", headers={"Accept-Language": "fr"}).text
    assert "Licence non spécifiée" in search


def test_a_new_datasets_form_sent_again_makes_no_second_dataset(client: TestClient, catalog: Catalog) -> None:
    """The back button restores the filled form; sent again (or twice by a slow click), it made
    ``…-1``, a second dataset. The same form now answers the dataset it made."""
    me = sign_in(client, catalog)
    form = _fields(client, NEW) | {"title": "Sent twice", "description": "d", "action": "save"}
    refused = client.post(NEW, data=form | {"title": ""})  # a refusal takes nothing from the form
    assert refused.status_code == 400
    assert hidden(refused.text, "once") == form["once"]
    first = client.post(NEW, data=form)
    again = client.post(NEW, data=form)
    assert (first.status_code, again.status_code) == (303, 303)
    assert again.headers["location"] == first.headers["location"] == "/datasets/sent-twice/"
    # The blank form asked again (the back button asks it: no cache keeps it) and filled the
    # same by the browser is the same sending: the dataset it made.
    reloaded = _fields(client, NEW)
    assert reloaded["once"] == form["once"]
    other = client.post(NEW, data=reloaded | {"title": "Sent twice", "description": "d"})
    assert other.headers["location"] == "/datasets/sent-twice/"
    # The same form changed before it is sent again asks deliberately for another dataset (what
    # was typed is not dropped for the first one's page).
    changed = client.post(NEW, data=form | {"title": "Sent twice, changed"})
    assert changed.headers["location"] == "/datasets/sent-twice-changed/"
    mine = client.get("/api/1/datasets/", params={"owner": me.user.id}).json()
    assert mine["total"] == 2


def test_a_harvested_dataset_says_where_it_comes_from_and_warns_its_editors(
    client: TestClient, catalog: Catalog
) -> None:
    """Nothing on the pages said a dataset was harvested, though an edit is replaced by the
    source's next change (docs/compatibility.md)."""
    from dataclasses import replace

    from opencat.catalog.resources import store_dataset

    me = sign_in(client, catalog)
    harvested = make_dataset(catalog, me, title="Moissonné").dataset
    hostile = make_dataset(catalog, me, title="Chargé").dataset
    with catalog.db.write() as conn:
        harvest = {"backend": "dcat", "domain": "data.example.org", "remote_id": "r1", "source_id": "s"}
        store_dataset(
            conn, replace(harvested, harvest={**harvest, "remote_url": "https://data.example.org/d/1"})
        )
        store_dataset(conn, replace(hostile, harvest={**harvest, "remote_url": "javascript:alert(1)"}))
    page = client.get(f"/datasets/{harvested.slug}/", params={"lang": "en"}).text
    assert (
        '<dt>Harvested from</dt><dd><a href="https://data.example.org/d/1" rel="nofollow">data.example.org</a>'
        in page
    )
    assert "<dt>Harvested from</dt><dd>data.example.org</dd>" in client.get(f"/datasets/{hostile.slug}/").text
    form = client.get(f"/datasets/{harvested.slug}/edit/").text
    assert "This dataset is harvested from data.example.org" in form
    own = make_dataset(catalog, me, title="Mien").dataset
    assert "Harvested from" not in client.get(f"/datasets/{own.slug}/").text
    assert "is harvested from" not in client.get(f"/datasets/{own.slug}/edit/").text


def test_a_form_saved_with_only_its_title_changed_changes_only_the_title(
    client: TestClient, catalog: Catalog
) -> None:
    """Browsers send a textarea's line breaks as CRLF: a description written through the API
    (LF) must come back unchanged from a form that did not touch it, and the history must not
    record a change nobody made."""
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Rivers", description="line1\nline2\n\nline3", tags=["eau"])
    sign_in(client, catalog, me)
    path = f"/datasets/{view.dataset.id}/edit/"
    typed = {"description": "line1\r\nline2\r\n\r\nline3", "tags": "eau", "action": "save"}
    saved = client.post(path, data=_fields(client, path) | typed | {"title": "Rivers and lakes"})
    assert saved.status_code == 303
    stored = get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset
    assert stored.description == "line1\nline2\n\nline3"
    entries = history.list_activity(catalog, me.actor(catalog), ActivityQuery(related_to=view.dataset.id))
    latest = entries.items[0].activity
    assert latest.key == Key.DATASET_UPDATED
    assert sorted(change.field for change in latest.changes) == ["slug", "title"]
    # A description stored with CRLF (harvested from a udata portal, as real ones are) and sent
    # back as a browser sends it (shown with LF, its first line break dropped, sent as CRLF) stays
    # as it was stored: no change recorded either.
    crlf = make_dataset(catalog, me, title="Harvested", description="\r\nfirst\r\nsecond  \r\n", tags=["eau"])
    crlf_path = f"/datasets/{crlf.dataset.id}/edit/"
    shown = {"description": "first\r\nsecond  \r\n", "tags": "eau", "action": "save", "title": "Harvested!"}
    assert client.post(crlf_path, data=_fields(client, crlf_path) | shown).status_code == 303
    assert get_dataset(catalog, me.actor(catalog), crlf.dataset.id).dataset.description == (
        "\r\nfirst\r\nsecond  \r\n"
    )
    entries = history.list_activity(catalog, me.actor(catalog), ActivityQuery(related_to=crlf.dataset.id))
    assert [change.field for change in entries.items[0].activity.changes] == ["title"]  # its slug stays
    # A description typed in the form is stored with LF line breaks too (a lone CR as well).
    again = {"description": "one\r\ntwo\rthree", "tags": "eau", "action": "save", "title": "Rivers and lakes"}
    assert client.post(path, data=_fields(client, path) | again).status_code == 303
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.description == "one\ntwo\nthree"


def test_every_error_the_api_words_with_a_value_is_translated_on_french_pages(
    client: TestClient, catalog: Catalog
) -> None:
    """The pages say the API's errors again in their language by matching its English sentences
    (web/form_errors.py): a change of the API's words must fail here, not show English."""
    me = sign_in(client, catalog)
    cases = [
        ({"tags": "a"}, "f-tags", {"tags": ["a"]}, "tags"),
        ({"frequency": "bogus"}, "f-frequency", {"frequency": "bogus"}, "frequency"),
        ({"zones": "nowhere:at-all"}, "f-zones", {"spatial": {"zones": ["nowhere:at-all"]}}, "spatial"),
        ({"title": "t" * 400}, "f-title", {"title": "t" * 400}, "title"),
    ]
    for fields, field_id, api_body, api_field in cases:
        api = client.post(
            "/api/1/datasets/", json={"title": "T", "description": "D"} | api_body, headers=me.headers
        )
        assert api.status_code == 400, api_field
        english = str(api.json()["errors"][api_field]).strip("[]{}'\"").split("': ['")[-1]
        form = _fields(client, NEW) | {"title": "T", "description": "D", "action": "save"} | fields
        french = _error_beside(client.post(NEW, data=form).text, field_id)
        assert french, field_id
        assert english[:20] not in french.replace("&#34;", '"').replace("&#39;", "'"), (field_id, english)


def _frequency_choices(html: str) -> tuple[list[str], list[str]]:
    select = re.search(r'<select id="f-frequency".*?</select>', html, re.S)
    assert select is not None
    values = re.findall(r'<option value="([^"]*)"', select.group(0))
    chosen = re.findall(r'<option value="([^"]*)" selected', select.group(0))
    return values, chosen


def test_the_frequency_has_one_choice_for_not_known(client: TestClient, catalog: Catalog) -> None:
    """A new dataset left as offered is saved "unknown": the form offers that one choice for it,
    chosen by default and when the dataset has none, not an empty one beside it."""
    me = sign_in(client, catalog)
    values, chosen = _frequency_choices(client.get(NEW, headers=EN).text)
    assert "" not in values
    assert chosen == ["unknown"]
    view = make_dataset(catalog, me, title="Sans fréquence")
    assert view.dataset.frequency in (None, "unknown")
    edit = client.get(f"/datasets/{view.dataset.slug}/edit/", headers=EN)
    assert edit.status_code == 200
    assert _frequency_choices(edit.text)[1] == ["unknown"]
    daily = make_dataset(catalog, me, title="Quotidien", frequency="daily")
    assert _frequency_choices(client.get(f"/datasets/{daily.dataset.slug}/edit/", headers=EN).text)[1] == [
        "daily"
    ]
