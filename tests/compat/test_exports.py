"""The official catalogue CSV exports loaded with ``load_fixtures`` and read back through API v1.

Two exports are understood, told apart by their header line: the comma-separated cut of the
2020-01-11 export (``id,title,url,description,organization``, shared/realdata README section 3) and
the current ``;``-separated dataset export (section 4, real rows with the exact current header).
"""

import csv
import hashlib
import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.csv_exports import (
    EXPORT_2020_DATE,
    generated_organization_id,
    read_export,
    slug_from_url,
)
from opencat.catalog.import_files import read_entries
from opencat.catalog.imports import load_fixtures
from opencat.cli import main
from opencat.db import tables
from opencat.domain.errors import Invalid
from tests import paths
from tests.dcat.examples import LICENSES

EXPORT_2020 = paths.REALDATA / "catalog-export-2020-subset" / "export.csv"
EXPORT_2020_COUNT = 2862
SUBSET_ROWS = 200
CURRENT = paths.REALDATA / "catalog-export-format-samples" / "export-datasets-sample.csv"
RESOURCES_SAMPLE = paths.REALDATA / "catalog-export-format-samples" / "export-resources-sample.csv"

# Rows of the 2020 export used below, as the file has them.
DOTATIONS = "5e174be4634f414cd8a244f1"  # "Critères de répartition des dotations…", DGCL
RUA = 'Consultation "Vers un Revenu universel d\'activité" '  # its page slug ends in -1
AUTO_ECOLE = "5dfba7b7634f4139f40f5032"  # no organization
POPULATION = "5e1465ef634f413f2cc19e8d"  # a description over several lines


def _rows_2020() -> list[dict[str, str]]:
    with EXPORT_2020.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_2020(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "url", "description", "organization"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _subset_2020(path: Path, ids: tuple[str, ...] = (), organization: str | None = None) -> Path:
    """The 2020 export's first rows and those a test is about (``ids``, ``organization``'s): the
    interactions it pins, among other real rows, at a tenth of the whole file's load (which
    ``test_2020_export_loads_and_reads_back_then_reloads_in_place`` loads whole)."""
    kept = [
        row
        for number, row in enumerate(_rows_2020())
        if number < SUBSET_ROWS or row["id"] in ids or (organization and row["organization"] == organization)
    ]
    return _write_2020(path, kept)


def _current_lines() -> list[str]:
    return CURRENT.read_text(encoding="utf-8").splitlines()


def _count(catalog: Catalog, table: sa.Table) -> int:
    with catalog.db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# Reading the files (no database).


def test_2020_export_reads_every_row_as_a_document_with_its_organization() -> None:
    rows = _rows_2020()
    entries, organizations = read_entries(EXPORT_2020, LICENSES.values())
    assert organizations == {}
    assert len(entries) == len(rows) == EXPORT_2020_COUNT
    assert [e.dataset["id"] for e in entries] == [row["id"] for row in rows]
    by_id = {e.dataset["id"]: e for e in entries}

    first = by_id[DOTATIONS]
    assert (
        first.dataset["slug"]
        == "criteres-de-repartition-des-dotations-versees-par-letat-aux-collectivites-territoriales"
    )
    assert first.dataset["created_at"] == first.dataset["last_modified"] == EXPORT_2020_DATE
    assert first.resources == []
    name = "Direction générale des collectivités locales"
    expected_id = hashlib.sha1(name.encode()).hexdigest()[:24]
    assert first.organization is not None
    assert (first.organization["id"], first.organization["name"]) == (expected_id, name)

    # The slug is the page's, not the title's: a second dataset of that title got "-1".
    rua = next(e for e in entries if e.dataset["title"] == RUA)
    assert rua.dataset["slug"] == "consultation-vers-un-revenu-universel-dactivite-1"
    assert by_id[AUTO_ECOLE].organization is None
    description = next(row["description"] for row in rows if row["id"] == POPULATION)
    assert "\n" in description
    assert by_id[POPULATION].dataset["description"] == description
    # One organization per distinct name, each with its own id.
    names = {row["organization"] for row in rows if row["organization"]}
    ids = {e.organization["id"] for e in entries if e.organization}
    assert len(ids) == len(names)


def test_generated_organization_ids_are_stable_object_id_shaped_and_distinct() -> None:
    first = generated_organization_id("Ministère de l'Intérieur")
    assert first == generated_organization_id("Ministère de l'Intérieur")
    assert len(first) == 24
    assert all(char in "0123456789abcdef" for char in first)
    assert generated_organization_id("Ministère de l'intérieur") != first


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("http://www.data.gouv.fr/fr/datasets/base-sirene/", "base-sirene"),
        ("https://www.data.gouv.fr/datasets/jours-feries-en-france/", "jours-feries-en-france"),
        ("https://www.data.gouv.fr/en/datasets/a-b", "a-b"),
        ("https://demo.data.gouv.fr/fr/datasets/caf%C3%A9/", "café"),
        ("https://www.data.gouv.fr/fr/datasets/5e174be4634f414cd8a244f1/", "5e174be4634f414cd8a244f1"),
        ("https://www.data.gouv.fr/fr/reuses/une-reutilisation/", None),
        ("https://www.data.gouv.fr/fr/datasets/a/resources/", None),
        ("https://example.org/fr/datasets/base-sirene/", None),
        ("https://notdata.gouv.fr.example.org/fr/datasets/x/", None),
        ("", None),
    ],
)
def test_slug_from_url_only_reads_data_gouv_fr_dataset_pages(url: str, slug: str | None) -> None:
    assert slug_from_url(url) == slug


