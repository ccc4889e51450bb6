"""schema.org Dataset JSON-LD: the fields Google Dataset Search reads, and a script block that no
dataset text can break out of."""

import json
from datetime import UTC, date, datetime
from html.parser import HTMLParser

from opencat.catalog.views import DatasetView
from opencat.domain.accounts import Organization, User
from opencat.domain.datasets import Checksum, Dataset, Resource, Spatial, TemporalCoverage
from opencat.domain.references import License
from opencat.domain.spatial import Zone
from opencat.domain.urls import Urls
from opencat.web.jsonld import MAX_DESCRIPTION, dataset_jsonld, script_block

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CREATED = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
MODIFIED = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
URLS = Urls("https://data.example.org")
ORG = Organization(
    id="5" * 24,
    name="Ville d'Exemple",
    slug="ville-d-exemple",
    created_at=CREATED,
    last_modified=CREATED,
    url="https://www.example.org",
)
USER = User(
    id="6" * 24,
    email="jane@example.org",
    first_name="Jane",
    last_name="Doe",
    slug="jane-doe",
    created_at=CREATED,
)
LICENSE = License(
    id="lov2",
    title="Licence Ouverte / Open Licence version 2.0",
    url="https://www.etalab.gouv.fr/licence-ouverte-open-licence",
    maintainer=None,
    flags=(),
    alternate_urls=(),
    alternate_titles=(),
)
ZONE = Zone(
    id="fr:commune:75056",
    name="Paris",
    slug="paris",
    code="75056",
    level="fr:commune",
    uri="https://id.insee.fr/geo/commune/75056",
)


def make_dataset(**overrides: object) -> Dataset:
    values: dict[str, object] = {
        "id": "1" * 24,
        "slug": "air-quality",
        "title": "Air quality measurements",
        "description": "Hourly measurements of nitrogen dioxide and fine particles across the city.",
        "created_at_internal": CREATED,
        "last_modified_internal": MODIFIED,
        "license": "lov2",
        "tags": ("air", "pollution"),
        "temporal_coverage": TemporalCoverage(date(2020, 1, 1), date(2024, 12, 31)),
        "spatial": Spatial(zones=("fr:commune:75056", "fr:commune:00000")),
        "organization_id": ORG.id,
    }
    values.update(overrides)
    return Dataset(**values)  # type: ignore[arg-type]


def make_resource(**overrides: object) -> Resource:
    values: dict[str, object] = {
        "id": "0b0e8c1e-6d5d-4d59-9c2b-6c9f1b7a0c11",
        "title": "measurements.csv",
        "url": "https://data.example.org/resources/air-quality/measurements.csv",
        "created_at_internal": CREATED,
        "last_modified_internal": MODIFIED,
        "type": "main",
        "format": "csv",
        "mime": "text/csv",
        "filesize": 123456,
        "checksum": Checksum("sha1", "a" * 40),
    }
    values.update(overrides)
    return Resource(**values)  # type: ignore[arg-type]


def make_view(dataset: Dataset | None = None, **overrides: object) -> DatasetView:
    values: dict[str, object] = {
        "dataset": dataset or make_dataset(),
        "resources": [make_resource()],
        "organization": ORG,
        "owner": None,
        "contact_points": [],
    }
    values.update(overrides)
    return DatasetView(**values)  # type: ignore[arg-type]


def full_jsonld(view: DatasetView | None = None) -> dict[str, object]:
    return dataset_jsonld(view or make_view(), URLS, license=LICENSE, zones={ZONE.id: ZONE}, now=NOW)


