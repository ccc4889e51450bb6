"""Query-string arguments parsed with flask-restx reqparse's error shape (udata-behaviour §3.7)."""

from collections.abc import Sequence

from starlette.datastructures import QueryParams

from opencat.domain.errors import Invalid

PAYLOAD_INVALID = "Input payload validation failed"
_TRUE = ("true", "1", "on")
_FALSE = ("false", "0", "")


def invalid_argument(name: str, message: str) -> Invalid:
    return Invalid({name: message}, PAYLOAD_INVALID)


def first(params: QueryParams, name: str) -> str | None:
    """reqparse reads the first of repeated arguments (Starlette's ``get`` gives the last)."""
    values = params.getlist(name)
    return values[0] if values else None


def positive_int(
    params: QueryParams, name: str, default: int, help_text: str, maximum: int | None = None
) -> int:
    raw = first(params, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_argument(name, f"{help_text} invalid literal for int() with base 10: {raw!r}") from None
    if value <= 0:
        raise invalid_argument(
            name, f"{help_text} Invalid {name}: {value}. {name} must be a positive integer"
        )
    if maximum is not None and value > maximum:
        raise invalid_argument(name, f"{help_text} Invalid {name}: {value}. {name} must be at most {maximum}")
    return value


def boolean(params: QueryParams, name: str, help_text: str = "") -> bool | None:
    """reqparse's ``boolean``; like reqparse, an error starts with the argument's help text."""
    raw = first(params, name)
    if raw is None:
        return None
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise invalid_argument(name, f"{help_text} Invalid literal for boolean(): {raw}".lstrip())


def choice(params: QueryParams, name: str, choices: Sequence[str]) -> str | None:
    raw = first(params, name)
    if raw is None:
        return None
    if raw not in choices:
        raise invalid_argument(name, f"The value '{raw}' is not a valid choice for '{name}'.")
    return raw
