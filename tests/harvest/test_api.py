"""The harvest API in udata's shapes, on both databases: who may manage a source, each route's
answer, and a run started through the API."""

import json
import time
from typing import Any

from starlette.testclient import TestClient

from opencat.api.errors import NOT_FOUND
from opencat.catalog.context import Catalog
from tests.factories import Account, make_org, make_user
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Document, Site, SiteServer

API = "/api/1/harvest"


def body(remote: SiteServer, org_id: str, **extra: Any) -> dict[str, Any]:
    return {"name": "Remote", "url": remote.url("/"), "backend": "udata", "organization": org_id, **extra}


def people(catalog: Catalog) -> tuple[Account, Account, Account, str]:
    """A sysadmin, an admin of the organization, an editor of it, and the organization."""
    root, admin, editor = make_user(catalog, sysadmin=True), make_user(catalog), make_user(catalog)
    org = make_org(catalog, "Harvesters", **{admin.user.id: "admin", editor.user.id: "editor"})
    return root, admin, editor, org.id


def accepted(client: TestClient, source_path: str, root: Account) -> None:
    """A sysadmin's validation, which a source needs to run (udata's)."""
    answer = client.post(f"{source_path}validate/", json={"state": "accepted"}, headers=root.headers)
    assert answer.status_code == 200, answer.text


def test_only_sysadmins_and_the_organization_admins_manage_a_source(
    client: TestClient, catalog: Catalog, remote: SiteServer
) -> None:
    root, admin, editor, org_id = people(catalog)

    assert client.post(f"{API}/sources/", json=body(remote, org_id)).status_code == 401
    # A stranger to the organization: udata's organization field refuses it (400), as for a
    # dataset; a member who is not its admin passes it, then its harvest permission is a 403.
    stranger = make_user(catalog)
    refused = client.post(f"{API}/sources/", json=body(remote, org_id), headers=stranger.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"organization": ["Permission denied for this organization"]},
    )
    assert (
        client.post(f"{API}/sources/", json=body(remote, org_id), headers=editor.headers).status_code == 403
    )
    created = client.post(f"{API}/sources/", json=body(remote, org_id), headers=admin.headers)
    assert created.status_code == 201, created.text
    source = created.json()
    assert source["validation"]["state"] == "pending"
    assert source["organization"]["id"] == org_id
    assert source["owner"] is None
    assert source["permissions"]["edit"] is True
    path = f"{API}/source/{source['id']}/"

    assert client.put(path, json={"name": "x"}).status_code == 401
    assert client.put(path, json={"name": "x"}, headers=editor.headers).status_code == 403
    assert client.post(f"{path}run/", headers=editor.headers).status_code == 403
    assert client.post(f"{path}schedule/", json="0 3 * * *", headers=editor.headers).status_code == 403
    assert client.delete(path, headers=editor.headers).status_code == 403
    # An editor previews the organization's source (udata's HarvestSourcePermission), nothing more.
    as_editor = client.get(path, headers=editor.headers).json()["permissions"]
    assert (as_editor["preview"], as_editor["edit"], as_editor["run"]) == (True, False, False)
    assert client.get(f"{path}preview/", headers=editor.headers).status_code == 200
    assert (
        client.post(f"{path}validate/", json={"state": "accepted"}, headers=admin.headers).status_code == 403
    )
    renamed = client.put(path, json={"name": "Renamed", "active": False}, headers=admin.headers)
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["active"]) == (200, "Renamed", False)
    # A description is kept when not sent, and cleared by null, as udata's form clears it.
    described = client.put(path, json={"description": "Nightly"}, headers=admin.headers).json()
    assert (
        client.put(path, json={"name": "Renamed"}, headers=admin.headers).json()["description"] == "Nightly"
    )
    cleared = client.put(path, json={"description": None}, headers=admin.headers)
    assert (described["description"], cleared.json()["description"]) == ("Nightly", None)
    validated = client.post(
        f"{path}validate/", json={"state": "accepted", "comment": "ok"}, headers=root.headers
    )
    assert validated.json()["validation"]["state"] == "accepted"
    assert validated.json()["validation"]["by"]["id"] == root.user.id
    # Accepted, it is harvested daily (udata's HARVEST_DEFAULT_SCHEDULE), unless it had a schedule.
    assert validated.json()["schedule"] == "0 0 * * *"
    other = client.post(f"{API}/sources/", json=body(remote, org_id), headers=admin.headers).json()
    other_path = f"{API}/source/{other['id']}/"
    # Only sysadmins schedule (udata's admin_permission): how often a source is read is the portal's.
    assert client.post(f"{other_path}schedule/", json="0 4 * * *", headers=admin.headers).status_code == 403
    assert client.delete(f"{other_path}schedule/", headers=admin.headers).status_code == 403
    assert client.get(other_path, headers=admin.headers).json()["permissions"]["schedule"] is False
    assert client.get(other_path, headers=root.headers).json()["permissions"]["schedule"] is True
    assert client.post(f"{other_path}schedule/", json="0 4 * * *", headers=root.headers).status_code == 200
    kept = client.post(f"{other_path}validate/", json={"state": "accepted"}, headers=root.headers)
    assert kept.json()["schedule"] == "0 4 * * *"
    # A sysadmin's source is accepted at once: scheduled daily as a validation does (it never
    # ran on its own; udata's form takes no schedule).
    own = client.post(f"{API}/sources/", json=body(remote, org_id), headers=root.headers).json()
    assert (own["validation"]["state"], own["schedule"]) == ("accepted", "0 0 * * *")
    assert client.delete(f"{API}/source/{own['id']}/", headers=root.headers).status_code == 204
    # anyone reads sources, their permissions say what they may do
    public = client.get(path).json()
    assert public["permissions"] == dict.fromkeys(
        ("edit", "delete", "run", "schedule", "preview", "validate"), False
    )
    deleted = client.delete(path, headers=root.headers)
    assert (deleted.status_code, deleted.content) == (204, b"")  # udata's test_delete_source
    assert [listed["id"] for listed in client.get(f"{API}/sources/").json()["data"]] == [other["id"]]
    # udata's route still finds a deleted source: it is read, its date saying so, and its jobs;
    # deleted again, it stays as it was; nothing else is done with it any more.
    gone = client.get(path).json()
    assert (gone["id"], gone["deleted"] is not None) == (source["id"], True)
    assert client.get(f"{path}jobs/").json()["total"] == 0
    again = client.delete(path, headers=root.headers)
    assert (again.status_code, client.get(path).json()["deleted"]) == (204, gone["deleted"])
    assert client.delete(path, headers=editor.headers).status_code == 403
    assert client.put(path, json={"name": "Back"}, headers=root.headers).status_code == 404
    assert client.post(f"{path}run/", headers=root.headers).status_code == 404
    assert client.post(f"{path}schedule/", json="0 3 * * *", headers=root.headers).status_code == 404


