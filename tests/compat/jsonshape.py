"""Compare a recorded udata document with our answer: keys and JSON types, not values."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One difference; ``path`` writes list items as ``[]`` so that the same field groups together."""

    path: str
    detail: str
    where: str = ""


def json_kind(value: Any) -> str:
    """The JSON type of a decoded value; int and float are one "number" (JSON has no int)."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a decoded JSON value: {value!r}")


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def shape_problems(
    original: Any, ours: Any, *, may_be_absent: Iterable[str] = (), path: str = ""
) -> list[Problem]:
    """Every key of ``original`` must be in ``ours`` with the same JSON type, at every depth.

    A null in ``original`` matches anything (udata leaves unset fields null). Arrays are compared
    item by item, so they must have the same length. ``may_be_absent`` lists the paths (in the
    ``a.b[].c`` notation of ``Problem.path``) that ``ours`` may leave out.
    """
    absent_ok = frozenset(may_be_absent)
    if original is None:
        return []
    if json_kind(original) != json_kind(ours):
        return [Problem(path, f"{json_kind(original)} became {json_kind(ours)}")]
    problems: list[Problem] = []
    if isinstance(original, dict):
        for key, value in original.items():
            child = _child(path, key)
            if key not in ours:
                if child not in absent_ok:
                    problems.append(Problem(child, "missing"))
                continue
            problems += shape_problems(value, ours[key], may_be_absent=absent_ok, path=child)
    elif isinstance(original, list):
        if len(original) != len(ours):
            return [Problem(path, f"{len(original)} items became {len(ours)}")]
        for before, after in zip(original, ours, strict=True):
            problems += shape_problems(before, after, may_be_absent=absent_ok, path=f"{path}[]")
    return problems


def summary(problems: list[Problem], limit: int = 25) -> str:
    """One line per distinct (path, detail), most frequent first, with a first place it happens."""
    counts = Counter((problem.path, problem.detail) for problem in problems)
    first: dict[tuple[str, str], str] = {}
    for problem in problems:
        first.setdefault((problem.path, problem.detail), problem.where)
    lines = [
        f"{path}: {detail} ({count}x, first in {first[path, detail] or '?'})"
        for (path, detail), count in counts.most_common(limit)
    ]
    if len(counts) > limit:
        lines.append(f"... and {len(counts) - limit} more kinds of difference")
    return "\n".join(lines)
