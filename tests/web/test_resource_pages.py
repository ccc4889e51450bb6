"""Editing and ordering a dataset's files from the browser, on both databases: the edit form of a
link and of an uploaded file (its replacement through the upload route), the move buttons and the
script's whole order; CSRF, strangers, a stale order."""

import hashlib
import re
from dataclasses import replace

from starlette.testclient import TestClient

from opencat.catalog import history
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import get_dataset
from opencat.catalog.views import DatasetView
from opencat.db import resources as db_resources
from opencat.domain.queries import ActivityQuery
from tests.factories import Account, make_dataset, make_user
from tests.web.publishing import hidden, sign_in

EN = {"Accept-Language": "en"}


def _three_links(catalog: Catalog, account: Account) -> DatasetView:
    return make_dataset(
        catalog,
        account,
        title="Rivers",
        resources=[
            {"title": name, "url": f"https://example.org/{name}.csv", "filetype": "remote"}
            for name in ("a", "b", "c")
        ],
    )


def _titles(catalog: Catalog, account: Account, view: DatasetView) -> list[str]:
    return [r.title for r in get_dataset(catalog, account.actor(catalog), view.dataset.id).resources]


def test_edit_a_link(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = _three_links(catalog, me)
    first = view.resources[0]
    sign_in(client, catalog, me)
    files = client.get(f"/datasets/{view.dataset.slug}/resources/", headers=EN).text
    edit_path = f"/datasets/{view.dataset.slug}/resources/{first.id}/edit/"
    assert f'href="{edit_path}"' in files
    form = client.get(edit_path, headers=EN)
    assert form.status_code == 200
    assert 'value="https://example.org/a.csv"' in form.text
    assert "upload.js" not in form.text  # a link has no file to replace
    action = f"/datasets/{view.dataset.id}/resources/{first.id}/edit/"
    fields = {
        "csrf_token": hidden(form.text, "csrf_token"),
        "revision": hidden(form.text, "revision"),
        "title": "Levels",
        "url": "not an address",
        "type": "documentation",
        "format": "CSV",
        "description": "Daily.",
    }
    bad = client.post(action, data=fields, headers=EN)
    assert bad.status_code == 400
    assert 'id="r-url-error"' in bad.text
    assert 'value="Levels"' in bad.text  # what was typed is kept
    saved = client.post(action, data={**fields, "url": "https://example.org/levels.csv"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/datasets/{view.dataset.slug}/resources/#resource-{first.id}"
    changed = get_dataset(catalog, me.actor(catalog), view.dataset.id).resources[0]
    assert (changed.title, changed.url, changed.type, changed.format, changed.description) == (
        "Levels",
        "https://example.org/levels.csv",
        "documentation",
        "csv",
        "Daily.",
    )
    # The file's title quoted as each language quotes (English pages had French guillemets).
    english = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    assert "Changed a file</strong> “<bdi>Levels</bdi>”" in english
    french = client.get(f"/datasets/{view.dataset.slug}/", headers={"Accept-Language": "fr"}).text
    assert "</strong> «&nbsp;<bdi>Levels</bdi>&nbsp;»" in french
    assert client.post(action, data={**fields, "csrf_token": "x"}).status_code == 403


def test_a_file_saved_with_only_its_title_changed_keeps_its_null_fields(
    client: TestClient, catalog: Catalog
) -> None:
    """An empty field cannot say null from "": a null description or format left blank stays
    null (the history records the title alone), one emptied on purpose is emptied."""
    me = make_user(catalog)
    view = make_dataset(
        catalog, me, resources=[{"title": "a", "url": "https://example.org/a.csv", "filetype": "remote"}]
    )
    link = view.resources[0]
    assert (link.description, link.format) == (None, None)
    sign_in(client, catalog, me)
    form = client.get(f"/datasets/{view.dataset.slug}/resources/{link.id}/edit/", headers=EN).text
    action = f"/datasets/{view.dataset.id}/resources/{link.id}/edit/"
    fields = {
        "csrf_token": hidden(form, "csrf_token"),
        "revision": hidden(form, "revision"),
        "title": "Levels",
        "url": link.url,
        "type": link.type,
        "format": "",
        "description": "",
    }
    assert client.post(action, data=fields).status_code == 303
    changed = get_dataset(catalog, me.actor(catalog), view.dataset.id).resources[0]
    assert (changed.title, changed.description, changed.format) == ("Levels", None, None)
    entries = history.list_activity(catalog, me.actor(catalog), ActivityQuery(related_to=view.dataset.id))
    assert [change.field for change in entries.items[0].activity.changes] == ["title"]
    # A description written with line breaks (CRLF from the browser), then emptied on purpose.
    revision = str(get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.revision)
    written = fields | {"revision": revision, "description": "Daily.\r\nSince 2001."}
    assert client.post(action, data=written).status_code == 303
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources[0].description == (
        "Daily.\nSince 2001."
    )
    revision = str(get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.revision)
    assert client.post(action, data=fields | {"revision": revision}).status_code == 303
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources[0].description in ("", None)
    # One stored with CRLF (harvested) and sent back as shown stays as it was.
    with catalog.db.write() as conn:
        stored = db_resources.find(conn, view.dataset.id, link.id)
        assert stored is not None
        db_resources.update_one(
            conn, replace(stored, description="Daily.\r\nSince 2001.\r\n"), catalog.clock()
        )
    revision = str(get_dataset(catalog, me.actor(catalog), view.dataset.id).dataset.revision)
    shown = fields | {
        "revision": revision,
        "title": "Levels again",
        "description": "Daily.\r\nSince 2001.\r\n",
    }
    assert client.post(action, data=shown).status_code == 303
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources[0].description == (
        "Daily.\r\nSince 2001.\r\n"
    )


def test_an_edit_made_on_an_older_revision_is_refused_and_kept(client: TestClient, catalog: Catalog) -> None:
    """Two tabs editing one file: the second save does not silently undo the first's."""
    me = make_user(catalog)
    view = _three_links(catalog, me)
    first = view.resources[0]
    sign_in(client, catalog, me)
    edit_path = f"/datasets/{view.dataset.slug}/resources/{first.id}/edit/"
    action = f"/datasets/{view.dataset.id}/resources/{first.id}/edit/"
    tabs = [client.get(edit_path, headers=EN).text for _ in range(2)]

    def fields(page: str, **typed: str) -> dict[str, str]:
        shown = {
            "title": "a",
            "url": "https://example.org/a.csv",
            "type": "main",
            "format": "csv",
            "description": "",
        }
        return {
            "csrf_token": hidden(page, "csrf_token"),
            "revision": hidden(page, "revision"),
            **shown,
            **typed,
        }

    assert client.post(action, data=fields(tabs[0], title="Renamed in A"), headers=EN).status_code == 303
    stale = client.post(action, data=fields(tabs[1], description="Described in B"), headers=EN)
    assert stale.status_code == 409
    assert "Someone saved this dataset while you were editing it" in stale.text
    assert "Described in B" in stale.text  # what was typed is kept
    assert _titles(catalog, me, view)[0] == "Renamed in A"
    again = client.post(action, data=fields(stale.text, description="Described in B"), headers=EN)
    assert again.status_code == 303  # sent again on purpose, from the current revision
    assert client.post(action, data={**fields(tabs[1]), "revision": "x"}, headers=EN).status_code == 400


def test_a_forms_answer_switches_language_to_the_page_it_came_from(
    client: TestClient, catalog: Catalog
) -> None:
    """The address a form is sent to takes only forms: the language switch of its answer opens
    the form's page, and that address asked with GET is the site's error page, not JSON."""
    me = make_user(catalog)
    view = _three_links(catalog, me)
    first = view.resources[0]
    sign_in(client, catalog, me)
    edit_path = f"/datasets/{view.dataset.slug}/resources/{first.id}/edit/"
    page = client.get(edit_path, headers=EN).text
    fields = {"csrf_token": hidden(page, "csrf_token"), "revision": hidden(page, "revision"), "title": ""}
    action = f"/datasets/{view.dataset.id}/resources/{first.id}/edit/"
    answered = client.post(
        action, data=fields, headers={**EN, "Referer": f"http://testserver{edit_path}?x=1"}
    )
    assert answered.status_code == 400
    assert f'href="{edit_path}?x=1&amp;lang=fr"' in answered.text
    elsewhere = client.post(action, data=fields, headers={**EN, "Referer": "https://evil.example/p"})
    assert 'href="/?lang=fr"' in elsewhere.text
    order = client.get(f"/datasets/{view.dataset.id}/resources/order/", headers=EN)
    assert order.status_code == 405
    assert order.headers["content-type"].startswith("text/html")
    assert "Error 405" in order.text
    assert "<title>This address is not a page" in order.text  # not "Page not found": it exists
    assert "It receives what a form sends." in order.text
    # A browser sending a form to a page's address: a page too (it was JSON); a script gets JSON.
    sent = client.post("/", headers={**EN, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert (sent.status_code, sent.headers["content-type"][:9]) == (405, "text/html")
    assert "<title>This page takes no form" in sent.text
    scripted = client.post("/", headers={"Accept": "*/*"})
    assert scripted.json() == {"message": "The method is not allowed for the requested URL."}
    # HEAD answers GET's headers; a form sent to no address at all is the site's 404 page.
    head = client.head(f"/datasets/{view.dataset.id}/resources/order/", headers={"Accept": "*/*"})
    assert (head.status_code, head.headers["content-type"][:9]) == (405, "text/html")
    nowhere = client.post("/nope/", data={"a": "1"}, headers={**EN, "Accept": "text/html"})
    assert (nowhere.status_code, nowhere.headers["content-type"][:9]) == (404, "text/html")
    assert client.post("/nope/", data={"a": "1"}).json()["message"]  # a script: JSON
    assert "POST" in order.headers["allow"]
    api = client.get(f"/api/1/datasets/{view.dataset.id}/resources/{first.id}/upload/")
    assert api.status_code == 405
    assert api.json() == {"message": "The method is not allowed for the requested URL."}


def test_edit_an_uploaded_file_and_replace_it(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Wells")
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/resources/", headers=EN).text
    csrf = hidden(page, "csrf_token")
    upload = f"/datasets/{view.dataset.id}/resources/upload/"
    assert (
        client.post(upload, data={"csrf_token": csrf}, files={"file": ("wells.csv", b"v1\n")}).status_code
        == 303
    )
    [resource] = get_dataset(catalog, me.actor(catalog), view.dataset.id).resources
    form = client.get(f"/datasets/{view.dataset.slug}/resources/{resource.id}/edit/", headers=EN)
    assert 'name="url"' not in form.text  # a hosted file's address is the server's
    replace_action = f"/datasets/{view.dataset.id}/resources/{resource.id}/upload/"
    assert f'action="{replace_action}"' in form.text
    assert "script-src 'self'" in form.headers["content-security-policy"]
    edit = f"/datasets/{view.dataset.id}/resources/{resource.id}/edit/"
    fields = {
        "csrf_token": csrf,
        "revision": hidden(form.text, "revision"),
        "title": "Wells 2024",
        "type": "main",
        "format": "",
        "description": "",
    }
    assert client.post(edit, data=fields).status_code == 303
    replaced = client.post(
        replace_action,
        data={"checksum": hashlib.sha1(b"v2, longer\n").hexdigest(), "filename": "wells-v2.csv"},
        files={"file": ("wells-v2.csv", b"v2, longer\n")},
        headers={"X-CSRF-Token": csrf},
    )
    assert replaced.status_code == 200, replaced.text
    [now] = get_dataset(catalog, me.actor(catalog), view.dataset.id).resources
    assert now.id == resource.id
    assert (now.filesize, now.fs_filename != resource.fs_filename) == (len(b"v2, longer\n"), True)
    assert now.checksum is not None
    assert now.checksum.value == hashlib.sha1(b"v2, longer\n").hexdigest()


def test_move_buttons_and_the_whole_order(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = _three_links(catalog, me)
    a, b, c = (r.id for r in view.resources)
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/resources/", headers=EN).text
    csrf = hidden(page, "csrf_token")
    action = f"/datasets/{view.dataset.id}/resources/order/"
    assert page.count(f'action="{action}"') == 3
    assert len(re.findall(r">Move up<", page)) == 2
    assert len(re.findall(r">Move down<", page)) == 2
    moved = client.post(action, data={"csrf_token": csrf, "resource": c, "place": "0"})
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/datasets/{view.dataset.slug}/resources/#resource-{c}"
    assert _titles(catalog, me, view) == ["c", "a", "b"]
    client.post(action, data={"csrf_token": csrf, "resource": c, "place": "1"})
    assert _titles(catalog, me, view) == ["a", "c", "b"]
    # The script sends the same move with the token in a header, and gets where to go in JSON.
    scripted = client.post(action, data={"resource": b, "place": "0"}, headers={"X-CSRF-Token": csrf})
    assert scripted.status_code == 200
    assert scripted.json() == {
        "success": True,
        "location": f"/datasets/{view.dataset.slug}/resources/#resource-{b}",
    }
    assert _titles(catalog, me, view) == ["b", "a", "c"]
    # A place past the end is the end; a file no longer there moves nothing (409).
    client.post(action, data={"csrf_token": csrf, "resource": b, "place": "99"})
    assert _titles(catalog, me, view) == ["a", "c", "b"]
    stale = client.post(action, data={"resource": "0" * 32, "place": "0"}, headers={"X-CSRF-Token": csrf})
    assert stale.status_code == 409
    assert "message" in stale.json()
    stale_page = client.post(action, data={"csrf_token": csrf, "resource": "gone", "place": "0"}, headers=EN)
    assert stale_page.status_code == 409
    assert "The files changed since you opened this page" in stale_page.text
    for place in ("-1", "abc", ""):  # no page sends these: a malformed request (400), not a conflict
        assert (
            client.post(action, data={"csrf_token": csrf, "resource": a, "place": place}).status_code == 400
        )
        scripted_bad = client.post(
            action, data={"resource": a, "place": place}, headers={"X-CSRF-Token": csrf}
        )
        assert scripted_bad.status_code == 400
        assert "message" in scripted_bad.json()
    assert client.post(action, data={"resource": a, "place": "0"}).status_code == 403
    assert (
        client.post(action, data={"resource": a, "place": "0"}, headers={"X-CSRF-Token": "x"}).status_code
        == 403
    )
    assert _titles(catalog, me, view) == ["a", "c", "b"]
    history = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    assert "Reordered the files" in history
    # The order said by the files' titles, not their ids.
    assert '<span title="resources">Files</span>: <del>b, a, c</del> → <ins>a, c, b</ins>' in history
    french = client.get(f"/datasets/{view.dataset.slug}/", headers={"Accept-Language": "fr"}).text
    assert '<span title="resources">Fichiers</span>' in french  # the field named in the page's language
    assert a not in history.split('id="history"')[1]


def test_strangers_may_not_edit_or_order(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    view = _three_links(catalog, owner)
    a, _, c = (r.id for r in view.resources)
    stranger = make_user(catalog, first_name="Stranger")
    sign_in(client, catalog, stranger)
    csrf = hidden(client.get("/datasets/new/").text, "csrf_token")
    assert client.get(f"/datasets/{view.dataset.slug}/resources/{a}/edit/").status_code == 403
    edit = client.post(
        f"/datasets/{view.dataset.id}/resources/{a}/edit/",
        data={"csrf_token": csrf, "title": "Mine", "type": "main", "url": "https://example.org/x"},
    )
    assert edit.status_code == 403
    action = f"/datasets/{view.dataset.id}/resources/order/"
    assert client.post(action, data={"csrf_token": csrf, "resource": c, "place": "0"}).status_code == 403
    assert (
        client.post(action, data={"resource": c, "place": "0"}, headers={"X-CSRF-Token": csrf}).status_code
        == 403
    )
    assert _titles(catalog, owner, view) == ["a", "b", "c"]
    client.cookies.clear()
    assert client.get(f"/datasets/{view.dataset.slug}/resources/{a}/edit/").status_code == 303


def test_move_buttons_pass_the_next_file_of_the_same_kind(client: TestClient, catalog: Catalog) -> None:
    """The dataset's page shows the files by kind: "Move down" past a documentation file left a
    main file first among the main data there, as if nothing had moved."""
    me = make_user(catalog)
    view = make_dataset(
        catalog,
        me,
        resources=[
            {"title": title, "url": f"https://example.org/{title}.csv", "filetype": "remote", "type": kind}
            for title, kind in (("m1", "main"), ("d1", "documentation"), ("m2", "main"), ("odd", "strange"))
        ],
    )
    m1, d1, m2, odd = (r.id for r in view.resources)
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/resources/", headers=EN).text

    def buttons(resource_id: str) -> list[tuple[str, str]]:
        item = page.split(f'id="resource-{resource_id}"', 1)[1].split("</li>", 1)[0]
        return re.findall(r'name="place" value="(\d+)">(Move \w+)<', item)

    assert buttons(m1) == [("2", "Move down")]
    assert buttons(d1) == []  # the only documentation file
    assert buttons(m2) == [("0", "Move up")]
    assert buttons(odd) == []  # an unknown kind is shown with the other files: alone here
    csrf = hidden(page, "csrf_token")
    action = f"/datasets/{view.dataset.id}/resources/order/"
    assert client.post(action, data={"csrf_token": csrf, "resource": m1, "place": "2"}).status_code == 303
    assert _titles(catalog, me, view) == ["d1", "m2", "m1", "odd"]
    shown = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    assert shown.index(">m2<") < shown.index(">m1<")


def test_the_files_page_shows_20_files_at_a_time_and_moves_across_pages(
    client: TestClient, catalog: Catalog
) -> None:
    me = make_user(catalog)
    view = make_dataset(
        catalog,
        me,
        title="Many",
        resources=[
            {"title": f"f{n:02}", "url": f"https://example.org/{n}.csv", "filetype": "remote"}
            for n in range(45)
        ],
    )
    sign_in(client, catalog, me)
    files = f"/datasets/{view.dataset.slug}/resources/"
    first = client.get(files, headers=EN).text
    assert first.count('<li class="resource"') == 20
    assert "Files 1\N{EN DASH}20 of 45" in first
    assert 'href="?page=2#list-title"' in first
    third = client.get(files + "?page=3", headers=EN).text
    assert third.count('<li class="resource"') == 5
    assert 'start="41"' in third
    assert ">Move down<" in third  # f40 to f43 go down; f44 is last
    assert third.count(">Move down<") == 4
    csrf = hidden(first, "csrf_token")
    f20 = view.resources[20].id
    moved = client.post(
        f"/datasets/{view.dataset.id}/resources/order/",
        data={"csrf_token": csrf, "resource": f20, "place": "19"},
    )
    assert moved.headers["location"] == f"{files}#resource-{f20}"  # now the last of the first page
    assert _titles(catalog, me, view)[19:21] == ["f20", "f19"]


def test_a_move_from_a_page_the_order_changed_under_is_refused(client: TestClient, catalog: Catalog) -> None:
    """A place means something only in the order the page showed: a move sent from a page
    opened before another reorder moved the wrong way (a review saw "Move down" move a file up)."""
    me = make_user(catalog)
    view = _three_links(catalog, me)
    a, b, c = (r.id for r in view.resources)
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/resources/", headers=EN).text
    csrf, revision = hidden(page, "csrf_token"), hidden(page, "revision")
    assert page.count("<dt>Kind</dt>") == 3  # the dataset's page groups its files by kind
    action = f"/datasets/{view.dataset.id}/resources/order/"
    reordered = client.put(
        f"/api/1/datasets/{view.dataset.id}/resources/",
        json=[{"id": c}, {"id": b}, {"id": a}],
        headers=me.headers,
    )
    assert reordered.status_code == 200, reordered.text
    stale = client.post(
        action, data={"csrf_token": csrf, "resource": b, "place": "2", "revision": revision}, headers=EN
    )
    assert stale.status_code == 409
    assert "The files changed since you opened this page" in stale.text
    scripted = client.post(
        action, data={"resource": b, "place": "2", "revision": revision}, headers={"X-CSRF-Token": csrf}
    )
    assert scripted.status_code == 409
    assert _titles(catalog, me, view) == ["c", "b", "a"]
    fresh = hidden(client.get(f"/datasets/{view.dataset.slug}/resources/").text, "revision")
    moved = client.post(action, data={"csrf_token": csrf, "resource": b, "place": "2", "revision": fresh})
    assert moved.status_code == 303
    assert _titles(catalog, me, view) == ["c", "a", "b"]
