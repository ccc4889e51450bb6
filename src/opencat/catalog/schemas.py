"""The schema catalog that resource schemas are checked against (bundled snapshot for now)."""

import json
from functools import cache
from importlib.resources import files
from typing import Any

from opencat.domain.errors import Invalid
from opencat.domain.schemas import SchemaCatalog, SchemaError, normalize_schema


@cache
def bundled_entries() -> tuple[dict[str, Any], ...]:
    """schema.data.gouv.fr's catalog as bundled (a snapshot; see refdata provenance)."""
    data = json.loads((files("opencat") / "refdata" / "schemas.json").read_text("utf-8"))
    return tuple(data.get("schemas") or ())


@cache
def schema_catalog() -> SchemaCatalog:
    return SchemaCatalog.from_entries(bundled_entries())


def check_resource_schema(fields: dict[str, Any], index: int | None = None) -> dict[str, Any]:
    """Normalize ``fields["schema"]`` in place of a resource's sent fields; errors as udata nests them."""
    if "schema" not in fields:
        return fields
    try:
        normalized = normalize_schema(fields["schema"], schema_catalog())
    except SchemaError as error:
        problem = {"schema": {error.field: [error.message]}}
        raise Invalid(problem if index is None else {"resources": [{}] * index + [problem]}) from None
    return {**fields, "schema": normalized}
