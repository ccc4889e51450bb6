"""Files uploaded from the browser with the session (cookie + CSRF), on both databases: the files
page, a whole file from the plain form, udata's chunked protocol with the token in a header, the
upload's status to resume; CSRF, strangers, another user's upload."""

import hashlib
import re
import uuid
from dataclasses import replace

from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import get_dataset
from opencat.config import Settings
from tests.factories import make_dataset, make_org, make_user
from tests.web.publishing import hidden, sign_in
from tests.web.test_page_weight import LIMIT, _weight

EN = {"Accept-Language": "en"}


def _files_page(client: TestClient, slug: str) -> tuple[str, str]:
    page = client.get(f"/datasets/{slug}/resources/", headers=EN)
    assert page.status_code == 200
    action = re.search(r'id="upload-form" class="account-form" action="([^"]+)"', page.text)
    assert action is not None
    return action.group(1), hidden(page.text, "csrf_token")


def _stored(catalog: Catalog, key: str | None) -> bytes:
    assert key is not None
    with catalog.files.open(key) as stored:
        return stored.read()


def test_the_files_page_runs_its_script_and_takes_a_whole_file_without_it(
    client: TestClient, catalog: Catalog
) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Noise")
    sign_in(client, catalog, me)
    dataset_page = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    assert f'href="/datasets/{view.dataset.slug}/resources/"' in dataset_page
    page = client.get(f"/datasets/{view.dataset.slug}/resources/", headers=EN)
    assert '<script type="module" src="/static/upload.js"></script>' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["cache-control"] == "private, no-store"
    script = client.get("/static/upload.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    action, csrf = _files_page(client, view.dataset.slug)
    assert action == f"/datasets/{view.dataset.id}/resources/upload/"
    content = b"station;db\nA;54\nB;61\n"
    posted = client.post(
        action, data={"csrf_token": csrf}, files={"file": ("noise.csv", content, "text/csv")}
    )
    assert posted.status_code == 303
    [resource] = get_dataset(catalog, me.actor(catalog), view.dataset.id).resources
    assert posted.headers["location"] == f"/datasets/{view.dataset.slug}/resources/#resource-{resource.id}"
    assert (resource.title, resource.filetype, resource.filesize) == ("noise.csv", "file", len(content))
    assert resource.checksum is not None
    assert resource.checksum.value == hashlib.sha1(content).hexdigest()
    assert _stored(catalog, resource.fs_filename) == content
    listed = client.get(f"/datasets/{view.dataset.slug}/resources/", headers=EN).text
    assert f'id="resource-{resource.id}"' in listed
    assert resource.checksum.value in listed
    # A hosted file's format is its name's (udata keeps it): shown, not offered as a field whose
    # change was silently thrown away.
    edit = client.get(f"/datasets/{view.dataset.slug}/resources/{resource.id}/edit/", headers=EN).text
    assert 'name="format"' not in edit
    assert "Format: csv." in edit


def test_a_chunked_upload_with_the_session_resumes_from_the_parts_the_server_holds(
    client: TestClient, catalog: Catalog
) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Traffic")
    sign_in(client, catalog, me)
    action, csrf = _files_page(client, view.dataset.slug)
    script = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    parts = [b"a" * 64, b"b" * 64, b"c" * 10]
    whole = b"".join(parts)
    session = str(uuid.uuid4())
    # Nothing held yet: the script starts from the first part.
    assert client.get(f"/account/uploads/{session}/").status_code == 404

    def send(index: int) -> None:
        fields = {
            "uuid": session,
            "partindex": str(index),
            "totalparts": "3",
            "chunksize": str(len(parts[index])),
            "filename": "traffic.csv",
        }
        answer = client.post(action, data=fields, files={"file": ("blob", parts[index])}, headers=script)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"success": True, "error": None}

    send(0)
    send(2)
    status = client.get(f"/account/uploads/{session}/")
    assert status.status_code == 200
    assert status.headers["cache-control"] == "private, no-store"
    assert (status.json()["received"], status.json()["bytes_received"]) == ([0, 2], 74)
    final = {"uuid": session, "totalparts": "3", "filename": "traffic.csv"}
    early = client.post(action, data={**final, "checksum": hashlib.sha1(whole).hexdigest()}, headers=script)
    assert early.status_code == 400
    assert early.json()["success"] is False  # the API's refusal: a part is missing
    assert early.json()["problem"] == "missing_parts"  # what the script acts on
    send(1)
    wrong = client.post(action, data={**final, "checksum": "0" * 40}, headers=script)
    assert wrong.status_code == 400
    assert "checksum" in wrong.json()["error"].lower()
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources == []
    done = client.post(action, data={**final, "checksum": hashlib.sha1(whole).hexdigest()}, headers=script)
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["checksum"] == {"type": "sha1", "value": hashlib.sha1(whole).hexdigest()}
    assert body["filesize"] == len(whole)
    [resource] = get_dataset(catalog, me.actor(catalog), view.dataset.id).resources
    assert body["location"] == f"/datasets/{view.dataset.slug}/resources/#resource-{resource.id}"
    assert _stored(catalog, resource.fs_filename) == whole
    assert client.get(f"/account/uploads/{session}/").status_code == 404  # finished: forgotten


