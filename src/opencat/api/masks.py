"""``X-Fields`` masks with flask-restx's syntax and semantics (udata: flask-restx masks)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opencat.domain.errors import BadRequest

# flask-restx ignores any character that is not a brace, a comma or a name.
_TOKEN = re.compile(r"\{|\}|,|[\w:\-*]+")


@dataclass(frozen=True)
class Mask:
    """Selected names, each with an optional nested mask; ``star`` keeps every other key."""

    fields: dict[str, "Mask | None"] = field(default_factory=dict)
    star: bool = False

    @property
    def empty(self) -> bool:
        """Empty braces (``owner{}``): a false mask to flask-restx, which renders the nested
        object whole (braces on a scalar field stay an error: api/mask_models.py)."""
        return not self.fields and not self.star

    @classmethod
    def of(cls, names: Iterable[str], nested: dict[str, "Mask"] | None = None) -> "Mask":
        selected: dict[str, Mask | None] = dict.fromkeys(names)
        selected.update(nested or {})
        return cls(selected)


def _clean(text: str) -> str:
    text = text.replace("\n", "").strip()
    if text.startswith("{"):
        if not text.endswith("}"):
            raise BadRequest("Mask parse error: Missing closing bracket")
        text = text[1:-1]
    return text


def parse_mask(text: str) -> Mask:
    """Parse a mask exactly as flask-restx's ``Mask.parse`` does, errors included."""
    fields: dict[str, Mask | None] = {}
    stack: list[tuple[dict[str, Mask | None], str]] = []
    previous: str | None = None
    for token in _TOKEN.findall(_clean(text)):
        if token == "{":
            if previous is None or previous not in fields:
                raise BadRequest("Mask parse error: Unexpected opening bracket")
            stack.append((fields, previous))
            fields = {}
        elif token == "}":
            if not stack:
                raise BadRequest("Mask parse error: Unexpected closing bracket")
            parent, name = stack.pop()
            parent[name] = _freeze(fields)
            fields = parent
        elif token == ",":
            if previous in (",", "{", None):
                raise BadRequest("Mask parse error: Unexpected comma")
        else:
            fields[token] = None
        previous = token
    if stack:
        raise BadRequest("Mask parse error: Missing closing bracket")
    return _freeze(fields)


def _freeze(fields: dict[str, Mask | None]) -> Mask:
    star = "*" in fields
    fields.pop("*", None)
    return Mask(fields, star)


def with_defaults(requested: Mask, default: Mask | None) -> Mask:
    """The requested mask, where a nested model selected without braces (``data``, or by ``*``)
    keeps its own default mask, as flask-restx marshals a nested model with its ``__mask__``:
    ``X-Fields: *`` on a page lists each dataset with the dataset's default fields."""
    if default is None:
        return requested
    fields: dict[str, Mask | None] = {}
    for name, nested in requested.fields.items():
        own = default.fields.get(name)
        fields[name] = own if nested is None or nested.empty else with_defaults(nested, own)
    if requested.star:
        for name, own in default.fields.items():
            if own is not None:
                fields.setdefault(name, own)
    return Mask(fields, requested.star)


def apply_mask(data: Any, mask: Mask) -> Any:
    if isinstance(data, list):
        return [apply_mask(item, mask) for item in data]
    if not isinstance(data, dict):
        raise BadRequest("Mask error: Mask is inconsistent with model")  # as api/mask_models.py says it
    result: dict[str, Any] = {}
    for name, nested in mask.fields.items():
        if name not in data:
            continue
        value = data[name]
        if nested is None or nested.empty or value is None:
            result[name] = value
        else:
            result[name] = apply_mask(value, nested)
    if mask.star:
        for name, value in data.items():
            result.setdefault(name, value)
    return result