def test_google_required_and_recommended_fields() -> None:
    data = full_jsonld()
    page = "https://data.example.org/datasets/air-quality/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Dataset"
    assert data["name"] == "Air quality measurements"
    assert 50 <= len(str(data["description"])) <= MAX_DESCRIPTION
    assert data["url"] == page
    assert data["@id"] == page
    assert data["identifier"] == ["1" * 24]
    assert data["keywords"] == ["air", "pollution"]
    assert data["license"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    assert data["isAccessibleForFree"] is True
    assert data["dateCreated"] == "2024-05-01T08:00:00+00:00"
    assert data["dateModified"] == "2025-06-01T09:30:00+00:00"
    assert data["temporalCoverage"] == "2020-01-01/2024-12-31"
    assert data["includedInDataCatalog"] == {"@type": "DataCatalog", "url": "https://data.example.org/"}


def test_creator_and_publisher_are_the_organization() -> None:
    data = full_jsonld()
    organization = {
        "@type": "Organization",
        "name": "Ville d'Exemple",
        "url": "https://data.example.org/organizations/ville-d-exemple/",
        "sameAs": "https://www.example.org",
    }
    assert data["creator"] == organization
    assert data["publisher"] == organization


def test_a_dataset_without_organization_is_by_its_owner() -> None:
    view = make_view(make_dataset(organization_id=None, owner_id=USER.id), organization=None, owner=USER)
    data = full_jsonld(view)
    person = {"@type": "Person", "name": "Jane Doe", "url": "https://data.example.org/users/jane-doe/"}
    assert data["creator"] == person
    assert data["publisher"] == person


def test_spatial_coverage_names_the_known_zones() -> None:
    assert full_jsonld()["spatialCoverage"] == [
        {
            "@type": "Place",
            "name": "Paris",
            "identifier": "fr:commune:75056",
            "sameAs": "https://id.insee.fr/geo/commune/75056",
        }
    ]


def test_distribution_downloads_through_the_permalink() -> None:
    documentation = make_resource(id="2b0e8c1e-6d5d-4d59-9c2b-6c9f1b7a0c11", type="documentation")
    api = make_resource(
        id="3b0e8c1e-6d5d-4d59-9c2b-6c9f1b7a0c11", type="api", mime=None, format="json", filesize=None
    )
    data = full_jsonld(make_view(resources=[make_resource(), documentation, api]))
    assert data["distribution"] == [
        {
            "@type": "DataDownload",
            "name": "measurements.csv",
            "contentUrl": "https://data.example.org/api/1/datasets/r/0b0e8c1e-6d5d-4d59-9c2b-6c9f1b7a0c11",
            "encodingFormat": "text/csv",
            "contentSize": "123456 B",
            "dateModified": "2025-06-01T09:30:00+00:00",
        },
        {
            "@type": "DataDownload",
            "name": "measurements.csv",
            "contentUrl": "https://data.example.org/api/1/datasets/r/3b0e8c1e-6d5d-4d59-9c2b-6c9f1b7a0c11",
            "encodingFormat": "json",
            "dateModified": "2025-06-01T09:30:00+00:00",
        },
    ]


def test_open_ended_coverage_and_missing_facts_are_left_out() -> None:
    dataset = make_dataset(
        temporal_coverage=TemporalCoverage(date(2021, 3, 1)),
        tags=(),
        license=None,
        spatial=None,
        access_type="restricted",
        organization_id=None,
    )
    data = dataset_jsonld(make_view(dataset, resources=[], organization=None), URLS, now=NOW)
    assert data["temporalCoverage"] == "2021-03-01/.."
    for absent in (
        "keywords",
        "license",
        "spatialCoverage",
        "distribution",
        "creator",
        "isAccessibleForFree",
    ):
        assert absent not in data
    assert None not in data.values()


def test_doi_acronym_and_harvested_page() -> None:
    dataset = make_dataset(
        doi="10.5281/zenodo.123", acronym="AQ", harvest={"remote_url": "https://source.example/ds/1"}
    )
    data = full_jsonld(make_view(dataset))
    assert data["identifier"] == ["1" * 24, "https://doi.org/10.5281/zenodo.123"]
    assert data["alternateName"] == "AQ"
    assert data["sameAs"] == "https://source.example/ds/1"


def test_a_front_end_elsewhere_gets_the_page_links() -> None:
    urls = Urls("https://data.example.org", "https://www.example.org/fr")
    data = dataset_jsonld(make_view(), urls, now=NOW)
    assert str(data["url"]).startswith("https://www.example.org/fr/datasets/air-quality")
    assert data["includedInDataCatalog"] == {"@type": "DataCatalog", "url": "https://www.example.org/fr/"}


def test_descriptions_are_capped_and_never_empty() -> None:
    long = full_jsonld(make_view(make_dataset(description="x" * 6000)))
    assert len(str(long["description"])) == MAX_DESCRIPTION
    empty = full_jsonld(make_view(make_dataset(description="  ", description_short=None)))
    assert empty["description"] == "Air quality measurements"


class Scripts(HTMLParser):
    """What a browser's parser makes of a page: the text of each script element, and any other tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.others: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._inside = True
            self.scripts.append("")
        else:
            self.others.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self._inside = False if tag == "script" else self._inside

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.scripts[-1] += data


def test_script_block_survives_hostile_text() -> None:
    hostile = 'Évolution </script><script>alert(1)</script> <!-- --> ]]> & "quotes" \u2028 end'
    view = make_view(make_dataset(title=hostile, description=hostile, tags=("</SCRIPT>",)))
    data = full_jsonld(view)
    block = script_block(data)
    assert block.startswith('<script type="application/ld+json">')
    parser = Scripts()
    parser.feed(f"<p>{block}</p>")
    parser.close()
    assert len(parser.scripts) == 1
    assert parser.others == ["p"]
    assert json.loads(parser.scripts[0]) == data
    inner = block.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert not set(inner) & {"<", ">", "&", "\u2028"}
    assert "Évolution" in inner  # readable text stays readable