def test_csrf_is_required_and_nothing_is_stored_without_it(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Bins")
    sign_in(client, catalog, me)
    action, csrf = _files_page(client, view.dataset.slug)
    file = {"file": ("bins.csv", b"id\n1\n", "text/csv")}
    wrong_header = client.post(action, files=file, headers={"X-CSRF-Token": csrf[:-2] + "xx", **EN})
    assert wrong_header.status_code == 403
    assert wrong_header.json() == {"message": "Invalid CSRF token.", "worded": "Invalid CSRF token."}
    french = client.post(
        action, files=file, headers={"X-CSRF-Token": csrf[:-2] + "xx", "Accept-Language": "fr"}
    )
    assert french.json()["worded"].startswith(
        "Ce formulaire a expiré"
    )  # the script shows it (it was English)
    no_field = client.post(action, data={"csrf_token": ""}, files=file, headers=EN)
    assert no_field.status_code == 403
    assert "text/html" in no_field.headers["content-type"]
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources == []
    # Signed out, the script is told to sign in again, the plain form is sent to the sign-in page.
    client.cookies.clear()
    signed_out = client.post(action, files=file, headers={"X-CSRF-Token": csrf, "Accept-Language": "fr"})
    assert signed_out.status_code == 401
    assert signed_out.json()["worded"] == "Reconnectez-vous pour poursuivre le téléversement."
    assert client.post(action, data={"csrf_token": csrf}, files=file).status_code == 303
    assert client.get(f"/datasets/{view.dataset.slug}/resources/").status_code == 303
    assert client.get(f"/account/uploads/{uuid.uuid4()}/").status_code == 401


def test_strangers_are_refused_and_uploads_belong_to_their_uploader(
    client: TestClient, catalog: Catalog
) -> None:
    owner = make_user(catalog)
    org = make_org(catalog, "City", **{owner.user.id: "admin"})
    view = make_dataset(catalog, owner, title="Lamps", organization=org.id)
    sign_in(client, catalog, owner)
    action, csrf = _files_page(client, view.dataset.slug)
    session = str(uuid.uuid4())
    fields = {"uuid": session, "partindex": "0", "totalparts": "2", "chunksize": "4", "filename": "l.csv"}
    sent = client.post(action, data=fields, files={"file": ("b", b"abcd")}, headers={"X-CSRF-Token": csrf})
    assert sent.status_code == 200
    client.cookies.clear()
    stranger = make_user(catalog, first_name="Stranger")
    sign_in(client, catalog, stranger)
    assert client.get(f"/datasets/{view.dataset.slug}/resources/", headers=EN).status_code == 403
    their_csrf = hidden(client.get("/datasets/new/").text, "csrf_token")
    refused = client.post(
        action, data=fields, files={"file": ("b", b"abcd")}, headers={"X-CSRF-Token": their_csrf}
    )
    assert refused.status_code == 403
    assert "message" in refused.json()
    plain = client.post(action, data={"csrf_token": their_csrf}, files={"file": ("x.csv", b"x")}, headers=EN)
    assert plain.status_code == 403
    assert client.get(f"/account/uploads/{session}/").status_code == 404  # not theirs to see
    assert get_dataset(catalog, owner.actor(catalog), view.dataset.id).resources == []


def test_the_files_page_with_its_script_weighs_under_100_kb(client: TestClient, catalog: Catalog) -> None:
    me = make_user(catalog)
    resources = [
        {"title": f"mesures-{n}.csv", "url": f"https://example.org/{n}.csv", "format": "csv"}
        for n in range(20)
    ]
    view = make_dataset(catalog, me, title="Qualité de l'air", resources=resources)
    sign_in(client, catalog, me)
    for language in ("fr", "en"):
        page = client.get(f"/datasets/{view.dataset.slug}/resources/?lang={language}").text
        assert page.count('<li class="resource"') == 20
        assert "/static/upload.js" in page
        own, total = _weight(client, f"/datasets/{view.dataset.slug}/resources/?lang={language}")
        assert total < LIMIT, (language, own, total)


def test_a_refused_file_is_explained_in_the_pages_language(
    client: TestClient, catalog: Catalog, settings: Settings
) -> None:
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Refusals")
    sign_in(client, catalog, me)
    action, csrf = _files_page(client, view.dataset.slug)
    french = {"Accept-Language": "fr"}
    page = client.post(action, data={"csrf_token": csrf}, files={"file": ("tool.exe", b"MZ")}, headers=french)
    assert page.status_code == 400
    assert (
        "ce type de fichier n\N{RIGHT SINGLE QUOTATION MARK}est pas accepté ici. Types acceptés\N{NO-BREAK SPACE}: "
        in page.text
    )
    taken = sorted(catalog.uploads.extensions)
    assert ", ".join(taken) in page.text  # the types taken, not the API's address of their list
    assert "csv" in taken
    assert 'role="alert"' in page.text
    html = client.post(
        action, files={"file": ("page.html", b"<html></html>")}, headers={"X-CSRF-Token": csrf, **EN}
    )
    assert html.status_code == 400  # not among the allowed types
    assert (
        html.json()["worded"]
        == f"this type of file is not accepted here. Accepted types: {', '.join(taken)}."
    )
    assert "message" in html.json()  # udata's body is kept
    wrong = client.post(
        action,
        data={"checksum": "0" * 40},
        files={"file": ("ok.csv", b"a\n")},
        headers={"X-CSRF-Token": csrf, **french},
    )
    assert wrong.status_code == 400
    assert wrong.json()["worded"].startswith(
        "le fichier arrivé n\N{RIGHT SINGLE QUOTATION MARK}est pas celui envoyé"
    )
    boundary = "b0undary"
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\na\n\r\n--{boundary}--\r\n"
    ).encode()
    nul = client.post(
        action, content=raw, headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **french}
    )
    assert nul.status_code == 400
    assert "son nom (ou un autre champ du formulaire) contient un caractère nul." in nul.text  # not English
    # The catalog's refusals the API words in English: the page's words for them (they were English).
    full = replace(catalog, max_resources=0)
    limited = TestClient(
        create_app(settings, catalog=full), base_url=str(client.base_url), cookies=client.cookies
    )
    at_limit = limited.post(
        action, files={"file": ("ok.csv", b"a\n")}, headers={"X-CSRF-Token": csrf, **french}
    )
    assert at_limit.json()["worded"] == "Un jeu de données ne peut pas avoir plus de 0 fichiers."
    closed = TestClient(
        create_app(settings, catalog=replace(catalog, read_only=True)),
        base_url=str(client.base_url),
        cookies=client.cookies,
    )
    refused = closed.post(
        action, files={"file": ("ok.csv", b"a\n")}, headers={"X-CSRF-Token": csrf, **french}
    )
    assert refused.json()["worded"].startswith("Pour des raisons de sécurité")
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources == []


