"""API v2 search arguments udata's v1 does not have (udata-swagger-v2 ``/datasets/search/``):
format families, producer types, last-update ranges, organization names, zone ancestors, array
arguments (any value matches), and the v1 visibility arguments v2 ignores."""

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.domain.accounts import Organization
from opencat.domain.datasets import Spatial, TemporalCoverage
from opencat.domain.slugs import slugify
from tests.factories import Account, make_dataset, make_org, make_user

SEARCH = "/api/2/datasets/search/"


def _found(client: TestClient, query: str, headers: dict[str, str] | None = None) -> set[str]:
    response = client.get(f"{SEARCH}?{query}", headers=headers)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["total"] == len(body["data"])
    return {item["title"] for item in body["data"]}


def _invalid(client: TestClient, name: str, value: str) -> dict[str, Any]:
    response = client.get(f"{SEARCH}?{name}={value}")
    assert response.status_code == 400
    return dict(response.json())


def _choice_error(name: str, value: str) -> dict[str, Any]:
    return {
        "errors": {name: f"The value '{value}' is not a valid choice for '{name}'."},
        "message": "Input payload validation failed",
    }


def _files(*formats: str) -> list[dict[str, str]]:
    return [
        {"title": f"file {n}", "url": f"https://example.org/{n}", "format": value}
        for n, value in enumerate(formats)
    ]


