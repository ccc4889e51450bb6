"""How a stored or asked zone id is read against the referential (domain/spatial.py)."""

import pytest

from opencat.domain.spatial import normalize_zone, referential_zone_id


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("fr:collectivite:987@2004-02-27", "fr:departement:987"),
        ("FR:Collectivite:975", "fr:departement:975"),
        ("fr/collectivite/988", "fr:departement:988"),
        ("fr:commune:13055@1943-01-01", "fr:commune:13055"),
        ("fr:departement:2A", "fr:departement:2A"),
        ("country:fr", "country:fr"),
    ],
)
def test_an_older_level_reads_as_the_level_holding_its_zone_now(stored: str, read: str) -> None:
    assert referential_zone_id(stored) == read


def test_normalizing_alone_keeps_the_level_a_write_names() -> None:
    assert normalize_zone("fr:collectivite:987@2004-02-27") == "fr:collectivite:987"