def test_a_dataset_deleted_while_its_files_page_is_open_takes_no_file(
    client: TestClient, catalog: Catalog
) -> None:
    """A second tab still on the files page: its upload was stored in the deleted dataset, then
    answered 410. The pages refuse it first (the API takes it, as udata's does)."""
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Deleted meanwhile")
    sign_in(client, catalog, me)
    action, csrf = _files_page(client, view.dataset.slug)
    confirm = client.get(f"/datasets/{view.dataset.slug}/delete/").text
    deleted = client.post(
        f"/datasets/{view.dataset.id}/delete/", data={"csrf_token": hidden(confirm, "csrf_token")}
    )
    assert deleted.status_code == 303
    file = {"file": ("late.csv", b"id\n1\n", "text/csv")}
    plain = client.post(action, data={"csrf_token": csrf}, files=file, headers=EN)
    assert plain.status_code == 410
    scripted = client.post(action, files=file, headers={"X-CSRF-Token": csrf, "Accept": "application/json"})
    assert (scripted.status_code, scripted.json()["message"]) == (410, "Dataset has been deleted")
    assert get_dataset(catalog, me.actor(catalog), view.dataset.id).resources == []


def test_the_scripts_french_sentences_need_no_elision_of_the_names_it_fills_in(
    client: TestClient, catalog: Catalog
) -> None:
    """The script fills a file's name into a sentence the page gives it (``{name}``): the pages'
    elision of "de" before a vowel does not reach it, so the French sentence must read right
    before any name ("du fichier export.csv", never "de export.csv")."""
    me = make_user(catalog)
    view = make_dataset(catalog, me, title="Noise")
    sign_in(client, catalog, me)
    page = client.get(f"/datasets/{view.dataset.slug}/resources/", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    filled = re.findall(r'data-msg-[a-z-]+="([^"]*\{name\}[^"]*)"', page.text)
    assert filled, "the form gives its script a sentence with the file's name"
    assert [sentence for sentence in filled if re.search(r"\bde\W*\{name\}", sentence)] == []
    assert any("du fichier" in sentence for sentence in filled)
