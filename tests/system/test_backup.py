"""``opencat backup`` while a real server takes writes, ``opencat restore`` into another data
directory: the restored node serves the same catalog (datasets, resources, files).

SQLite only: that is what backup handles (PostgreSQL and S3 are refused, see the last test)."""

import json
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2

from tests.ports import free_port
from tests.system.conftest import Launcher
from tests.system.harness import Server, cli, client, opencat_command


def opencat(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*opencat_command(), *arguments], env=env, capture_output=True, text=True, timeout=120, check=False
    )


class Writer(threading.Thread):
    """Creates datasets, each with an uploaded file, until told to stop."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, {"X-API-KEY": key}
        self.stop = threading.Event()
        self.created: list[str] = []
        self.failures: list[str] = []

    def run(self) -> None:
        with client(self.url) as http:
            number = 0
            while not self.stop.is_set():
                number += 1
                made = http.post(
                    "/api/1/datasets/",
                    json={"title": f"Backed up {number}", "description": "under traffic"},
                    headers=self.headers,
                )
                if made.status_code != 201:
                    self.failures.append(made.text)
                    continue
                dataset = made.json()["id"]
                upload = http.post(
                    f"/api/1/datasets/{dataset}/upload/",
                    files={"file": (f"data-{number}.csv", f"n,value\n{number},{number * 7}\n".encode())},
                    headers=self.headers,
                )
                if upload.status_code != 201:
                    self.failures.append(upload.text)
                self.created.append(dataset)


def catalog_of(http: httpx2.Client, ids: list[str]) -> dict[str, Any]:
    return {dataset: http.get(f"/api/1/datasets/{dataset}/").json() for dataset in ids}


def files_of(http: httpx2.Client, datasets: dict[str, Any]) -> dict[str, bytes]:
    found = {}
    for dataset in datasets.values():
        for resource in dataset["resources"]:
            if resource["filetype"] == "file":
                found[resource["id"]] = http.get(urlsplit(resource["url"]).path).content
    return found


def restored_node(launch: Launcher, name: str, base_url: str, backup: Path) -> Server:
    root = launch.root / name / "data"
    env = launch.env(name, f"sqlite:///{root / 'opencat.db'}", base_url)
    done = opencat(env, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Restored ")
    server = Server(env, free_port(), workers=1)
    launch.servers.append(server)
    return server


def test_backup_under_writes_restores_the_same_catalog(launch: Launcher, tmp_path: Path) -> None:
    data = launch.root / "origin" / "data"
    env = launch.env("origin", f"sqlite:///{data / 'opencat.db'}")
    port = free_port()
    env["OPENCAT_BASE_URL"] = f"http://127.0.0.1:{port}"
    admin = cli(env, "user", "create", "--sysadmin", "--email", "a@example.org", "--first-name", "A", "--last-name", "B")  # fmt: skip
    origin = Server(env, port, workers=2)
    launch.servers.append(origin)

    writer = Writer(origin.url, admin["api_key"])
    writer.start()
    try:
        while len(writer.created) < 5:
            writer.join(0.05)
        during = opencat(env, "backup", str(tmp_path / "during"))
        created_at_backup = len(writer.created)
    finally:
        writer.stop.set()
        writer.join(60)
    assert during.returncode == 0, during.stderr
    assert not writer.failures, writer.failures
    manifest = json.loads((tmp_path / "during" / "manifest.json").read_text())
    assert manifest["missing_files"] == []
    assert manifest["database"] == "opencat.db"
    assert 5 <= manifest["datasets"] <= created_at_backup + 1
    after = opencat(env, "backup", str(tmp_path / "after"))
    assert after.returncode == 0, after.stderr

    with client(origin.url) as http:
        everything = catalog_of(http, writer.created)
        everything_files = files_of(http, everything)

    # Under traffic: a consistent instant, each of its datasets and files as the origin serves them.
    early = restored_node(launch, "early", origin.url, tmp_path / "during")
    with client(early.url) as http:
        listed = http.get("/api/1/datasets/?page_size=1000").json()
        ids = [item["id"] for item in listed["data"]]
        assert len(ids) == manifest["datasets"]
        assert set(ids) <= set(writer.created)
        restored = catalog_of(http, ids)
        # The backup's instant may fall between a dataset's creation and its file's upload.
        unfinished = [dataset for dataset in ids if restored[dataset] != everything[dataset]]
        assert len(unfinished) <= 1
        for dataset in unfinished:
            assert restored[dataset]["resources"] == []
            assert restored[dataset]["title"] == everything[dataset]["title"]
        assert files_of(http, restored) == {key: everything_files[key] for key in files_of(http, restored)}

    # At rest: the whole catalog, answers equal, files equal, search rebuilt.
    late = restored_node(launch, "late", origin.url, tmp_path / "after")
    with client(late.url) as http, client(origin.url) as source:
        assert catalog_of(http, writer.created) == everything
        assert files_of(http, everything) == everything_files
        search = "/api/1/datasets/?q=backed&page_size=1"
        assert http.get(search).json()["total"] == source.get(search).json()["total"] == len(writer.created)


def test_backup_refuses_a_non_empty_directory_and_restore_an_existing_database(
    launch: Launcher, tmp_path: Path
) -> None:
    data = launch.root / "node" / "data"
    env = launch.env("node", f"sqlite:///{data / 'opencat.db'}")
    assert opencat(env, "db", "upgrade").returncode == 0
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    refused = opencat(env, "backup", str(tmp_path / "full"))
    # A refused argument, nothing done: the README's exit 2 (it was 1, the code of a failed work).
    assert (refused.returncode, refused.stderr.count("\n")) == (2, 1)
    assert "is not empty" in refused.stderr
    assert opencat(env, "backup", str(tmp_path / "ok")).returncode == 0
    again = opencat(env, "restore", str(tmp_path / "ok"))
    assert again.returncode == 2
    assert "already exists" in again.stderr
    not_one = opencat(env, "restore", str(tmp_path / "full"))
    assert (not_one.returncode, "not a backup" in not_one.stderr) == (2, True)
    # an export's file in a directory that does not exist is refused by name, nothing written
    lost = opencat(env, "export", "dcat", "--output", str(tmp_path / "nowhere" / "x.nt"))
    assert lost.returncode == 2
    assert "--output: the directory of" in lost.stderr


def test_the_pages_signing_key_is_backed_up_and_restored_owner_only(launch: Launcher, tmp_path: Path) -> None:
    """Without it, a restored node would sign every publisher out (their cookies no longer verify)."""
    data = launch.root / "keyed" / "data"
    env = launch.env("keyed", f"sqlite:///{data / 'opencat.db'}")
    data.mkdir(parents=True, exist_ok=True)
    (data / "secret_key").write_text("k" * 64)
    assert opencat(env, "db", "upgrade").returncode == 0
    assert opencat(env, "backup", str(tmp_path / "b")).returncode == 0
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["secret_key"] is True
    assert (tmp_path / "b" / "secret_key").stat().st_mode & 0o777 == 0o600
    restored = launch.root / "restored" / "data"
    done = opencat(
        launch.env("restored", f"sqlite:///{restored / 'opencat.db'}"), "restore", str(tmp_path / "b")
    )
    assert done.returncode == 0, done.stderr
    assert (restored / "secret_key").read_text() == "k" * 64
    assert (restored / "secret_key").stat().st_mode & 0o777 == 0o600


def test_backup_of_postgresql_or_s3_points_to_the_deployment_guide(launch: Launcher, tmp_path: Path) -> None:
    env = launch.env("pg", "postgresql://opencat@127.0.0.1:1/opencat")
    done = opencat(env, "backup", str(tmp_path / "b"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "pg_dump" in done.stderr
    assert "docs/deployment.md" in done.stderr
    bucket = launch.env("s3", f"sqlite:///{tmp_path / 'x.db'}", storage_url="s3://bucket/prefix")
    done = opencat(bucket, "restore", str(tmp_path / "b"))
    assert done.returncode == 2
    assert "versioning" in done.stderr
    assert not (tmp_path / "b").exists()