def test_2020_row_outside_data_gouv_fr_takes_its_slug_from_its_title(tmp_path: Path) -> None:
    row = {
        "id": "5e174be4634f414cd8a244f1",
        "title": "Élections : résultats",
        "url": "https://example.org/elections",
        "description": "",
        "organization": "",
    }
    entries, _ = read_entries(_write_2020(tmp_path / "export.csv", [row]), LICENSES.values())
    assert entries[0].dataset["slug"] == "elections-resultats"


def test_current_export_maps_each_column_to_its_api_field() -> None:
    entries, _ = read_entries(CURRENT, LICENSES.values())
    by_id = {e.dataset["id"]: e for e in entries}
    assert len(entries) == 4

    feries = by_id["5b3cc551c751df4822526c1c"]
    doc = feries.dataset
    assert doc["title"] == "Jours fériés en France"
    assert doc["slug"] == "jours-feries-en-france"
    assert doc["acronym"] is None
    assert doc["license"] == "lov2"  # the export writes the license's title
    assert doc["frequency"] == "unknown"
    assert doc["temporal_coverage"] == {"start": "1950-01-01", "end": "2050-12-31"}
    assert doc["spatial"] == {"granularity": "other"}  # zones are names there, not ids: dropped
    assert doc["featured"] is False
    assert doc["archived"] is None
    assert doc["created_at"] == "2018-07-04T15:02:09.599000"
    assert doc["tags"] == ["calendrier", "code-du-travail", "jours", "jours-feries", "vacances"]
    assert doc["harvest"] is None
    assert doc["owner"] is None
    assert feries.organization == {"id": "646b7187b50b2a93b1ae3d45", "name": "data.gouv.fr"}
    metrics = doc["metrics"]
    assert (metrics["views"], metrics["followers"], metrics["discussions"]) == (353899, 16, 17)
    assert metrics["resources_downloads"] == 42418438
    assert metrics["followers_by_months"]["2024-10"] == 1
    assert len(metrics["followers_by_months"]) == 13

    assert by_id["67164a231c2a52cc06b9b618"].dataset["featured"] is True
    coproff = by_id["68c8103f65789f729ee0c3c1"].dataset
    assert coproff["acronym"] == "CoproFF"
    assert coproff["frequency"] == "annual"
    # Empty monthly counts are written 0 there: not a month table, so not kept.
    assert "reuses_by_months" not in coproff["metrics"]
    assert "resources_downloads" not in coproff["metrics"]  # an empty cell