def test_bad_input_is_a_4xx_in_udata_shape(client: TestClient, catalog: Catalog, remote: SiteServer) -> None:
    root, _, _, org_id = people(catalog)
    headers = root.headers

    unknown = client.post(f"{API}/sources/", json=body(remote, org_id, backend="ftp"), headers=headers)
    assert (unknown.status_code, unknown.json()["errors"]) == (
        400,
        {"backend": ["Unknown harvest backend ftp"]},
    )
    missing = client.post(f"{API}/sources/", json={"backend": "udata"}, headers=headers)
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"name", "url"}
    wrong = client.post(f"{API}/sources/", json={**body(remote, org_id), "config": "nope"}, headers=headers)
    assert wrong.status_code == 400
    assert "config" in wrong.json()["errors"]
    garbage = client.post(
        f"{API}/sources/", content=b"{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert garbage.status_code == 400
    source = client.post(f"{API}/sources/", json=body(remote, org_id), headers=headers).json()
    path = f"{API}/source/{source['id']}/"
    cron = client.post(f"{path}schedule/", json="every day", headers=headers)
    assert cron.status_code == 400
    assert cron.json()["errors"]["schedule"][0].startswith("Invalid cron expression")
    assert client.post(f"{path}schedule/", json=42, headers=headers).status_code == 400
    # A valid expression longer than its column: a 400, where PostgreSQL's refusal was a 500.
    long_cron = (
        ",".join(str(minute) for minute in range(0, 60, 2)) + " " + ",".join(map(str, range(24))) + " * * *"
    )
    too_long = client.post(f"{path}schedule/", json=long_cron, headers=headers)
    assert (too_long.status_code, too_long.json()["errors"]) == (
        400,
        {"schedule": ["Field cannot be longer than 128 characters."]},
    )
    assert client.post(f"{path}validate/", json={"state": "maybe"}, headers=headers).status_code == 400
    refused = client.post(f"{path}validate/", json={"state": "refused"}, headers=headers)
    assert (refused.status_code, refused.json()["errors"]) == (400, {"comment": ["This field is required."]})
    bad_url = client.put(path, json={"url": "ftp://example.org/"}, headers=headers)
    assert bad_url.json()["errors"] == {"url": ["Invalid URL: an http:// or https:// URL is expected"]}
    # A bracket left open or a port that is none was a 500 (urlsplit's own ValueError), or a
    # source that failed at each run.
    for url in ("http://[::1/x", "http://[zz]/x", "http://a]b/x", "http://h:abc/x", "http://h:99999/x"):
        refused = client.put(path, json={"url": url}, headers=headers)
        assert (refused.status_code, refused.json()["errors"]) == (
            400,
            {"url": ["Invalid URL: an http:// or https:// URL is expected"]},
        ), url
        previewed = client.post(
            "/api/1/harvest/source/preview/",
            json={"name": "p", "url": url, "backend": "dcat"},
            headers=headers,
        )
        assert previewed.status_code == 400, url
    assert client.get(f"{API}/source/{'0' * 24}/").json() == {"message": "Harvest source not found"}
    assert client.get(f"{API}/job/{'0' * 24}/").status_code == 404
    assert client.get(f"{API}/job/{'0' * 24}/items/").status_code == 404
    assert client.get(f"{path}jobs/?page=0").status_code == 400


def test_config_values_out_of_their_documented_bounds_are_refused(
    client: TestClient, catalog: Catalog, remote: SiteServer
) -> None:
    """docs/harvesting.md: page_size 1-1000, delay 0-3600; other values were taken silently."""
    root, _, _, org_id = people(catalog)
    for config, errors in (
        ({"page_size": 0}, ["page_size must be an integer from 1 to 1000"]),
        ({"page_size": "abc"}, ["page_size must be an integer from 1 to 1000"]),
        ({"page_size": 10.5, "delay": -1}, [
            "page_size must be an integer from 1 to 1000", "delay must be a number from 0 to 3600",
        ]),
        ({"delay": True}, ["delay must be a number from 0 to 3600"]),
    ):  # fmt: skip
        refused = client.post(
            f"{API}/sources/", json={**body(remote, org_id), "config": config}, headers=root.headers
        )
        assert (refused.status_code, refused.json()["errors"]) == (400, {"config": errors}), config
    fine = {"page_size": 1000, "delay": 0.5, "organization": "x"}
    created = client.post(
        f"{API}/sources/", json={**body(remote, org_id), "config": fine}, headers=root.headers
    )
    assert created.status_code == 201, created.text
    path = f"{API}/source/{created.json()['id']}/"
    assert client.put(path, json={"config": {"delay": 3601}}, headers=root.headers).status_code == 400
    # udata's clients send a backend's settings as extra_configs: read as the keys they name
    # (they were stored and never read), checked by the same bounds.
    listed = {"extra_configs": [{"key": "page_size", "value": 7}, {"key": "delay", "value": "0.5"}]}
    kept = client.put(path, json={"config": listed}, headers=root.headers)
    assert (kept.status_code, kept.json()["config"]) == (200, {"page_size": 7, "delay": 0.5}), kept.text
    out_of_bounds = {"extra_configs": [{"key": "page_size", "value": 0}]}
    assert client.put(path, json={"config": out_of_bounds}, headers=root.headers).status_code == 400
    # A text Python reads as no finite number stays the text (it became null once stored).
    texts = {"extra_configs": [{"key": "label", "value": "nan"}, {"key": "note", "value": "1e999"}]}
    kept = client.put(path, json={"config": texts}, headers=root.headers)
    assert (kept.status_code, kept.json()["config"]) == (200, {"label": "nan", "note": "1e999"}), kept.text
    refused = {"extra_configs": [{"key": "delay", "value": "inf"}]}
    assert client.put(path, json={"config": refused}, headers=root.headers).status_code == 400


def test_schedule_run_jobs_and_items(
    client: TestClient, catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    docs = real_datasets(3)
    publish_pages(site, remote.url(""), docs, page_size=100)
    broken = {"data": [*docs, {"id": "broken", "title": ""}], "next_page": None}
    site.documents["/api/1/datasets/?page_size=100&sort=created"].body = json.dumps(broken).encode()
    root, admin, _, org_id = people(catalog)
    source = client.post(f"{API}/sources/", json=body(remote, org_id), headers=admin.headers).json()
    path = f"{API}/source/{source['id']}/"

    scheduled = client.post(f"{path}schedule/", json="*/30 * * * *", headers=root.headers)
    assert scheduled.json()["schedule"] == "*/30 * * * *"
    unscheduled = client.delete(f"{path}schedule/", headers=root.headers)
    assert (unscheduled.status_code, unscheduled.content) == (204, b"")  # udata's test_unschedule_source
    assert client.get(path).json()["schedule"] is None
    # udata takes the expression bare as well as quoted ("both syntax").
    bare = client.post(
        f"{path}schedule/", content=b"0 4 * * *", headers={**root.headers, "Content-Type": "text/plain"}
    )
    assert (bare.status_code, bare.json()["schedule"]) == (200, "0 4 * * *")

    # Waiting for a sysadmin's validation, or refused, it runs for nobody (udata's RunSourceAPI).
    for state in ("pending", "refused"):
        if state == "refused":
            client.post(f"{path}validate/", json={"state": "refused"}, headers=root.headers)
        for who in (admin, root):
            refused = client.post(f"{path}run/", headers=who.headers)
            assert (refused.status_code, refused.json()) == (
                400,
                {"message": "Source is not validated. Please validate the source before running."},
            )
    assert client.get(f"{path}jobs/").json()["total"] == 0
    accepted(client, path, root)
    started = client.post(f"{path}run/", headers=admin.headers)
    assert started.status_code == 200, started.text
    job_id = started.json()["last_job"]["id"]
    job = _wait_for_end(client, job_id)

    assert job["status"] == "done-errors"
    assert job["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "archived": 0, "failed": 1}
    assert job["items"]["total"] == 4
    # udata's counters beside the items' link (by_status over its six statuses)
    assert job["items"]["by_status"] == {
        "pending": 0,
        "started": 0,
        "done": 3,
        "failed": 1,
        "skipped": 0,
        "archived": 0,
    }
    assert job["items"]["by_type"] == {"dataset": 3, "dataservice": 0}
    assert job["source"]["id"] == source["id"]
    jobs = client.get(f"{path}jobs/").json()
    assert [j["id"] for j in jobs["data"]] == [job_id]
    assert jobs["data"][0]["items"]["total"] == 4  # the list says it too (it said null)
    assert client.get(path).json()["last_job"]["items"]["total"] == 4
    assert client.get(f"{API}/sources/").json()["data"][0]["last_job"]["items"]["total"] == 4
    items = client.get(f"{API}/job/{job_id}/items/?page_size=2").json()
    assert (items["total"], len(items["data"]), items["next_page"] is not None) == (4, 2, True)
    failed = client.get(f"{API}/job/{job_id}/items/?status=failed", headers=admin.headers).json()["data"]
    assert [(i["remote_id"], i["status"], i["action"]) for i in failed] == [("broken", "failed", "failed")]
    assert failed[0]["errors"][0]["message"] == "a dataset without a title"
    assert failed[0]["errors"][0]["details"] == '{"id": "broken", "title": ""}'
    done = client.get(f"{API}/job/{job_id}/items/?status=done").json()["data"]
    assert {i["dataset"]["title"] for i in done} == {doc["title"] for doc in docs}
    # udata's item.remote_url: the dataset's address at the source (it was always null)
    assert {i["remote_url"] for i in done} == {doc["page"] for doc in docs}
    assert failed[0]["remote_url"] is None
    assert client.get(f"{API}/job/{job_id}/items/?status=bogus").status_code == 400
    # A page past the last one is a 404 (udata's pagination), the first page never is.
    assert client.get(f"{API}/job/{job_id}/items/?page=2&page_size=2").status_code == 200
    past = client.get(f"{API}/job/{job_id}/items/?page=3&page_size=2")
    assert (past.status_code, past.json()["message"]) == (404, NOT_FOUND)
    for status in ("archived", "pending", "started", "skipped"):  # udata's six statuses are filters
        assert client.get(f"{API}/job/{job_id}/items/?status={status}").json()["data"] == []
    # udata's item and job shapes: the remote URL and dataservice keys, a source reference
    assert {"remote_url", "dataservice"} <= set(done[0])
    assert job["source"] == {"id": source["id"], "class": "HarvestSource"}
    assert client.get(f"{path}jobs/?page=2").status_code == 404
    assert client.get(f"{API}/sources/?page=2").status_code == 404
    listed = client.get(f"{API}/sources/").json()
    assert listed["data"][0]["last_job"]["id"] == job_id
    # /metrics counts items and errors by source
    metrics = client.get("/metrics").text
    assert f'opencat_harvest_items_total{{result="created",source="{source["id"]}"}} 3.0' in metrics
    assert f'opencat_harvest_items_total{{result="failed",source="{source["id"]}"}} 1.0' in metrics
    assert f'opencat_harvest_jobs_total{{source="{source["id"]}",status="done-errors"}} 1.0' in metrics
    # the harvested datasets are in the catalog's own API, with their harvest metadata
    found = client.get("/api/1/datasets/?page_size=10&sort=created").json()["data"]
    harvested = [d for d in found if d["harvest"]]
    assert len(harvested) == 3
    assert harvested[0]["harvest"]["source_id"] == source["id"]
    assert harvested[0]["harvest"]["backend"] == "udata"
    # One made private since: its title and slug are for those who may read it.
    hidden = done[0]["dataset"]["id"]
    secret = {"private": True, "title": "Renamed in private"}
    assert client.put(f"/api/1/datasets/{hidden}/", json=secret, headers=admin.headers).status_code == 200
    anonymous = client.get(f"{API}/job/{job_id}/items/?status=done").json()["data"]
    assert "Renamed in private" not in json.dumps(anonymous)
    assert [i["dataset"] for i in anonymous if i["remote_id"] == done[0]["remote_id"]] == [None]
    assert [i["remote_url"] for i in anonymous if i["remote_id"] == done[0]["remote_id"]] == [None]
    member = client.get(f"{API}/job/{job_id}/items/?status=done", headers=admin.headers).json()["data"]
    assert {i["dataset"]["title"] for i in member} >= {"Renamed in private"}


def test_a_second_run_while_one_runs_is_a_409(
    client: TestClient, catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    publish_pages(site, remote.url(""), real_datasets(2), page_size=100)
    site.documents["/api/1/datasets/?page_size=100&sort=created"].delay = 3
    root, _, _, org_id = people(catalog)
    source = client.post(f"{API}/sources/", json=body(remote, org_id), headers=root.headers).json()
    path = f"{API}/source/{source['id']}/"

    first = client.post(f"{path}run/", headers=root.headers)
    second = client.post(f"{path}run/", headers=root.headers)

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["message"].startswith("A job of this source is running")
    site.documents["/api/1/datasets/?page_size=100&sort=created"].delay = 0
    assert _wait_for_end(client, first.json()["last_job"]["id"])["status"] == "done"


def test_an_item_error_shows_the_source_excerpt_only_to_who_manages_the_source(
    client: TestClient, catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """udata shows ``details`` to super-admins only; opencat to the source's managers too."""
    broken = {"data": [{"id": "broken", "title": ""}], "next_page": None}
    site.documents["/api/1/datasets/?page_size=100&sort=created"] = Document(json.dumps(broken).encode())
    root, admin, editor, org_id = people(catalog)
    outsider = make_user(catalog)
    source = client.post(f"{API}/sources/", json=body(remote, org_id), headers=admin.headers).json()
    accepted(client, f"{API}/source/{source['id']}/", root)
    job_id = client.post(f"{API}/source/{source['id']}/run/", headers=admin.headers).json()["last_job"]["id"]
    _wait_for_end(client, job_id)

    def details(headers: dict[str, str]) -> list[Any]:
        answer = client.get(f"{API}/job/{job_id}/items/?status=failed", headers=headers)
        assert answer.status_code == 200, answer.text
        return [error["details"] for item in answer.json()["data"] for error in item["errors"]]

    excerpt = '{"id": "broken", "title": ""}'
    assert details(root.headers) == details(admin.headers) == [excerpt]
    assert details({}) == details(editor.headers) == details(outsider.headers) == [None]


def test_backends_list_the_config_keys_each_reads(client: TestClient) -> None:
    backends = {backend["id"]: backend for backend in client.get(f"{API}/backends/").json()}

    assert set(backends) == {"udata", "dcat", "ckan", "datajson"}
    keys = {name: [config["key"] for config in b["extra_configs"]] for name, b in backends.items()}
    assert keys == {
        "udata": ["page_size", "organization", "delay"],
        "ckan": ["page_size", "delay"],
        "dcat": ["delay"],
        "datajson": ["delay"],
    }
    for backend in backends.values():
        assert (backend["filters"], backend["features"]) == ([], [])
        for config in backend["extra_configs"]:
            assert set(config) == {"key", "label", "description", "default"}
            assert config["label"]
            assert config["description"]
    udata = backends["udata"]["extra_configs"]
    assert (udata[0]["default"], udata[1]["default"], udata[2]["default"]) == ("100", None, "0.0")
    assert backends["ckan"]["label"] == "CKAN"


def _wait_for_end(client: TestClient, job_id: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"{API}/job/{job_id}/").json()
        if job["ended"] is not None:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


def test_the_source_list_searches_names_and_descriptions_and_shows_deleted_ones_if_asked(
    client: TestClient, catalog: Catalog, remote: SiteServer
) -> None:
    root, _, _, org_id = people(catalog)
    made = {}
    for name, description in (
        ("Région Bretagne", "Le portail régional"),
        ("Ville de Rennes", "Données 100% ouvertes"),
        ("Data_Europa", None),
    ):
        answer = client.post(
            f"{API}/sources/",
            json=body(remote, org_id, name=name, description=description),
            headers=root.headers,
        )
        assert answer.status_code == 201, answer.text
        made[name] = answer.json()["id"]

    def names(query: str) -> list[str]:
        answer = client.get(f"{API}/sources/{query}")
        assert answer.status_code == 200, answer.text
        return [source["name"] for source in answer.json()["data"]]

    assert names("?q=RÉGION") == names("?q=région") == ["Région Bretagne"]
    assert names("?q=portail") == ["Région Bretagne"]  # in the description
    assert names("?q=100%25") == ["Ville de Rennes"]  # % and _ are plain characters
    assert names("?q=a_e") == ["Data_Europa"]
    # newest first, as udata's model orders them (-created_at)
    assert names("?q=%20") == names("") == ["Data_Europa", "Ville de Rennes", "Région Bretagne"]
    assert names("?q=nowhere") == []

    assert client.delete(f"{API}/source/{made['Ville de Rennes']}/", headers=root.headers).status_code == 204
    assert names("") == ["Data_Europa", "Région Bretagne"]
    assert names("?deleted=false") == ["Data_Europa", "Région Bretagne"]
    assert names("?deleted=true") == ["Data_Europa", "Ville de Rennes", "Région Bretagne"]
    listed = client.get(f"{API}/sources/?deleted=true&q=rennes").json()
    assert (listed["total"], listed["data"][0]["deleted"] is not None) == (1, True)
    for key in ("owner", "organization"):  # udata's reference filters take ids only
        wrong = client.get(f"{API}/sources/?{key}=notanid")
        assert (wrong.status_code, wrong.json()) == (400, {"message": f"`{key}` must be an identifier"})
    assert names(f"?organization={org_id}") == ["Data_Europa", "Région Bretagne"]
    refused = client.get(f"{API}/sources/?deleted=maybe")
    assert refused.status_code == 400
    assert "deleted" in refused.json()["errors"]
    # an accented capital stored: SQLite's lower() kept it, and no query reached it
    extra = body(remote, org_id, name="Éducation nationale", description="Écoles")
    assert client.post(f"{API}/sources/", json=extra, headers=root.headers).status_code == 201
    assert names("?q=éducation") == names("?q=ÉDUCATION") == names("?q=écoles") == ["Éducation nationale"]


def test_a_source_has_udatas_slug_and_is_found_by_it(
    client: TestClient, catalog: Catalog, remote: SiteServer
) -> None:
    """udata's slug: from the name, unique, moved with a new name; the routes take it as they
    take the id (the id first)."""
    root, admin, _, org_id = people(catalog)

    def create(name: str) -> dict[str, Any]:
        answer = client.post(f"{API}/sources/", json=body(remote, org_id, name=name), headers=admin.headers)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    first, second = create("Région Bretagne"), create("Région Bretagne")
    assert (first["slug"], second["slug"]) == ("region-bretagne", "region-bretagne-1")
    # A name that reads as another source's id is not taken for one (the id is tried first).
    assert create(first["id"])["slug"] == f"{first['id']}-id"
    by_slug = client.get(f"{API}/source/region-bretagne-1/")
    assert (by_slug.status_code, by_slug.json()["id"]) == (200, second["id"])
    assert client.get(f"{API}/source/{first['id']}/").json()["slug"] == "region-bretagne"

    # Renamed, the slug follows the name (a name slugified the same keeps it).
    recased = client.put(
        f"{API}/source/region-bretagne/", json={"name": "RÉGION BRETAGNE"}, headers=admin.headers
    )
    assert (recased.status_code, recased.json()["slug"]) == (200, "region-bretagne")
    renamed = client.put(f"{API}/source/region-bretagne/", json={"name": "Rennes"}, headers=admin.headers)
    assert (renamed.json()["id"], renamed.json()["slug"]) == (first["id"], "rennes")
    assert client.get(f"{API}/source/region-bretagne/").status_code == 404
    assert client.get(f"{API}/source/rennes/").json()["id"] == first["id"]
    # As udata's converter: an id in capitals, a slug as spelled before slugifying.
    assert client.get(f"{API}/source/{first['id'].upper()}/").json()["id"] == first["id"]
    assert client.get(f"{API}/source/R%C3%89GION BRETAGNE 1/").json()["id"] == second["id"]

    # Who produces a source is set when it is made (udata's only_creation); sent again, unchanged,
    # it is no change; a sysadmin may move it.
    other_org = make_org(catalog, "Other", **{admin.user.id: "admin"}).id
    moved = client.put(f"{API}/source/rennes/", json={"organization": other_org}, headers=admin.headers)
    assert (moved.status_code, moved.json()["errors"]) == (
        400,
        {"organization": ["Cannot modify organization after creation"]},
    )
    to_self = client.put(f"{API}/source/rennes/", json={"owner": admin.user.id}, headers=admin.headers)
    assert to_self.json()["errors"] == {"owner": ["Cannot modify owner after creation"]}
    resent = client.put(
        f"{API}/source/rennes/", json={"organization": org_id, "owner": None}, headers=admin.headers
    )
    assert (resent.status_code, resent.json()["organization"]["id"]) == (200, org_id)
    by_root = client.put(f"{API}/source/rennes/", json={"organization": other_org}, headers=root.headers)
    assert (by_root.status_code, by_root.json()["organization"]["id"]) == (200, other_org)
    assert (
        client.put(f"{API}/source/rennes/", json={"organization": org_id}, headers=root.headers).status_code
        == 200
    )
    assert create("Région Bretagne")["slug"] == "region-bretagne"  # free again

    # Every route of a source takes the slug; what they answer names the source by its id.
    path = f"{API}/source/rennes/"
    assert (
        client.post(f"{path}schedule/", json="0 5 * * *", headers=root.headers).json()["schedule"]
        == "0 5 * * *"
    )
    assert client.delete(f"{path}schedule/", headers=root.headers).status_code == 204
    accepted(client, path, root)
    started = client.post(f"{path}run/", headers=admin.headers)
    assert (started.status_code, started.json()["id"]) == (200, first["id"])
    job = _wait_for_end(client, started.json()["last_job"]["id"])
    assert job["source"]["id"] == first["id"]
    jobs = client.get(f"{path}jobs/").json()
    assert [(j["id"], j["source"]["id"]) for j in jobs["data"]] == [(job["id"], first["id"])]
    assert client.get(f"{path}preview/", headers=admin.headers).status_code == 200
    assert client.delete(path, headers=admin.headers).status_code == 204
    gone = client.get(path, headers=root.headers).json()
    assert gone["deleted"] is not None
    # Deleted, it is only deleted again: its permissions say so.
    assert gone["permissions"] == {
        "edit": False,
        "delete": True,
        "run": False,
        "schedule": False,
        "preview": False,
        "validate": False,
    }


def test_a_preview_reads_and_maps_without_writing(
    client: TestClient, catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    docs = real_datasets(25)
    publish_pages(site, remote.url(""), docs, page_size=10)
    root, admin, _, org_id = people(catalog)
    source = client.post(
        f"{API}/sources/", json=body(remote, org_id, config={"page_size": 10}), headers=admin.headers
    ).json()
    preview = f"{API}/source/{source['id']}/preview/"

    assert client.get(preview).status_code == 401
    stranger = make_user(catalog, first_name="Stranger")
    assert client.get(preview, headers=stranger.headers).status_code == 403
    assert client.get(f"{API}/source/{'0' * 24}/preview/", headers=root.headers).status_code == 404
    answer = client.get(preview, headers=admin.headers)

    assert answer.status_code == 200, answer.text
    job = answer.json()
    assert (job["id"], job["status"], job["errors"]) == (None, "done", [])
    assert job["source"]["id"] == source["id"]
    assert len(job["items"]) == 20  # udata's preview reads 20 entries at most
    assert [item["remote_id"] for item in job["items"]] == [doc["id"] for doc in docs[:20]]
    assert {(item["status"], item["action"]) for item in job["items"]} == {("done", "create")}
    assert [item["remote_url"] for item in job["items"]] == [doc["page"] for doc in docs[:20]]
    first = job["items"][0]["dataset"]
    assert first["title"] == docs[0]["title"]
    assert first["harvest"]["remote_id"] == docs[0]["id"]
    assert [r["url"] for r in first["resources"]] == [r["url"] for r in docs[0]["resources"]]
    # what the run stores (a review found the checksum missing from the preview)
    assert [r["checksum"] for r in first["resources"]] == [r.get("checksum") for r in docs[0]["resources"]]
    # nothing written: no job, no dataset
    assert client.get(f"{API}/source/{source['id']}/jobs/").json()["total"] == 0
    assert client.get("/api/1/datasets/").json()["total"] == 0

    # once harvested, the same entries preview as unchanged, an edited one as an update
    accepted(client, f"{API}/source/{source['id']}/", root)
    assert client.post(f"{API}/source/{source['id']}/run/", headers=admin.headers).status_code == 200
    _wait_for_end(client, client.get(f"{API}/source/{source['id']}/").json()["last_job"]["id"])
    docs[1] = {**docs[1], "title": docs[1]["title"] + " (v2)"}
    publish_pages(site, remote.url(""), docs, page_size=10)
    items = client.get(preview, headers=root.headers).json()["items"]
    assert [item["action"] for item in items[:3]] == ["unchanged", "update", "unchanged"]
    assert items[0]["status"] == "skipped"

    # an entry listed twice fails in the preview as it does in a run (it showed as unchanged)
    publish_pages(site, remote.url(""), [docs[0], docs[0], *docs[2:]], page_size=10)
    twice = client.get(preview, headers=root.headers).json()["items"]
    assert [(item["action"], item["status"]) for item in twice[:2]] == [
        ("unchanged", "skipped"),
        ("fail", "failed"),
    ]
    assert "more than once" in twice[1]["errors"][0]["message"]


def test_a_preview_of_a_payload_and_of_a_failing_source(
    client: TestClient, catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    docs = real_datasets(3)
    publish_pages(site, remote.url(""), docs, page_size=100)
    root, admin, editor, org_id = people(catalog)
    path = f"{API}/source/preview/"

    assert client.post(path, json=body(remote, org_id)).status_code == 401
    assert (
        client.post(path, json=body(remote, org_id), headers=editor.headers).status_code == 403
    )  # as creating it
    assert client.post(path, json={"name": "No URL"}, headers=admin.headers).status_code == 400
    answer = client.post(path, json=body(remote, org_id), headers=admin.headers)

    assert answer.status_code == 200, answer.text
    job = answer.json()
    assert (job["status"], job["source"], len(job["items"])) == ("done", None, 3)
    assert job["items"][0]["dataset"]["title"] == docs[0]["title"]
    assert client.get(f"{API}/sources/").json()["total"] == 0  # the payload is not kept

    failing = client.post(
        path, json=body(remote, org_id, url=remote.url("/nowhere/")), headers=root.headers
    ).json()
    assert (failing["status"], failing["items"]) == ("failed", [])
    assert failing["errors"][0]["message"]


def test_previews_at_once_are_bounded(
    client: TestClient, catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """Any signed-in user may preview a source: past two at once in a process, a 429 (ten slow
    ones held every request handler of the worker)."""
    from opencat.catalog import harvest_preview

    publish_pages(site, remote.url(""), real_datasets(3), page_size=10)
    _root, admin, _editor, org_id = people(catalog)
    fields = body(remote, org_id)
    for _ in range(harvest_preview.PREVIEWS_AT_ONCE):
        assert harvest_preview._running.acquire(blocking=False)
    try:
        busy = client.post(f"{API}/source/preview/", json=fields, headers=admin.headers)
        assert (busy.status_code, busy.json()) == (
            429,
            {"message": "Too many harvest previews are running; retry in a few seconds"},
        )
        assert busy.headers["retry-after"] == "5"
    finally:
        for _ in range(harvest_preview.PREVIEWS_AT_ONCE):
            harvest_preview._running.release()
    assert client.post(f"{API}/source/preview/", json=fields, headers=admin.headers).status_code == 200


def test_the_source_is_found_and_its_permission_tested_before_the_body(
    client: TestClient, catalog: Catalog, remote: SiteServer
) -> None:
    """udata's route finds the source (404), tests the permission (403), then reads the form: a
    bad body answered 400 for an unknown source, or to someone who may not change it."""
    root, admin, editor, org_id = people(catalog)
    source = client.post(f"{API}/sources/", json=body(remote, org_id), headers=admin.headers).json()
    assert source["description"] is None  # none sent: udata's null (it was "")
    unknown = f"{API}/source/{'0' * 24}/"
    assert client.put(unknown, json={"url": "bad"}, headers=admin.headers).status_code == 404
    assert (
        client.post(f"{unknown}validate/", json={"state": "bogus"}, headers=root.headers).status_code == 404
    )
    assert client.post(f"{unknown}schedule/", content=b"5", headers=root.headers).status_code == 404
    path = f"{API}/source/{source['id']}/"
    assert client.put(path, json={"name": ""}, headers=editor.headers).status_code == 403
    assert client.put(path, content=b"garbage", headers=editor.headers).status_code == 403
    assert client.post(f"{path}schedule/", content=b"99 * * * *", headers=editor.headers).status_code == 403
    assert client.post(f"{path}validate/", json={"state": "bogus"}, headers=admin.headers).status_code == 403
    assert client.put(path, json={"url": "bad"}).status_code == 401
