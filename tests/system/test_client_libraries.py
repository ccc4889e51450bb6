"""udata's own Python client (datagouv-client, https://pypi.org/project/datagouv-client/) drives a
real ``opencat serve`` as a publisher's script would: create and edit a dataset, its extras (API
v2), a remote and an uploaded resource, replace the file, reorder, read, download, list (v1 with a
mask, v2 with its resource links), an organization's datasets, delete.

The client lives in a virtual environment of its own (``.venv-clients``, from
tests/clients/requirements.txt, made again when that file changes): its urllib3-future replaces
urllib3, which the project's environment keeps for boto3 and requests."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from opencat.catalog import accounts
from tests.system.conftest import Deployment

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "tests" / "clients"
REQUIREMENTS = CLIENTS / "requirements.txt"
VENV = ROOT / ".venv-clients"


def _client_python() -> Path:
    """The clients' interpreter, its environment made first when missing or out of date. It is
    built beside and renamed into place, so that a run cut short leaves no half-made one."""
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    stamp = VENV / "requirements.txt"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return VENV / "bin" / "python"
    building = VENV.with_name(f"{VENV.name}.{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    # No pip of its own: the project's pip installs into it (ensurepip and a pip upgrade took
    # ~25 s, this ~3 s).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(building)], check=True)
    install = [sys.executable, "-m", "pip", "--python", str(building / "bin" / "python"), "install"]
    subprocess.run([*install, "--quiet", "--no-deps", "--no-compile", "-r", str(REQUIREMENTS)], check=True)
    (building / "requirements.txt").write_text(wanted, encoding="utf-8")
    shutil.rmtree(VENV, ignore_errors=True)
    building.rename(VENV)
    return VENV / "bin" / "python"


@pytest.fixture(scope="module")
def client_python() -> Path:
    return _client_python()


def test_a_publishers_script_with_udatas_own_client(
    deployment: Deployment, client_python: Path, tmp_path: Path
) -> None:
    publisher = deployment.new_user()
    organization = accounts.create_organization(deployment.catalog, name="Navettes de Test")
    accounts.add_member(deployment.catalog, organization.id, publisher.id, "admin")
    flow = CLIENTS / "datagouv_client_flow.py"
    completed = subprocess.run(
        [str(client_python), str(flow), deployment.url, publisher.key, organization.id, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    seen = json.loads(completed.stdout.splitlines()[-1])

    assert seen["created"] == {"title": "Horaires des navettes", "frequency": "daily", "license": "lov2"}
    assert seen["updated"] == {"title": "Horaires des navettes fluviales", "tags": ["navettes", "transport"]}
    assert seen["extras"] == {"source": "script"}
    assert seen["static"]["title"] == "Horaires"
    assert seen["static"]["description"] == "Le tableau"
    assert (seen["static"]["format"], seen["static"]["filesize"]) == ("csv", 20)
    assert seen["static"]["checksum"]["type"] == "sha1"
    assert seen["replaced"] == {"title": "Horaires d'hiver", "filesize": 28}
    assert seen["remote_extras"] == {"check:available": True}
    assert seen["by_id_alone"] is True
    assert seen["resources"] == ["Flux temps réel", "Horaires d'hiver"]
    assert seen["downloaded"] == "ligne,heure\nA,08:00\nB,09:30\n"
    assert seen["listed"] == ["Horaires des navettes fluviales"]
    assert seen["listed_v2"] == [["Horaires des navettes fluviales", 2]]
    assert seen["organization"] == {
        "name": "Navettes de Test",
        "datasets": ["Arrêts des navettes"],
        "seen_by_anyone": [],  # the dataset is private
    }
    assert seen["after_delete"] == 410