def test_current_export_row_short_of_values_keeps_head_and_tail_in_place() -> None:
    # The sample's third row has 37 values for 40 columns: description_short, frequency and license
    # are missing between the description and the (empty) temporal coverage.
    values = next(csv.reader([_current_lines()[3]], delimiter=";"))
    assert len(values) == 37
    entries, _ = read_entries(CURRENT, LICENSES.values())
    doc = next(e.dataset for e in entries if e.dataset["id"] == "60232259b50cb565807ce5b2")
    assert doc["description"].startswith("**Le ministère de l\u2019Economie")
    assert (doc["frequency"], doc["license"], doc["temporal_coverage"]) == ("", None, None)
    assert doc["featured"] is False
    assert doc["created_at"] == doc["last_modified"] == "2022-04-08T17:07:56.724000"
    assert doc["tags"] == ["economie", "plan-de-relance"]
    assert doc["archived"] is None
    assert doc["harvest"] == {
        "backend": "DCAT",
        "domain": "data.economie.gouv.fr",
        "created_at": "2022-04-08T17:07:56.724000",
        "modified_at": "2022-04-08T17:07:56.724000",
        "remote_url": "https://data.economie.gouv.fr/explore/dataset/plan-de-relance/",
    }
    assert (doc["metrics"]["reuses"], doc["metrics"]["views"]) == (1, 2898)


def test_current_export_owner_archive_and_license_variants(tmp_path: Path) -> None:
    header, row = _current_lines()[0], _current_lines()[1]
    columns = next(csv.reader([header], delimiter=";"))
    values = dict(zip(columns, next(csv.reader([row], delimiter=";")), strict=True))
    owned = {
        **values,
        "organization": "",
        "organization_id": "",
        "owner": "jean-dupont",
        "owner_id": "5a1b2c3d4e5f6a7b8c9d0e1f",
        "license": "Open Data Commons Open Database License (ODbL)",
        "archived": "2024-03-01T10:00:00",
    }
    archived_flag = {**values, "id": "5b3cc551c751df4822526c1d", "archived": "True", "license": "Licence X"}
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        writer.writerows([[item[name] for name in columns] for item in (owned, archived_flag)])
    first, second = (entry.dataset for entry in read_entries(path, LICENSES.values())[0])
    assert first["owner"] == {"id": "5a1b2c3d4e5f6a7b8c9d0e1f", "slug": "jean-dupont"}
    assert first["license"] == "odc-odbl"
    assert first["archived"] == "2024-03-01T10:00:00"
    assert read_entries(path, LICENSES.values())[0][0].organization is None
    assert second["archived"] == second["last_modified"]  # a bare True: archived when last modified
    assert second["license"] is None  # a title we do not know


def test_other_csv_files_are_refused_with_the_expected_headers() -> None:
    with pytest.raises(Invalid) as refused:
        read_entries(RESOURCES_SAMPLE, LICENSES.values())
    assert "not a catalogue export" in str(refused.value.errors["path"])


def test_a_row_with_more_values_than_columns_is_refused_with_its_record_number(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        'id,title,url,description,organization\n5e174be4634f414cd8a244f1,"a\nb",u,d,o\n1,2,3,4,5,6\n',
        encoding="utf-8",
    )
    with pytest.raises(Invalid) as refused:
        read_entries(path, LICENSES.values())
    assert refused.value.errors["path"] == [f"{path}, record 3: 6 values for 5 columns"]


def test_json_is_still_told_apart_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "datasets.json"
    path.write_text('\ufeff\n  [{"id": "5e174be4634f414cd8a244f1", "title": "T"}]', encoding="utf-8")
    entries, _ = read_entries(path, LICENSES.values())
    assert [e.dataset["title"] for e in entries] == ["T"]


# Loading into the database and reading back through API v1.


