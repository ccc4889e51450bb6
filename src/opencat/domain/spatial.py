"""Spatial coverage vocabulary: granularities and zone identifiers (udata-behaviour §2.10)."""

# The geozone levels of data.gouv.fr, then udata's base granularities.
GRANULARITIES = (
    "country-group", "country", "country-subset", "fr:region", "fr:departement",
    "fr:arrondissement", "fr:commune", "fr:iris", "fr:canton", "fr:collectivite", "fr:epci",
    "poi", "other",
)  # fmt: skip


def normalize_zone(zone: str) -> str:
    """Accept the legacy ``/`` separator and drop an ``@validity`` suffix."""
    return zone.strip().split("@", 1)[0].replace("/", ":")
