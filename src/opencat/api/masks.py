"""``X-Fields`` masks with flask-restx's syntax and semantics (udata-behaviour §3.6)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opencat.domain.errors import BadRequest

_TOKEN = re.compile(r"\s*([{},*]|[\w:\-]+)")


@dataclass(frozen=True)
class Mask:
    """Selected names, each with an optional nested mask; ``star`` keeps every other key."""

    fields: dict[str, "Mask | None"] = field(default_factory=dict)
    star: bool = False

    @classmethod
    def of(cls, names: Iterable[str], nested: dict[str, "Mask"] | None = None) -> "Mask":
        selected: dict[str, Mask | None] = dict.fromkeys(names)
        selected.update(nested or {})
        return cls(selected)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise BadRequest(f"Mask parse error: Unexpected character {text[position]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def parse_mask(text: str) -> Mask:
    tokens = _tokens(text)
    if tokens and tokens[0] == "{" and tokens[-1] == "}":
        tokens = tokens[1:-1]
    stack: list[tuple[dict[str, Mask | None], list[bool]]] = [({}, [False])]
    previous: str | None = None
    last_name: list[str | None] = [None]
    for token in tokens:
        current, star = stack[-1]
        if token == "{":
            name = last_name[-1]
            if name is None or previous in (",", "{", None):
                raise BadRequest("Mask parse error: Unexpected opening bracket")
            stack.append(({}, [False]))
            last_name.append(None)
        elif token == "}":
            if len(stack) == 1 or previous == ",":
                raise BadRequest("Mask parse error: Unexpected closing bracket")
            nested, nested_star = stack.pop()
            last_name.pop()
            parent, _ = stack[-1]
            parent[last_name[-1] or ""] = Mask(nested, nested_star[0])
        elif token == ",":
            if previous in (",", "{", None):
                raise BadRequest("Mask parse error: Unexpected comma")
        elif token == "*":
            star[0] = True
            last_name[-1] = None
        else:
            current[token] = None
            last_name[-1] = token
        previous = token
    if len(stack) != 1:
        raise BadRequest("Mask parse error: Missing closing bracket")
    return Mask(stack[0][0], stack[0][1][0])


def apply_mask(data: Any, mask: Mask) -> Any:
    if isinstance(data, list):
        return [apply_mask(item, mask) for item in data]
    if not isinstance(data, dict):
        raise BadRequest("Mask error: Cannot apply a mask to a scalar field")
    result: dict[str, Any] = {}
    for name, nested in mask.fields.items():
        if name not in data:
            continue
        value = data[name]
        result[name] = value if nested is None or value is None else apply_mask(value, nested)
    if mask.star:
        for name, value in data.items():
            result.setdefault(name, value)
    return result
