"""Community resources from the browser, on both databases: any signed-in user proposes a link or a
file on a dataset they can see; its proposer edits and deletes it; the dataset's owner reviews it
(may remove it, not edit it; the API keeps udata's rule); CSRF; visitors not signed in."""

import hashlib

from starlette.testclient import TestClient

from opencat.catalog.community import list_community_resources
from opencat.catalog.context import Catalog
from opencat.domain.queries import CommunityQuery
from tests.factories import make_dataset, make_user
from tests.web.publishing import hidden, sign_in

EN = {"Accept-Language": "en"}


def _proposed(catalog: Catalog, dataset_id: str) -> list[tuple[str, str]]:
    owner = make_user(catalog, sysadmin=True)
    page = list_community_resources(catalog, owner.actor(catalog), CommunityQuery(dataset=dataset_id))
    return [(found.item.resource.title, found.item.resource.filetype) for found in page.items]


def _description(catalog: Catalog, dataset_id: str, title: str) -> str | None:
    owner = make_user(catalog, sysadmin=True)
    page = list_community_resources(catalog, owner.actor(catalog), CommunityQuery(dataset=dataset_id))
    return next(found.item.resource.description for found in page.items if found.item.resource.title == title)


def test_propose_a_link_and_a_file_then_edit_and_delete(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    view = make_dataset(catalog, owner, title="Bus stops")
    slug = view.dataset.slug
    assert client.get(f"/datasets/{slug}/community/new/").status_code == 303  # to sign in
    proposer = make_user(catalog, first_name="Camille")
    sign_in(client, catalog, proposer)
    page = client.get(f"/datasets/{slug}/", headers=EN).text
    assert f'href="/datasets/{slug}/community/new/"' in page
    form = client.get(f"/datasets/{slug}/community/new/", headers=EN)
    assert form.status_code == 200
    assert "script-src 'self'" in form.headers["content-security-policy"]
    csrf = hidden(form.text, "csrf_token")
    action = f"/datasets/{view.dataset.id}/community/new/"
    assert f'action="{action}"' in form.text
    bad = client.post(action, data={"csrf_token": csrf, "title": "Map", "url": "nope"}, headers=EN)
    assert bad.status_code == 400
    assert 'id="r-url-error"' in bad.text
    assert client.post(action, data={"title": "Map", "url": "https://example.org/m"}).status_code == 403
    link = {"csrf_token": csrf, "title": "Map", "url": "https://example.org/map", "type": "other"}
    proposed = client.post(action, data=link)
    assert proposed.status_code == 303
    assert proposed.headers["location"].startswith(f"/datasets/{slug}/#community-")
    assert _description(catalog, view.dataset.id, "Map") is None  # a blank description is null
    cid = proposed.headers["location"].rsplit("#community-", 1)[1]
    content = b"stop;lat;lon\n1;45.7;4.8\n"
    upload = f"/datasets/{view.dataset.id}/community/upload/"
    assert f'action="{upload}"' in form.text
    sent = client.post(
        upload,
        data={"checksum": hashlib.sha1(content).hexdigest()},
        files={"file": ("stops-clean.csv", content)},
        headers={"X-CSRF-Token": csrf},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["location"].startswith(f"/datasets/{slug}/#community-")
    assert sorted(_proposed(catalog, view.dataset.id)) == [("Map", "remote"), ("stops-clean.csv", "file")]
    # Its proposer edits and deletes it from the dataset's page.
    page = client.get(f"/datasets/{slug}/", headers=EN).text
    assert f'href="/datasets/{slug}/community/{cid}/edit/"' in page
    edit = client.get(f"/datasets/{slug}/community/{cid}/edit/", headers=EN)
    assert 'value="https://example.org/map"' in edit.text
    edited = {**link, "version": hidden(edit.text, "version"), "title": "Network map"}
    edit_action = f"/datasets/{view.dataset.id}/community/{cid}/edit/"
    changed = client.post(edit_action, data={**edited, "url": "https://example.org/network"})
    assert changed.status_code == 303
    assert ("Network map", "remote") in _proposed(catalog, view.dataset.id)
    assert _description(catalog, view.dataset.id, "Network map") is None  # left blank: still null
    # The same form sent again from another tab, opened before that save: refused, text kept.
    stale = client.post(edit_action, data={**edited, "description": "From tab B"}, headers=EN)
    assert stale.status_code == 409
    assert "Someone saved this resource while you were editing it" in stale.text
    assert "From tab B" in stale.text
    french = client.post(edit_action, data={**edited, "description": "From tab B"})
    assert "Quelqu\u2019un a enregistré cette ressource" in french.text
    assert "Vos modifications n\u2019ont pas été enregistrées" in french.text
    assert [title for title, _ in _proposed(catalog, view.dataset.id)].count("Network map") == 1
    again = client.post(edit_action, data={**edited, "version": hidden(stale.text, "version")})
    assert again.status_code == 303  # sent again on purpose, from the current version
    assert client.post(edit_action, data=link).status_code == 400  # no version: unreadable
    confirm = client.get(f"/datasets/{slug}/community/{cid}/delete/", headers=EN)
    assert confirm.status_code == 200
    assert client.post(f"/datasets/{view.dataset.id}/community/{cid}/delete/", data={}).status_code == 403
    gone = client.post(
        f"/datasets/{view.dataset.id}/community/{cid}/delete/",
        data={"csrf_token": hidden(confirm.text, "csrf_token")},
    )
    assert gone.status_code == 303
    assert _proposed(catalog, view.dataset.id) == [("stops-clean.csv", "file")]
    # The owner's history says the removal, without every field of it "emptied".
    sign_in(client, catalog, owner)
    history = client.get(f"/datasets/{slug}/", headers=EN).text.split('id="history"')[1]
    assert "Removed a community resource" in history
    assert "emptied" not in history


def test_the_datasets_owner_reviews_proposals_removing_not_editing_them(
    client: TestClient, catalog: Catalog
) -> None:
    owner = make_user(catalog)
    view = make_dataset(catalog, owner, title="Cycle lanes")
    proposer, stranger = make_user(catalog, first_name="Proposer"), make_user(catalog, first_name="Other")
    sign_in(client, catalog, proposer)
    csrf = hidden(client.get(f"/datasets/{view.dataset.slug}/community/new/").text, "csrf_token")
    done = client.post(
        f"/datasets/{view.dataset.id}/community/new/",
        data={"csrf_token": csrf, "title": "Lanes map", "url": "https://example.org/lanes"},
    )
    cid = done.headers["location"].rsplit("#community-", 1)[1]
    # Someone else neither edits nor removes it.
    client.cookies.clear()
    sign_in(client, catalog, stranger)
    page = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    assert f"/community/{cid}/delete/" not in page
    assert client.get(f"/datasets/{view.dataset.slug}/community/{cid}/delete/").status_code == 403
    csrf = hidden(client.get("/datasets/new/").text, "csrf_token")
    refused = client.post(f"/datasets/{view.dataset.id}/community/{cid}/delete/", data={"csrf_token": csrf})
    assert refused.status_code == 403
    # The dataset's owner sees it, may not edit it, and removes it after a confirmation.
    client.cookies.clear()
    sign_in(client, catalog, owner)
    page = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    assert f'id="community-{cid}"' in page
    assert "Lanes map" in page
    assert f"/community/{cid}/edit/" not in page
    assert f'href="/datasets/{view.dataset.slug}/community/{cid}/delete/"' in page
    assert client.get(f"/datasets/{view.dataset.slug}/community/{cid}/edit/").status_code == 403
    # udata's API rule stays: the dataset's owner may not delete a proposal through the API.
    api = client.delete(f"/api/1/datasets/community_resources/{cid}/", headers=owner.headers)
    assert api.status_code == 403
    confirm = client.get(f"/datasets/{view.dataset.slug}/community/{cid}/delete/", headers=EN)
    assert confirm.status_code == 200
    csrf = hidden(confirm.text, "csrf_token")
    assert client.post(f"/datasets/{view.dataset.id}/community/{cid}/delete/").status_code == 403  # no token
    removed = client.post(f"/datasets/{view.dataset.id}/community/{cid}/delete/", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert _proposed(catalog, view.dataset.id) == []
    history = client.get(f"/api/1/activity/?related_to={view.dataset.id}").json()["data"]
    assert any((entry["actor"] or {}).get("id") == owner.user.id for entry in history)
    # An unknown community resource: 404.
    assert client.get(f"/datasets/{view.dataset.slug}/community/{'0' * 24}/edit/").status_code == 404


def test_its_proposer_replaces_an_uploaded_community_file(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    view = make_dataset(catalog, owner, title="Parking")
    proposer = make_user(catalog, first_name="Proposer")
    sign_in(client, catalog, proposer)
    csrf = hidden(client.get(f"/datasets/{view.dataset.slug}/community/new/").text, "csrf_token")
    first = client.post(
        f"/datasets/{view.dataset.id}/community/upload/",
        data={"csrf_token": csrf},
        files={"file": ("parking.csv", b"v1\n")},
    )
    assert first.status_code == 303
    cid = first.headers["location"].rsplit("#community-", 1)[1]
    edit = client.get(f"/datasets/{view.dataset.slug}/community/{cid}/edit/", headers=EN)
    replace_action = f"/datasets/{view.dataset.id}/community/{cid}/upload/"
    assert f'action="{replace_action}"' in edit.text
    assert 'name="url"' not in edit.text  # a hosted file's address is the server's
    content = b"v2, with more rows\n"
    replaced = client.post(
        replace_action,
        data={"checksum": hashlib.sha1(content).hexdigest()},
        files={"file": ("parking-2.csv", content)},
        headers={"X-CSRF-Token": csrf},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["location"] == f"/datasets/{view.dataset.slug}/#community-{cid}"
    assert _proposed(catalog, view.dataset.id) == [("parking-2.csv", "file")]
    client.cookies.clear()
    sign_in(client, catalog, owner)  # the dataset's owner may not (the API's rule)
    their_csrf = hidden(client.get("/datasets/new/").text, "csrf_token")
    refused = client.post(
        replace_action, files={"file": ("x.csv", b"x")}, headers={"X-CSRF-Token": their_csrf}
    )
    assert refused.status_code == 403


def test_a_proposal_shows_its_format_and_description(client: TestClient, catalog: Catalog) -> None:
    owner, proposer = make_user(catalog), make_user(catalog, first_name="Proposer")
    view = make_dataset(catalog, owner, title="Parks")
    body = {
        "dataset": view.dataset.id,
        "title": "Parks map",
        "url": "https://example.org/parks.geojson",
        "filetype": "remote",
        "format": "geojson",
        "description": "Every **park** of the city.",
    }
    assert (
        client.post("/api/1/datasets/community_resources/", json=body, headers=proposer.headers).status_code
        == 201
    )
    page = client.get(f"/datasets/{view.dataset.slug}/", headers=EN).text
    proposal = page.split('id="community"')[1]
    assert "<dd>GEOJSON</dd>" in proposal
    assert "Every park of the city." in proposal
    assert '<span class="resource-actions">' in proposal
