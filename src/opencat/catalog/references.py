"""Reference lists: licenses, frequencies, file extensions."""

import json
from functools import cache
from importlib.resources import files

from opencat.catalog.context import Catalog
from opencat.db import references as db_references
from opencat.domain.references import Frequency, License


def list_licenses(catalog: Catalog) -> list[License]:
    """The licenses, read once per process (``Catalog.references``)."""

    def load() -> list[License]:
        with catalog.db.read() as conn:
            return db_references.fetch_licenses(conn)

    return list(catalog.references.list_of("licenses", load))


def list_frequencies(catalog: Catalog) -> list[Frequency]:
    """The frequencies, read once per process."""

    def load() -> list[Frequency]:
        with catalog.db.read() as conn:
            return db_references.fetch_frequencies(conn)

    return list(catalog.references.list_of("frequencies", load))


@cache
def _resource_defaults() -> dict[str, list[str]]:
    text = (files("opencat") / "refdata" / "resources-defaults.json").read_text("utf-8")
    data: dict[str, list[str]] = json.loads(text)
    return data


def default_extensions() -> tuple[str, ...]:
    """udata's ``ALLOWED_RESOURCES_EXTENSIONS``, in its order."""
    return tuple(_resource_defaults()["ALLOWED_RESOURCES_EXTENSIONS"])


def default_mimes() -> tuple[str, ...]:
    return tuple(_resource_defaults()["ALLOWED_RESOURCES_MIMES"])


def list_extensions(catalog: Catalog) -> list[str]:
    """What ``GET /datasets/extensions/`` serves: the configured allow-list, sorted."""
    return sorted(catalog.uploads.extensions)
