"""Handlers of the reference lists under ``/api/1/datasets/``."""

from typing import Any

from opencat.api import serializers
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.api.params import LANGUAGE
from opencat.catalog import references as use_cases
from opencat.catalog import schemas


@describe("The licenses a dataset may use", "list_licenses", returns="LicenseList")
def list_licenses(call: Call) -> Reply:
    return Reply([serializers.license_item(item) for item in use_cases.list_licenses(call.catalog)])


@describe(
    "The update frequencies, labelled in the requested language",
    "list_frequencies",
    returns="FrequencyList",
    query=(LANGUAGE,),
)
def list_frequencies(call: Call) -> Reply:
    return Reply(
        [serializers.frequency_item(item, call.language) for item in use_cases.list_frequencies(call.catalog)]
    )


@describe(
    "The file extensions an upload may have, sorted", "allowed_extensions", returns="StringList", masked=False
)
def list_extensions(call: Call) -> Reply:
    return Reply(use_cases.list_extensions(call.catalog))


RESOURCE_TYPES = {
    "en": (("main", "Main file"), ("documentation", "Documentation"), ("update", "Update"), ("api", "API"),
           ("code", "Code repository"), ("other", "Other")),
    "fr": (("main", "Fichier principal"), ("documentation", "Documentation"), ("update", "Mise à jour"),
           ("api", "API"), ("code", "Dépôt de code"), ("other", "Autre")),
}  # fmt: skip
SCHEMA_FIELDS = (
    "name", "title", "description", "schema_url", "schema_type", "contact", "consolidation_dataset_id",
    "external_doc", "external_tool", "homepage", "datapackage_title", "datapackage_name", "datapackage_description",
)  # fmt: skip


@describe(
    "The resource types, labelled in the requested language",
    "resource_types",
    returns="ResourceTypeList",
    query=(LANGUAGE,),
)
def list_resource_types(call: Call) -> Reply:
    return Reply([{"id": kind, "label": label} for kind, label in RESOURCE_TYPES[call.language]])


def _schema_item(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry in udata's ``CatalogSchema`` model: a list the catalog leaves out is null (flask-restx's
    ``List`` of a missing key), not empty."""
    item = {name: entry.get(name) for name in SCHEMA_FIELDS}
    item["examples"] = _objects(entry.get("examples"), ("title", "path"))
    labels = entry.get("labels")
    item["labels"] = None if labels is None else list(_listed(labels))
    item["versions"] = _objects(entry.get("versions"), ("version_name", "schema_url"))
    return item


def _objects(value: Any, keys: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """A list of a model's objects, each with these keys; null when the catalog leaves it out."""
    if value is None:
        return None
    return [{key: item.get(key) for key in keys} for item in _listed(value) if isinstance(item, dict)]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@describe(
    "The schemas of the schema catalog (data packages excepted)", "schemas", returns="CatalogSchemaList"
)
def list_schemas(call: Call) -> Reply:
    return Reply([_schema_item(entry) for entry in schemas.list_schemas(call.catalog.schemas)])
