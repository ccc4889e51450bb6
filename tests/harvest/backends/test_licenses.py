"""Matching the licenses sources name to the catalog's (data.gouv.fr's list, as opencat ships it)."""

import pytest

from opencat.catalog.license_names import is_known_license, match_license, shipped_licenses
from opencat.domain.references import License

LICENSES = shipped_licenses()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cc-by", "cc-by"),
        ("  ODC-ODBL ", "odc-odbl"),
        ("CC-BY-4.0", "cc-by"),
        ("CC0-1.0", "cc-zero"),
        ("etalab-2.0", "lov2"),
        ("Licence Ouverte v2.0", "lov2"),
        ("Licence Ouverte / Open Licence version 2.0", "lov2"),
        ("Licence Ouverte / Open Licence", "fr-lo"),
        ("Open Database License (ODbL) 1.0", "odc-odbl"),
        ("Creative Commons Attribution", "cc-by"),
        ("License Not Specified", "notspecified"),
        ("https://www.etalab.gouv.fr/licence-ouverte-open-licence", "lov2"),
        ("http://etalab.gouv.fr/licence-ouverte-open-licence/", "lov2"),
        ("www.etalab.gouv.fr/licence-ouverte-open-licence", "lov2"),
        ("https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf", "lov2"),
        ("https://opendefinition.org/licenses/odc-odbl/", "odc-odbl"),
        ("http://www.opendefinition.org/licenses/cc-by", "cc-by"),
        ("https://creativecommons.org/licenses/by/4.0/", "cc-by"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "cc-zero"),
        ("http://dcat-ap.de/def/licenses/cc-zero", "cc-zero"),
        ("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0", "cc-by"),
        ("https://spdx.org/licenses/ODbL-1.0", "odc-odbl"),
        ("https://project-open-data.cio.gov/unknown-license", "notspecified"),
    ],
)
def test_matches_ids_urls_titles_and_aliases(name: str, expected: str) -> None:
    found = match_license(name, LICENSES)
    assert found is not None
    assert found.id == expected
    assert is_known_license(name)


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        "   ",
        "MIT",
        "cc-by-igo",
        "https://datos.madrid.es/egob/catalogo/aviso-legal",
        "https://example.org/",
    ],
)
def test_unmatched_is_none(name: str | None) -> None:
    assert match_license(name, LICENSES) is None


def test_only_the_catalogs_own_licenses_match() -> None:
    own = License("mine", "My licence", "https://example.org/licence", None, (), (), ("Ma licence",))
    assert match_license("https://example.org/licence/", [own]) == own
    assert match_license("ma  licence", [own]) == own
    assert match_license("CC-BY-4.0", [own]) is None  # an alias of a license the catalog lacks
