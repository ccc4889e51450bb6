"""Extras edited key by key (API v2's extras endpoints): a merge where ``null`` removes a key, a
removal of listed keys, and the types udata registers for three resource extras.

udata: udata/core/dataset/apiv2.py (DatasetExtrasAPI, ResourceExtrasAPI) and
udata/mongo/extras_fields.py (``ExtrasField.validate``, with MongoEngine's field checks)."""

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opencat.domain.dates import iso_as_stored, parse_datetime
from opencat.domain.errors import Invalid, NotFound, Problem, Reason, problem
from opencat.domain.numerals import INT64_MAX, INT64_MIN


def merged(current: Mapping[str, Any], sent: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with the sent keys set, and removed where the sent value is ``null``: the
    kept keys first, in their order, then the new ones in the order sent."""
    result = {key: value for key, value in current.items() if not (key in sent and sent[key] is None)}
    result.update((key, value) for key, value in sent.items() if value is not None)
    return result


def without(current: Mapping[str, Any], keys: Iterable[Any], *, strict: bool) -> dict[str, Any]:
    """``current`` without ``keys``; ``strict``: a key it does not hold is ``NotFound`` (a
    resource's extras), else it is ignored (a dataset's)."""
    removed: set[str] = set()
    for key in keys:
        # A key listed twice is missing the second time, as when udata deletes in turn.
        if not isinstance(key, str) or key not in current or key in removed:
            if strict:
                raise NotFound(Reason.EXTRA_KEY_MISSING)
            continue
        removed.add(key)
    return {key: value for key, value in current.items() if key not in removed}


def _takes_int(value: Any) -> bool:
    """MongoEngine's ``IntField``: whatever ``int()`` takes (``"12"``, ``2.5``, ``true``)."""
    try:
        int(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _is_int(value: Any) -> bool:
    """What the v1 API reads as a status: what ``int()`` takes, within the 64 bits MongoDB
    stores; a boolean is none. Asked of the values a write sends, so that what API v2 stores can
    be sent back through v1 (``true``, 2**63 or 1e300 were stored by v2, then refused by every v1
    write of the dataset that carried them)."""
    if isinstance(value, bool) or not _takes_int(value):
        return False
    return INT64_MIN <= int(value) <= INT64_MAX


def _is_date(value: Any) -> bool:
    """MongoEngine's ``DateTimeField``: a text naming a date."""
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        parse_datetime(value)
    except (ValueError, OverflowError):
        return False
    return True


# The resource extras udata types, each with its check and the reason a wrong value is refused.
_RESOURCE_TYPES: Mapping[str, tuple[Callable[[Any], bool], Reason]] = {
    "check:available": (lambda value: isinstance(value, bool), Reason.EXTRA_NOT_BOOLEAN),
    "check:status": (_is_int, Reason.EXTRA_NOT_INTEGER),
    "check:date": (_is_date, Reason.EXTRA_NOT_DATE),
}
# Stored values are checked as udata checks them (MongoEngine's field): one loaded with a
# ``true`` status does not make every later write of the resource's other extras fail.
_STORED_STATUS = (_takes_int, Reason.EXTRA_NOT_INTEGER)


def check_resource_extras(extras: Mapping[str, Any], stored: Mapping[str, Any] | None = None) -> None:
    """``Invalid`` naming each typed key whose value has the wrong type, as udata refuses a
    resource's whole extras (``stored`` values kept included) before writing them."""
    kept = stored or {}
    problems: dict[str, Problem] = {}
    for key, (valid, reason) in _RESOURCE_TYPES.items():
        value = extras.get(key)
        # A null is no value (a v2 PUT deletes a key with it); an earlier link check stored one.
        if value is None:
            continue
        if key == "check:status" and key in kept and kept[key] == value and type(kept[key]) is type(value):
            valid, reason = _STORED_STATUS
        if not valid(value):
            problems[key] = Problem(reason, {"value": value})
    if problems:
        raise Invalid(problems, Reason.EXTRAS_UNSUPPORTED_TYPES)


def resource_extras_as_stored(extras: Mapping[str, Any]) -> dict[str, Any]:
    """Checked extras as kept: a ``check:date`` in any spelling udata reads is kept as udata's
    reads say a stored date (naive UTC to the millisecond), whichever API wrote it."""
    kept = dict(extras)
    value = kept.get("check:date")
    if isinstance(value, str):
        kept["check:date"] = iso_as_stored(parse_datetime(value))
    return kept


# The most extras a dataset or a resource holds, and the most tags a dataset holds (udata has no
# bound: one request of 400,000 keys made a 12 MB dataset, and every list page holding it as big).
MAX_EXTRAS = 1_000
MAX_TAGS = 1_000
# The most their JSON may weigh: key-by-key merges (API v2) of values up to the body's 10 MB made
# a 54 MB dataset, every list page holding it as heavy.
MAX_EXTRAS_BYTES = 1_000_000


def check_bounds(before: Any, after: Any) -> None:
    """Refuse tags or extras grown past their bound (a dataset or a resource, ``before`` None
    for a new one). One loaded or harvested past it stays editable, as long as it does not grow."""
    for name, limit, reason in (
        ("tags", MAX_TAGS, Reason.TOO_MANY_TAGS),
        ("extras", MAX_EXTRAS, Reason.TOO_MANY_EXTRAS),
    ):
        count = len(getattr(after, name, None) or ())
        if count > limit and count > len(getattr(before, name, None) or ()):
            raise Invalid({name: [problem(reason, limit=limit)]})
    _check_extras_size(getattr(before, "extras", None) or {}, getattr(after, "extras", None) or {})
    _check_key_names(getattr(before, "extras", None) or {}, getattr(after, "extras", None) or {})


def _check_key_names(before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """A new key starting with ``$`` is refused, as MongoEngine's ``DictField`` refuses it in
    udata (a catalog exported to udata, or harvested by it, failed on it); one loaded with it stays."""
    if after is before:
        return
    for key, value in after.items():
        if _holds_dollar_key(key, value) and not (key in before and _holds_dollar_key(key, before[key])):
            raise Invalid({"extras": [problem(Reason.EXTRAS_DOLLAR_KEY)]})


def _holds_dollar_key(key: str, value: Any, depth: int = 0) -> bool:
    """MongoEngine looks into nested objects too (``key_starts_with_dollar``)."""
    if key.startswith("$"):
        return True
    if isinstance(value, dict) and depth < 64:
        return any(_holds_dollar_key(str(inner), item, depth + 1) for inner, item in value.items())
    return False


# A coverage's zones and geometry at most (udata has no bound either: one PUT of 400,000 zones made
# an 8 MB dataset, each list page holding it as big). The most zones is far above a region's
# communes (Grand Est's ~5,100); a geometry is a catalog's outline, not a cadastre.
MAX_ZONES = 10_000
MAX_GEOM_BYTES = 1_000_000
# The unknown zones a refusal names at most (it repeated each of 400,000 sent: a 9 MB answer).
UNKNOWN_ZONES_SAID = 20


def check_spatial_bounds(before: Any, after: Any) -> None:
    """Refuse a coverage (``Spatial``, ``before`` None for a new dataset) grown past its bounds:
    more zones than ``MAX_ZONES`` or a geometry heavier than ``MAX_GEOM_BYTES``. One loaded or
    harvested past them stays editable, as long as it does not grow."""
    zones, kept = len(getattr(after, "zones", ())), len(getattr(before, "zones", ()))
    if zones > MAX_ZONES and zones > kept:
        raise Invalid({"spatial": {"zones": [problem(Reason.TOO_MANY_ZONES, limit=MAX_ZONES)]}})
    geom = getattr(after, "geom", None)
    if geom is None or geom is getattr(before, "geom", None):
        return
    size = _weight(geom)
    earlier = getattr(before, "geom", None)
    if size > MAX_GEOM_BYTES and size > (0 if earlier is None else _weight(earlier)):
        raise Invalid({"spatial": {"geom": [problem(Reason.GEOM_TOO_LARGE, limit=MAX_GEOM_BYTES)]}})


def check_extras_count(before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Extras edited key by key (API v2): refused when they grow past their bounds."""
    if len(after) > MAX_EXTRAS and len(after) > len(before):
        raise Invalid({"extras": [problem(Reason.TOO_MANY_EXTRAS, limit=MAX_EXTRAS)]})
    _check_extras_size(before, after)
    _check_key_names(before, after)


def _check_extras_size(before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Extras heavier than ``MAX_EXTRAS_BYTES`` are refused when they grow (extras loaded or
    harvested heavier stay editable)."""
    if after is before or not after:
        return
    size = _weight(after)
    if size > MAX_EXTRAS_BYTES and size > _weight(before):
        raise Invalid({"extras": [problem(Reason.EXTRAS_TOO_LARGE, limit=MAX_EXTRAS_BYTES)]})


def _weight(extras: Mapping[str, Any]) -> int:
    """The bytes of the extras' JSON, about (values that are no JSON count as their text)."""
    return len(json.dumps(extras, ensure_ascii=False, default=str).encode())
