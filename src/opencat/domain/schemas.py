"""Resource schemas checked against a schema catalog in schema.data.gouv.fr's format (udata: udata/core/dataset/models.py, schema)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opencat.domain.errors import Reason, problem

LATEST = "latest"


class SchemaError(ValueError):
    """A problem with one field (``name``, ``url`` or ``version``) of a resource's schema."""

    def __init__(self, field_name: str, reason: Reason, **details: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.problem = problem(reason, **details)


@dataclass(frozen=True)
class SchemaCatalog:
    versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A schema URL (the main one or a version's) to its name and version (None for the main one).
    urls: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: Sequence[Mapping[str, Any]]) -> "SchemaCatalog":
        versions: dict[str, tuple[str, ...]] = {}
        urls: dict[str, tuple[str, str | None]] = {}
        for entry in entries:
            name = str(entry.get("name") or "")
            if not name:
                continue
            names = tuple(
                str(v.get("version_name")) for v in entry.get("versions") or () if v.get("version_name")
            )
            versions[name] = names
            if entry.get("schema_url"):
                urls[str(entry["schema_url"])] = (name, None)
            for version in entry.get("versions") or ():
                if version.get("schema_url") and version.get("version_name"):
                    urls[str(version["schema_url"])] = (name, str(version["version_name"]))
        return cls(versions, urls)


def normalize_schema(value: Mapping[str, Any] | None, catalog: SchemaCatalog) -> dict[str, Any] | None:
    """udata's rules: catalog URLs become name and version; names and versions must exist."""
    if value is None:
        return None
    name, url, version = value.get("name"), value.get("url"), value.get("version")
    if name is None and url is None and version is None:
        return None
    if url is None and name is None:
        raise SchemaError("version", Reason.SCHEMA_VERSION_WITHOUT_SCHEMA)
    if url is not None and url in catalog.urls:
        name, catalog_version = catalog.urls[url]
        return {"name": name, "url": None, "version": version or catalog_version}
    if url is not None:
        return {"name": name, "url": url, "version": version}
    if catalog.versions and name not in catalog.versions:
        allowed = ", ".join(sorted(catalog.versions))
        raise SchemaError("name", Reason.SCHEMA_NAME_NOT_ALLOWED, name=str(name), allowed=allowed)
    known = catalog.versions.get(str(name), ())
    if version is not None and version != LATEST and catalog.versions and version not in known:
        allowed = ", ".join((*known, LATEST))
        raise SchemaError("version", Reason.SCHEMA_VERSION_NOT_ALLOWED, version=str(version), allowed=allowed)
    return {"name": name, "url": None, "version": version}
