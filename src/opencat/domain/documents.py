"""What every JSON document the catalog stores must respect, checked without recursion."""

from typing import Any

# Real udata documents nest 7 levels (a dataset, its resources, their extras). 64 leaves room for
# rich extras, and every response that wraps a stored document (a page, a dataset, its resource
# list, a resource: 4 more levels) stays far below MongoDB's 100 and orjson's 254, so whatever
# is accepted can be stored, served and exported.
MAX_DEPTH = 64
NUL = "NUL characters are not allowed in strings"


def too_deep(max_depth: int) -> str:
    return f"arrays and objects may not be nested more than {max_depth} levels deep"


def document_problem(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``value`` cannot be stored, or None: arrays and objects nested more than ``max_depth``
    levels (a scalar is 0 levels, ``[]`` one), or a NUL character, which PostgreSQL text cannot
    hold. An explicit stack, not recursion: a hostile depth must not exhaust the call stack."""
    if isinstance(value, str):
        return NUL if "\x00" in value else None
    if not isinstance(value, dict | list):
        return None
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return too_deep(max_depth)
        if isinstance(node, dict):
            if any(isinstance(key, str) and "\x00" in key for key in node):
                return NUL
            children: Any = node.values()
        else:
            children = node
        for child in children:
            if isinstance(child, str):
                if "\x00" in child:
                    return NUL
            elif isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return None
