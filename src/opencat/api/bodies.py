"""Request bodies: JSON decoding and pydantic errors turned into udata's error shapes."""

import json
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from opencat.domain.documents import MAX_DEPTH, document_problem, too_deep
from opencat.domain.errors import BadRequest, Invalid

_MESSAGES = {
    "missing": "This field is required.",
    "string_type": "Not a valid string value.",
    "int_type": "Not a valid integer value.",
    "int_parsing": "Not a valid integer value.",
    "int_from_float": "Not a valid integer value.",
    "bool_type": "Not a valid boolean value.",
    "bool_parsing": "Not a valid boolean value.",
    "dict_type": "Not a valid object.",
    "model_type": "Not a valid object.",
    "model_attributes_type": "Not a valid object.",
    "list_type": "Not a valid list.",
    "literal_error": "Not a valid choice.",
    "enum": "Not a valid choice.",
    "datetime_type": "Not a valid datetime value.",
    "datetime_parsing": "Not a valid datetime value.",
    "datetime_from_date_parsing": "Not a valid datetime value.",
    "float_type": "Not a valid float value.",
    "float_parsing": "Not a valid float value.",
    "json_invalid": "Not a valid JSON value.",
}
_FALLBACK = "Not a valid value."


def require_json(content_type: str | None) -> None:
    if "application/json" not in (content_type or ""):
        raise Invalid({"Content-Type": "expecting application/json"})


def decode_json(raw: bytes) -> Any:
    """The decoded body, refused (400) when it could not be stored: nested deeper than
    ``MAX_DEPTH`` (orjson itself stops at 1024) or holding NUL characters."""
    try:
        body = orjson.loads(_as_utf8(raw))
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit exceeded"):  # orjson's own bound (1024): ours is lower
            raise BadRequest(f"Failed to decode JSON object: {too_deep(MAX_DEPTH)}") from None
        raise BadRequest(
            f"Failed to decode JSON object: {_not_utf8(raw) or _pythons_words(raw, error)}"
        ) from None
    problem = document_problem(body, MAX_DEPTH)
    if problem is not None:
        raise BadRequest(f"Failed to decode JSON object: {problem}")
    return body


def _pythons_words(raw: bytes, error: orjson.JSONDecodeError) -> str:
    """Why the body is no JSON, as Python's ``json`` (udata's Flask) says it: ``Expecting value:
    line 1 column 1 (char 0)``; orjson's own words if Python's reads it (orjson is stricter)."""
    try:
        json.loads(_as_utf8(raw).decode("utf-8", "surrogatepass"))
    except json.JSONDecodeError as python_error:
        return str(python_error)
    except (ValueError, RecursionError):
        pass
    return str(error)


def _not_utf8(raw: bytes) -> str | None:
    """Why the body is no UTF-8, as Python words it (udata's answer: orjson says "surrogates not
    allowed" of any byte that is no UTF-8, a Latin-1 "é" too); None when it is UTF-8."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return str(error)
    return None


def _as_utf8(raw: bytes) -> bytes:
    """The body in plain UTF-8 when it came with a byte order mark, or in UTF-16 or UTF-32 (told
    by its first bytes, RFC 4627's way): udata's Flask reads them all (Python's ``json``), and
    Windows tools send them; orjson only reads plain UTF-8. Undecodable bytes are left to it."""
    encoding = json.detect_encoding(raw)
    if encoding == "utf-8":
        return raw
    try:
        return raw.decode(encoding).encode("utf-8")
    except UnicodeError:
        return raw


def json_object(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """A JSON object body, refused as udata refuses it otherwise (udata: udata/core/dataset/api.py, forms.py)."""
    require_json(content_type)
    body = decode_json(raw)
    if not isinstance(body, dict):
        raise Invalid({"request": "expecting a JSON object"})
    return body


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "string_too_long":
        return f"Field cannot be longer than {error['ctx']['max_length']} characters."
    if kind == "value_error":
        return str(error["ctx"]["error"])
    # Never leak pydantic's own wording: clients parse udata's.
    return _MESSAGES.get(kind, _FALLBACK)


def _insert(tree: dict[str, Any], location: tuple[Any, ...], message: str) -> None:
    """Nest ``message`` at ``location``; list indexes become lists padded with ``{}``."""
    node: Any = tree
    for position, part in enumerate(location):
        last = position == len(location) - 1
        following = None if last else location[position + 1]
        if isinstance(node, list):
            assert isinstance(part, int)
            while len(node) <= part:
                node.append({})
            if last:
                node[part] = [message]
                return
            node = node[part]
            continue
        if last:
            node.setdefault(str(part), [])
            if isinstance(node[str(part)], list):
                node[str(part)].append(message)
            return
        default: Any = [] if isinstance(following, int) else {}
        child = node.setdefault(str(part), default)
        if isinstance(child, list) and not isinstance(following, int):
            return  # a message is already recorded for this field
        node = child


def to_invalid(error: ValidationError) -> Invalid:
    errors: dict[str, Any] = {}
    for item in error.errors():
        location = tuple(part for part in item["loc"] if not (isinstance(part, str) and "[" in part))
        _insert(errors, location or ("request",), _message(item))
    return Invalid(errors)
