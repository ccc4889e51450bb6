"""Whether an ``X-Fields`` mask fits the model it shapes, read from the answer's JSON Schema (the
OpenAPI document's components) rather than from the data: flask-restx applies a mask to the model,
so braces on a scalar field are refused whatever the dataset holds (an empty tag list or a null
acronym included), and a write can be refused before it is made."""

from functools import cache
from typing import Any

from opencat.api.masks import Mask
from opencat.domain.errors import BadRequest

Schema = dict[str, Any]
INCONSISTENT = "Mask error: Mask is inconsistent with model"


@cache
def _components() -> dict[str, Schema]:
    from opencat.api.openapi_schemas import components  # the schemas import the serializers

    return components()


def check_fits(mask: Mask, returns: str) -> None:
    """``BadRequest`` when the mask puts braces on a field the model ``returns`` names as a
    scalar or a list of scalars; unknown names pass (flask-restx skips them)."""
    schema = _components().get(returns)
    if schema is None:
        return
    schema = _resolved(schema)
    items = _items(schema)
    _fits(mask, schema if items is None else items)  # a list's mask applies to each of its items


def _fits(mask: Mask, schema: Schema) -> None:
    properties = _object(schema)
    if properties is None:
        return  # a free object (extras, quality): any mask applies to its data
    for name, nested in mask.fields.items():
        if nested is None or name not in properties:
            continue
        field = _resolved(properties[name])
        if _object(field) is not None or _free(field):
            _fits(nested, field)
            continue
        if nested.empty and "array" in _types(field):
            continue  # a false mask on a list: flask-restx renders it whole
        items = _items(field)
        if items is None:
            raise BadRequest(INCONSISTENT)
        _fits(nested, items)


def _resolved(schema: Schema) -> Schema:
    """The schema a ``$ref`` names; of ``anyOf``, its first alternative that holds fields."""
    if "$ref" in schema:
        return _resolved(_components()[schema["$ref"].rsplit("/", 1)[-1]])
    if "allOf" in schema:  # a model extended (an uploaded community resource): every part's fields
        merged: dict[str, Schema] = {}
        for part in schema["allOf"]:
            merged.update(_object(_resolved(part)) or {})
        return {"type": "object", "properties": merged}
    for alternative in schema.get("anyOf", ()):
        found = _resolved(alternative)
        if _object(found) is not None or _free(found) or _items(found) is not None:
            return found
    return schema


def _types(schema: Schema) -> set[str]:
    kind = schema.get("type", ())
    return {kind} if isinstance(kind, str) else set(kind)


def _object(schema: Schema) -> dict[str, Schema] | None:
    """An object's named fields; None for anything else (or an object of any keys)."""
    return schema.get("properties") if "object" in _types(schema) else None


def _free(schema: Schema) -> bool:
    """An object of any keys (udata's ``Raw`` dicts), or a value that may be one."""
    return "object" in _types(schema) and "properties" not in schema


def _items(schema: Schema) -> Schema | None:
    """A list's item schema when its items hold fields; None for a scalar or a list of scalars."""
    if "array" not in _types(schema):
        return None
    items = _resolved(schema.get("items", {}))
    return items if _object(items) is not None or _free(items) else None
