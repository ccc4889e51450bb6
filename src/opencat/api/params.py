"""Query-string arguments parsed with flask-restx reqparse's error shape (udata: udata/api/__init__.py, error handlers)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from opencat.domain.errors import Invalid

PAYLOAD_INVALID = "Input payload validation failed"
_TRUE = ("true", "1", "on")
_FALSE = ("false", "0", "")
OBJECT_ID = r"^[0-9a-fA-F]{24}$"


@dataclass(frozen=True)
class Argument:
    """A query argument as the OpenAPI document declares it; the parsers read the same constants."""

    name: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    description: str = ""
    repeated: bool = False  # reqparse's ``action="append"``: ``?tag=a&tag=b``
    required: bool = False

    def parameter(self) -> dict[str, Any]:
        schema = {"type": "array", "items": self.schema} if self.repeated else self.schema
        described = {"description": self.description} if self.description else {}
        return {"name": self.name, "in": "query", "required": self.required, "schema": schema, **described}


def text_argument(name: str, description: str = "", repeated: bool = False) -> Argument:
    return Argument(name, {"type": "string"}, description, repeated)


def integer_argument(name: str, description: str, default: int, maximum: int | None = None) -> Argument:
    bounds = {"maximum": maximum} if maximum is not None else {}
    return Argument(name, {"type": "integer", "minimum": 1, "default": default, **bounds}, description)


def boolean_argument(name: str, description: str = "") -> Argument:
    return Argument(name, {"type": "boolean"}, description)


def choice_argument(name: str, choices: Sequence[str], description: str = "") -> Argument:
    return Argument(name, {"type": "string", "enum": list(choices)}, description)


def identifier_argument(name: str, description: str = "") -> Argument:
    """An ObjectId; an empty value is ignored, as udata ignores it."""
    return Argument(name, {"type": "string", "pattern": f"{OBJECT_ID}|^$"}, description)


def invalid_argument(name: str, message: str) -> Invalid:
    return Invalid({name: message}, PAYLOAD_INVALID)


def first(params: QueryParams, name: str) -> str | None:
    """reqparse reads the first of repeated arguments (Starlette's ``get`` gives the last)."""
    values = params.getlist(name)
    return values[0] if values else None


def positive_int(
    params: QueryParams, name: str, default: int, help_text: str, maximum: int | None = None
) -> int:
    """reqparse's ``inputs.positive``: every repeated value is checked, the first one is used."""
    values = [_positive(raw, name, help_text, maximum) for raw in params.getlist(name)]
    return values[0] if values else default


def _positive(raw: str, name: str, help_text: str, maximum: int | None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise invalid_argument(name, f"{help_text} {raw} is not a valid integer") from None
    if value <= 0:
        raise invalid_argument(
            name, f"{help_text} Invalid {name}: {value}. {name} must be a positive integer"
        )
    if maximum is not None and value > maximum:
        raise invalid_argument(name, f"{help_text} Invalid {name}: {value}. {name} must be at most {maximum}")
    return value


def integer(params: QueryParams, name: str, default: int, help_text: str) -> int:
    """reqparse's ``type=int``: any integer, the first of repeated values; its error is Python's."""
    values = params.getlist(name)
    for raw in values:
        try:
            int(raw)
        except ValueError as error:
            raise invalid_argument(name, f"{help_text} {error}") from None
    return int(values[0]) if values else default


def boolean(params: QueryParams, name: str, help_text: str = "") -> bool | None:
    """reqparse's ``boolean``; like reqparse, an error starts with the argument's help text."""
    values = [_boolean(raw, name, help_text) for raw in params.getlist(name)]
    return values[0] if values else None


def _boolean(raw: str, name: str, help_text: str) -> bool:
    lowered = raw.lower()  # reqparse neither trims nor keeps the case in its message
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise invalid_argument(name, f"{help_text} Invalid literal for boolean(): {lowered}".lstrip())


def choice(params: QueryParams, name: str, choices: Sequence[str], help_text: str = "") -> str | None:
    """Every repeated value must be one of ``choices``; the first one is used."""
    values = params.getlist(name)
    for raw in values:
        if raw not in choices:
            message = f"The value '{raw}' is not a valid choice for '{name}'."
            raise invalid_argument(name, f"{help_text} {message}".lstrip())
    return values[0] if values else None


LANGUAGE = Argument("lang", {"type": "string"}, "en or fr; another value means the configured default")