def test_2020_export_loads_and_reads_back_then_reloads_in_place(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    assert load_fixtures(catalog, EXPORT_2020) == EXPORT_2020_COUNT
    rows = _rows_2020()
    names = {row["organization"] for row in rows if row["organization"]}
    assert _count(catalog, tables.datasets) == EXPORT_2020_COUNT
    assert _count(catalog, tables.organizations) == len(names)
    assert client.get("/api/1/datasets/?page_size=1").json()["total"] == EXPORT_2020_COUNT

    ours = client.get(f"/api/1/datasets/{DOTATIONS}/").json()
    assert (
        ours["slug"]
        == "criteres-de-repartition-des-dotations-versees-par-letat-aux-collectivites-territoriales"
    )
    assert ours["title"] == rows[0]["title"]
    assert ours["description"] == rows[0]["description"]
    assert ours["created_at"].startswith("2020-01-11T00:00:00")
    assert ours["last_modified"].startswith("2020-01-11T00:00:00")
    assert ours["resources"] == []
    org = ours["organization"]
    assert org["name"] == "Direction générale des collectivités locales"
    assert org["slug"] == "direction-generale-des-collectivites-locales"
    assert org["id"] == generated_organization_id(org["name"])
    full = client.get(f"/api/1/organizations/{org['id']}/").json()
    assert full["name"] == org["name"]
    assert client.get(f"/api/1/datasets/?organization={org['id']}&page_size=1").json()["total"] == sum(
        1 for row in rows if row["organization"] == org["name"]
    )
    alone = client.get(f"/api/1/datasets/{AUTO_ECOLE}/").json()
    assert (alone["organization"], alone["owner"]) == (None, None)
    by_slug = client.get("/api/1/datasets/consultation-vers-un-revenu-universel-dactivite-1/")
    assert by_slug.status_code == 200

    # Loading rows again replaces them in place: nothing is duplicated, a changed row wins.
    again = rows[:300]
    assert load_fixtures(catalog, _write_2020(tmp_path / "again.csv", again)) == len(again)
    assert _count(catalog, tables.datasets) == EXPORT_2020_COUNT
    assert _count(catalog, tables.organizations) == len(names)
    changed = {**rows[0], "title": "Titre remplacé", "organization": "Une autre organisation"}
    assert load_fixtures(catalog, _write_2020(tmp_path / "export.csv", [changed])) == 1
    ours = client.get(f"/api/1/datasets/{DOTATIONS}/").json()
    assert ours["title"] == "Titre remplacé"
    assert ours["slug"] == rows[0]["url"].rstrip("/").rsplit("/", 1)[1]
    assert ours["organization"]["id"] == generated_organization_id("Une autre organisation")
    assert _count(catalog, tables.datasets) == EXPORT_2020_COUNT


def test_current_export_loads_and_reads_back(client: TestClient, catalog: Catalog) -> None:
    assert load_fixtures(catalog, CURRENT) == 4
    ours = client.get("/api/1/datasets/5b3cc551c751df4822526c1c/").json()
    assert (ours["slug"], ours["license"], ours["frequency"]) == ("jours-feries-en-france", "lov2", "unknown")
    assert ours["tags"] == ["calendrier", "code-du-travail", "jours", "jours-feries", "vacances"]
    assert ours["temporal_coverage"] == {"start": "1950-01-01", "end": "2050-12-31"}
    assert ours["spatial"]["granularity"] == "other"
    assert ours["created_at"].startswith("2018-07-04T15:02:09.599")
    assert ours["organization"]["id"] == "646b7187b50b2a93b1ae3d45"
    assert ours["organization"]["name"] == "data.gouv.fr"
    assert (ours["metrics"]["views"], ours["metrics"]["followers"]) == (353899, 16)
    assert ours["archived"] is None
    harvested = client.get("/api/1/datasets/60232259b50cb565807ce5b2/").json()
    assert (
        harvested["harvest"]["remote_url"] == "https://data.economie.gouv.fr/explore/dataset/plan-de-relance/"
    )
    assert client.get("/api/1/datasets/68c8103f65789f729ee0c3c1/").json()["acronym"] == "CoproFF"
    # Two of the four rows share an organization; the listing and its filters see all four.
    listing = client.get("/api/1/datasets/?organization=646b7187b50b2a93b1ae3d45").json()
    assert {item["id"] for item in listing["data"]} == {
        "5b3cc551c751df4822526c1c",
        "67164a231c2a52cc06b9b618",
    }
    assert client.get("/api/1/datasets/?tag=rna").json()["total"] == 1
    found = client.get("/api/1/datasets/?q=copropriétés").json()["data"]
    assert [item["id"] for item in found] == ["68c8103f65789f729ee0c3c1"]
    assert _count(catalog, tables.organizations) == 3
    assert load_fixtures(catalog, CURRENT) == 4
    assert _count(catalog, tables.datasets) == 4


def test_load_fixtures_command_accepts_both_exports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [name for name in os.environ if name.startswith("OPENCAT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(tmp_path))
    sample = [_rows_2020()[0], next(row for row in _rows_2020() if row["id"] == AUTO_ECOLE)]
    subset = _write_2020(tmp_path / "subset.csv", sample)
    assert main(["load-fixtures", str(subset)]) == 0
    assert main(["load-fixtures", str(CURRENT)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["Loaded 2 datasets", "Loaded 4 datasets"]


def test_an_export_row_never_replaces_the_document_already_loaded(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """Loading the 2020 export after the 2022 documents (both real, the README says load both)
    wiped the datasets they share: 91 resources to none, tags emptied, the license made
    ``notspecified``, the creation date the export's."""
    shared = "53698f4ca3a729239d2036df"
    document = paths.REALDATA / "search-indicator/www.data.gouv.fr-2022-12-02/datasets" / f"{shared}.json"
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / document.name).write_bytes(document.read_bytes())
    assert load_fixtures(catalog, folder) == 1
    before = client.get(f"/api/1/datasets/{shared}/").json()
    assert len(before["resources"]) > 50

    load_fixtures(catalog, _subset_2020(tmp_path / "export.csv", ids=(shared, DOTATIONS)))

    after = client.get(f"/api/1/datasets/{shared}/").json()
    for field in ("resources", "tags", "license", "created_at", "title", "organization"):
        assert after[field] == before[field], field
    assert client.get(f"/api/1/datasets/{DOTATIONS}/").status_code == 200  # the others are loaded


@pytest.mark.parametrize(
    "export_first", [True, False], ids=["export-then-documents", "documents-then-export"]
)
def test_an_organization_named_by_an_export_is_the_one_its_documents_bring(
    client: TestClient, catalog: Catalog, tmp_path: Path, export_first: bool
) -> None:
    """The export names organizations only (a placeholder id of the name): loaded with the 2022
    documents, 22 organizations were there twice, and in the documented order (the export first)
    the real Etalab lost its slug to a placeholder of 0 members."""
    document = (
        paths.REALDATA / "search-indicator/www.data.gouv.fr-2022-12-02/datasets/60a518cbcb47626d4cc74bf9.json"
    )
    real = json.loads(document.read_text("utf-8"))["organization"]
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / document.name).write_bytes(document.read_bytes())
    export = _subset_2020(tmp_path / "export.csv", organization=real["name"])
    for path in (export, folder) if export_first else (folder, export):
        load_fixtures(catalog, path)

    with catalog.db.read() as conn:
        named = conn.execute(
            sa.select(tables.organizations.c.id, tables.organizations.c.slug).where(
                tables.organizations.c.name == real["name"]
            )
        ).all()
    assert [tuple(row) for row in named] == [(real["id"], real["slug"])]
    listed = client.get(f"/api/1/datasets/?organization={real['id']}&page_size=1").json()["total"]
    with export.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(1 for row in rows if row["organization"] == real["name"]) > 10
    assert listed == 1 + sum(1 for row in rows if row["organization"] == real["name"]) - (
        1 if any(row["id"] == "60a518cbcb47626d4cc74bf9" for row in rows) else 0
    )
    assert client.get(f"/api/1/organizations/{generated_organization_id(real['name'])}/").status_code == 404


def test_an_export_saved_in_latin_1_is_refused_naming_the_file(tmp_path: Path) -> None:
    """``'utf-8' codec can't decode byte 0xe9 in position 65``, naming no file, exit 1."""
    latin = tmp_path / "export.csv"
    latin.write_bytes(
        ("id,title,url,description,organization\n" + f"{DOTATIONS},Données,,é,Org\n").encode("latin-1")
    )
    with pytest.raises(Invalid) as refused:
        read_export(latin, ())
    assert f"{latin} is not UTF-8" in str(refused.value.errors)


def test_a_placeholder_given_members_meanwhile_is_left_as_an_organization_of_its_own(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """Taking it over deleted it, and with it (cascading) the members given to it since."""
    from opencat.catalog import accounts
    from tests.factories import make_user

    document = (
        paths.REALDATA / "search-indicator/www.data.gouv.fr-2022-12-02/datasets/60a518cbcb47626d4cc74bf9.json"
    )
    real = json.loads(document.read_text("utf-8"))["organization"]
    load_fixtures(catalog, _subset_2020(tmp_path / "export.csv", organization=real["name"]))
    placeholder = generated_organization_id(real["name"])
    member = make_user(catalog)
    accounts.add_member(catalog, placeholder, member.user.id, "admin")
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / document.name).write_bytes(document.read_bytes())
    load_fixtures(catalog, folder)
    kept = client.get(f"/api/1/organizations/{placeholder}/").json()
    assert [m["user"]["id"] for m in kept["members"]] == [member.user.id]
    assert client.get(f"/api/1/organizations/{real['id']}/").status_code == 200
