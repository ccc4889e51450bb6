"""What ``opencat load-fixtures`` is given, read and told apart (no database).

Four input shapes are understood: udata's fixture file (``{"datasets": [{"dataset",
"resources", "organization", ...}]}``), API v1 dataset documents (a JSON array, or a folder of
``<id>.json`` files, with an optional sibling ``organizations/`` folder), and the two CSV
catalogue exports of ``catalog/csv_exports.py``. Every shape yields udata documents.
"""

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from opencat.catalog.csv_exports import read_export
from opencat.catalog.import_documents import Entry
from opencat.domain.documents import MAX_DEPTH, too_deep
from opencat.domain.errors import Invalid
from opencat.domain.references import License

# An escaped surrogate (``\udcff``): JSON's decoder pairs the valid ones, a lone one stays a
# character no database stores (the load stopped on a traceback).
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """Each lone surrogate replaced by U+FFFD, as a reader sees it."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(key): _without_lone_surrogates(item) for key, item in value.items()}
    return value


def _read_json(path: Path) -> Any:
    """A JSON document, or JSON Lines (``opencat export jsonl``'s, ``/site/datasets.jsonl``) as
    the list of its lines' documents."""
    body = path.read_bytes()
    read = _parsed(path, body)
    # Walked only when the file escapes a surrogate at all (rare): a large load is not slowed.
    return _without_lone_surrogates(read) if _ESCAPED_SURROGATE.search(body) else read


def _parsed(path: Path, body: bytes) -> Any:
    try:
        return json.loads(body)
    except RecursionError:  # the decoder recurses: past ~1000 levels it gives up
        raise Invalid({"path": [f"{path}: {too_deep(MAX_DEPTH)}"]}) from None
    except json.JSONDecodeError as error:
        documents = _json_lines(path, body)
        if documents is None:
            where = f"line {error.lineno}, column {error.colno}"
            raise Invalid({"path": [f"{path} is not JSON ({error.msg}, {where})"]}) from None
        return documents


def _json_lines(path: Path, body: bytes) -> list[Any] | None:
    """Each non-empty line's document; None when a line is none (the file is no JSON Lines)."""
    documents = []
    for line in body.splitlines():
        if not line.strip():
            continue
        try:
            documents.append(json.loads(line))
        except RecursionError:
            raise Invalid({"path": [f"{path}: {too_deep(MAX_DEPTH)}"]}) from None
        except json.JSONDecodeError:
            return None
    return documents if len(documents) > 1 else None


def _holds_json(path: Path) -> bool:
    """JSON starts with an object or an array; a CSV export starts with its header line."""
    with path.open("rb") as handle:
        start = handle.read(1024).removeprefix(b"\xef\xbb\xbf").lstrip()
    return start[:1] in (b"{", b"[")


def read_entries(path: Path, licenses: Iterable[License]) -> tuple[list[Entry], dict[str, dict[str, Any]]]:
    """The entries found at ``path`` and the full organization documents beside them.

    ``licenses`` (the catalog's list) maps the license titles a CSV export writes to their ids."""
    organizations: dict[str, dict[str, Any]] = {}
    if path.is_file() and not _holds_json(path):
        return read_export(path, licenses), organizations
    if path.is_dir():
        documents = [_read_json(item) for item in sorted(path.glob("*.json"))]
        sibling = path.parent / "organizations"
        if sibling.is_dir():
            for item in sorted(sibling.glob("*.json")):
                org = _read_json(item)
                organizations[org["id"]] = org
    else:
        documents = _read_json(path)
    neither = Invalid({"path": [f"{path} holds neither udata fixtures nor dataset documents"]})
    if isinstance(documents, dict) and "datasets" in documents:
        fixtures = documents["datasets"]
        if not isinstance(fixtures, list) or not all(
            isinstance(item, dict) and isinstance(item.get("dataset"), dict) for item in fixtures
        ):
            raise neither
        entries = [
            Entry(
                item["dataset"],
                item.get("resources") or [],
                item.get("organization"),
                community=tuple(item.get("community_resources") or ()),
            )
            for item in fixtures
        ]
        return entries, organizations
    if not isinstance(documents, list):
        raise neither
    for position, doc in enumerate(documents, start=1):
        if not isinstance(doc, dict):
            raise Invalid({"path": [f"{path}: entry {position} is no dataset document (a JSON object)"]})
    return [
        Entry(doc, doc.get("resources") or [], doc.get("organization")) for doc in documents
    ], organizations