def test_format_family_groups_the_resource_formats(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Tableur", resources=_files("CSV", "xlsx"))
    make_dataset(catalog, alice, title="Carte et notice", resources=_files("geojson", "pdf"))
    make_dataset(catalog, alice, title="Flux", resources=_files("json"))
    make_dataset(catalog, alice, title="Inconnu", resources=_files("xyz"))
    make_dataset(catalog, alice, title="Sans fichier")

    assert _found(client, "format_family=tabular") == {"Tableur"}
    assert _found(client, "format_family=geographical") == {"Carte et notice"}
    assert _found(client, "format_family=documents") == {"Carte et notice"}
    assert _found(client, "format_family=machine_readable") == {"Flux"}
    assert _found(client, "format_family=other") == {"Inconnu", "Sans fichier"}
    assert _found(client, "format_family=tabular&q=tableur") == {"Tableur"}
    assert _invalid(client, "format_family", "spreadsheet") == _choice_error("format_family", "spreadsheet")
    # every repeated value is checked, the first one is used (reqparse)
    assert _invalid(client, "format_family", "tabular&format_family=x") == _choice_error("format_family", "x")


def _badged_org(catalog: Catalog, member: Account, name: str, *badges: str) -> Organization:
    """Organizations get badges from imports only: written as an import would."""
    now = catalog.clock()
    org = Organization(
        id=catalog.new_object_id(),
        name=name,
        slug=slugify(name),
        created_at=now,
        last_modified=now,
        badges=badges,
    )
    with catalog.db.write() as conn:
        db_accounts.insert_organization(conn, org)
    accounts.add_member(catalog, org.id, member.user.id, "admin")
    return org


def test_producer_type_follows_the_organization_badges(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    kinds = {
        "Ministère": ("public-service", "certified"),
        "Commune": ("local-authority",),
        "Entreprise": ("company",),
        "Association": ("association",),
        "Certifiée seulement": ("certified",),
        "Sans badge": (),
    }
    for name, badges in kinds.items():
        org = _badged_org(catalog, alice, name, *badges)
        make_dataset(catalog, alice, title=f"Données {name}", organization=org.id)
    make_dataset(catalog, alice, title="Données personnelles")

    assert _found(client, "producer_type=public-service") == {"Données Ministère"}
    assert _found(client, "producer_type=local-authority") == {"Données Commune"}
    assert _found(client, "producer_type=company") == {"Données Entreprise"}
    assert _found(client, "producer_type=association") == {"Données Association"}
    assert _found(client, "producer_type=not-specified") == {
        "Données Certifiée seulement",
        "Données Sans badge",
    }
    assert _found(client, "producer_type=user") == {"Données personnelles"}
    assert _invalid(client, "producer_type", "certified") == _choice_error("producer_type", "certified")


def test_last_update_range_counts_back_from_now(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    now = catalog.clock()
    for days in (10, 200, 800, 2000):
        then = replace(catalog, clock=lambda days=days: now - timedelta(days=days))
        make_dataset(then, alice, title=f"{days} jours")

    assert _found(client, "last_update_range=last_30_days") == {"10 jours"}
    assert _found(client, "last_update_range=last_12_months") == {"10 jours", "200 jours"}
    assert _found(client, "last_update_range=last_3_years") == {"10 jours", "200 jours", "800 jours"}
    assert len(_found(client, "")) == 4
    assert _invalid(client, "last_update_range", "last_week") == _choice_error(
        "last_update_range", "last_week"
    )


def test_organization_name_is_the_whole_name_in_any_case(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    for name in ("Ville de Paris", "Paris Habitat", "Région Île-de-France"):
        org = make_org(catalog, name, **{alice.user.id: "admin"})
        make_dataset(catalog, alice, title=f"Données {name}", organization=org.id)
    make_dataset(catalog, alice, title="Données personnelles")

    assert _found(client, "organization_name=Ville de Paris") == {"Données Ville de Paris"}
    assert _found(client, "organization_name=ville  de PARIS") == {"Données Ville de Paris"}
    assert _found(client, "organization_name=region ile-de-france") == {"Données Région Île-de-France"}
    assert _found(client, "organization_name=Paris") == set()
    assert len(_found(client, "organization_name=")) == 4  # empty: ignored


def _covering(zone: str, granularity: str) -> dict[str, Spatial]:
    return {"spatial": Spatial((zone,), granularity)}


def test_include_geozone_ancestors_adds_the_enclosing_zones(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Marseille", **_covering("fr:commune:13055", "fr:commune"))
    make_dataset(catalog, alice, title="Bouches-du-Rhône", **_covering("fr:departement:13", "fr:departement"))
    make_dataset(catalog, alice, title="PACA", **_covering("fr:region:93", "fr:region"))
    make_dataset(catalog, alice, title="France", **_covering("country:fr", "country"))
    make_dataset(catalog, alice, title="Corse-du-Sud", **_covering("fr:departement:2A", "fr:departement"))

    inside = {"Marseille", "Bouches-du-Rhône"}
    assert _found(client, "geozone=fr:departement:13") == inside
    assert _found(client, "geozone=fr:departement:13&include_geozone_ancestors=false") == inside
    assert _found(client, "geozone=fr:departement:13&include_geozone_ancestors=true") == inside | {
        "PACA",
        "France",
    }
    assert _found(client, "geozone=fr:commune:13055&include_geozone_ancestors=1") == {
        "Marseille",
        "Bouches-du-Rhône",
        "PACA",
        "France",
    }
    assert len(_found(client, "include_geozone_ancestors=true")) == 5  # no zone: nothing to expand
    assert _found(client, "geozone=fr:departement:99&include_geozone_ancestors=true") == set()
    assert _invalid(client, "include_geozone_ancestors", "maybe") == {
        "errors": {"include_geozone_ancestors": "Invalid literal for boolean(): maybe"},
        "message": "Input payload validation failed",
    }


def test_array_arguments_match_any_of_their_values(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    bal = [
        {
            "title": "b",
            "url": "https://example.org/b",
            "format": "csv",
            "schema": {"name": "etalab/schema-bal"},
        }
    ]
    dae = [
        {
            "title": "d",
            "url": "https://example.org/d",
            "format": "json",
            "schema": {"name": "atlasante/schema-dae"},
        }
    ]
    make_dataset(
        catalog, alice, title="Commune", resources=bal, **_covering("fr:commune:13055", "fr:commune")
    )
    make_dataset(
        catalog, alice, title="Département", resources=dae, **_covering("fr:departement:13", "fr:departement")
    )
    make_dataset(catalog, alice, title="Autre", resources=_files("pdf"))

    assert _found(client, "granularity=fr:commune") == {"Commune"}
    assert _found(client, "granularity=fr:commune&granularity=fr:departement") == {"Commune", "Département"}
    assert _found(client, "format=csv&format=json") == {"Commune", "Département"}
    assert _found(client, "format=json&format=xml") == {"Département"}
    assert _found(client, "schema=etalab/schema-bal&schema=atlasante/schema-dae") == {
        "Commune",
        "Département",
    }
    # different arguments still narrow each other
    assert _found(client, "format=csv&format=json&granularity=fr:departement") == {"Département"}
    body = client.get(f"{SEARCH}?format=csv&format=json").json()
    assert {(item["name"], item["count"]) for item in body["facets"]["format"]} == {("csv", 1), ("json", 1)}


@pytest.mark.parametrize("flag", ["private", "archived", "deleted"])
def test_visibility_arguments_are_ignored(client: TestClient, catalog: Catalog, flag: str) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Publique")
    make_dataset(catalog, alice, title="Privée", private=True)
    make_dataset(catalog, alice, title="Archivée", archived=catalog.clock())
    make_dataset(catalog, alice, title="Supprimée", deleted=catalog.clock())

    for value in ("true", "false", "bogus"):
        assert _found(client, f"{flag}={value}") == {"Publique"}
        assert _found(client, f"{flag}={value}", headers=alice.headers) == {"Publique"}


def test_a_query_without_any_word_finds_nothing(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Horaires des bus")
    assert _found(client, "q=%2A") == set()
    assert _found(client, "q=bus") == {"Horaires des bus"}


def test_empty_values_of_array_arguments_are_ignored_in_v2_only(client: TestClient, catalog: Catalog) -> None:
    """compatibility.md: v2 ignores an empty ``tag=`` as it ignores ``format=``; v1, as udata's, does not."""
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Bus", tags=("transport",))
    make_dataset(catalog, alice, title="Eau")
    assert _found(client, "tag=") == {"Bus", "Eau"}
    assert _found(client, "tag=&tag=transport") == {"Bus"}
    assert _found(client, "format=&granularity=&schema=") == {"Bus", "Eau"}
    assert client.get("/api/1/datasets/?tag=").json()["total"] == 0


def test_temporal_coverage_finds_the_coverages_holding_the_whole_period(
    client: TestClient, catalog: Catalog
) -> None:
    """udata-search-service reads ``A-B`` as ``start <= A`` and ``end >= B`` (v1: a start between
    A and B); an open end runs on."""
    owner = make_user(catalog)
    for title, start, end in (
        ("year 2024", "2024-01-01", "2024-12-31"),
        ("decade", "2020-01-01", "2029-12-31"),
        ("since 2023", "2023-06-01", None),
        ("spring 2024", "2024-03-01", "2024-05-31"),
    ):
        make_dataset(
            catalog,
            owner,
            title=title,
            temporal_coverage=TemporalCoverage(date.fromisoformat(start), end and date.fromisoformat(end)),
        )
    assert _found(client, "temporal_coverage=2024-03-01-2024-06-30") == {"year 2024", "decade", "since 2023"}
    assert _found(client, "temporal_coverage=2023-01-01-2025-12-31") == {"decade"}
    v1 = client.get("/api/1/datasets/?temporal_coverage=2023-01-01-2025-12-31").json()["data"]
    assert {item["title"] for item in v1} == {"year 2024", "since 2023", "spring 2024"}


@pytest.mark.parametrize("raw", ["xyz", "", "2024-13-01-2024-12-31"])
def test_a_period_v2_cannot_read_is_said_in_its_parsers_words(client: TestClient, raw: str) -> None:
    """udata's ``TemporalCoverageFilter``: its help, then the value; an empty one is refused too
    (v1 ignores it, and words its refusals its own way)."""
    expected = (
        "A date range expressed as start-end where both dates are in iso format (ie. YYYY-MM-DD-YYYY-MM-DD)"
        f' "{raw}" does not match YYYY-MM-DD-YYYY-MM-DD'
    )
    assert _invalid(client, "temporal_coverage", raw) == {
        "errors": {"temporal_coverage": expected},
        "message": "Input payload validation failed",
    }
    second = client.get(
        f"/api/2/datasets/search/?temporal_coverage=2024-01-01-2024-12-31&temporal_coverage={raw}"
    )
    assert second.status_code == 400  # every value is read
    assert client.get("/api/1/datasets/?temporal_coverage=").status_code == 200


def test_featured_refused_in_v2_carries_no_help_text(client: TestClient) -> None:
    """v2's ``BoolFilter`` declares none; v1's ``featured`` starts its error with its help."""
    assert _invalid(client, "featured", "maybe") == {
        "errors": {"featured": "Invalid literal for boolean(): maybe"},
        "message": "Input payload validation failed",
    }
    v1 = client.get("/api/1/datasets/?featured=maybe").json()["errors"]["featured"]
    assert v1.startswith("If set to true, it will filter on featured datasets only.")


def test_q_finds_a_dataset_by_its_id_or_a_resource_id(client: TestClient, catalog: Catalog) -> None:
    """udata's search service matches ``id`` and ``resources_ids`` too."""
    owner = make_user(catalog)
    made = make_dataset(catalog, owner, title="Named by id", resources=_files("csv"))
    make_dataset(catalog, owner, title="Another one")
    assert _found(client, f"q={made.dataset.id}") == {"Named by id"}
    assert _found(client, f"q={made.dataset.id.upper()}") == {"Named by id"}
    assert _found(client, f"q={made.resources[0].id}") == {"Named by id"}
    assert _found(client, "q=00000000-0000-4000-8000-000000000000") == set()
    assert _found(client, "q=named") == {"Named by id"}  # words as before
