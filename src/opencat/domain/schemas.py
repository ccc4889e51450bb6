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


# Schema types a resource cannot name (udata's NON_ASSIGNABLE_SCHEMA_TYPES): their URLs are still
# recognized, their names are not offered.
NON_ASSIGNABLE_TYPES = frozenset({"datapackage"})


@dataclass(frozen=True)
class SchemaCatalog:
    # The assignable schemas' names, in the catalog's order, to their versions.
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
            # udata asks a version's URL before the main one, and the first schema naming it wins.
            for version in entry.get("versions") or ():
                if version.get("schema_url") and version.get("version_name"):
                    urls.setdefault(str(version["schema_url"]), (name, str(version["version_name"])))
            if entry.get("schema_url"):
                urls.setdefault(str(entry["schema_url"]), (name, None))
            if entry.get("schema_type") in NON_ASSIGNABLE_TYPES:
                continue
            versions[name] = tuple(
                str(v.get("version_name")) for v in entry.get("versions") or () if v.get("version_name")
            )
        return cls(versions, urls)


def normalize_schema(value: Mapping[str, Any] | None, catalog: SchemaCatalog) -> dict[str, Any] | None:
    """udata's rules (``Schema.clean``): an empty value is no value; a catalog URL becomes the
    catalog's name and version (whatever version was sent with it); a name alone must be an
    assignable schema of the catalog, a version one of its versions or ``latest``."""
    if value is None:
        return None
    name, url, version = (value.get(key) or None for key in ("name", "url", "version"))
    if not url and not name:
        if version:
            raise SchemaError("version", Reason.SCHEMA_VERSION_WITHOUT_SCHEMA)
        return None
    if url:
        if url in catalog.urls:
            name, version = catalog.urls[url]
            return {"name": name, "url": None, "version": version}
        return {"name": name, "url": url, "version": version}
    if not catalog.versions:
        return {"name": name, "url": None, "version": version}
    if name not in catalog.versions:
        allowed = ", ".join(catalog.versions)
        raise SchemaError("name", Reason.SCHEMA_NAME_NOT_ALLOWED, name=str(name), allowed=allowed)
    allowed_versions = (*catalog.versions[str(name)], LATEST)
    if version and version not in allowed_versions:
        allowed = ", ".join(allowed_versions)
        raise SchemaError(
            "version",
            Reason.SCHEMA_VERSION_NOT_ALLOWED,
            version=str(version),
            name=str(name),
            allowed=allowed,
        )
    return {"name": name, "url": None, "version": version}
