"""Rules for uploaded files: names, extensions, formats, MIME types, chunked upload fields
(udata: udata/core/storages/api.py)."""

import mimetypes
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from opencat.domain.errors import UploadProblem, UploadRefused
from opencat.domain.transliteration import to_ascii

ARCHIVE_EXTENSIONS = frozenset({"tar", "gz", "tgz", "rar", "zip", "7z", "xz", "bz2"})
# flask-storage's own allow-list, which udata accepts on top of its setting (udata: udata/core/storages/api.py).
STORAGE_DEFAULT_EXTENSIONS = frozenset(
    [
        "txt",
        "rtf",
        "odf",
        "ods",
        "gnumeric",
        "abw",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "jpg",
        "jpe",
        "jpeg",
        "png",
        "gif",
        "svg",
        "bmp",
        "csv",
        "ini",
        "json",
        "plist",
        "xml",
        "yaml",
        "yml",
    ]
)
_NON_FILENAME = re.compile(r"[^a-z0-9.]+")


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    max_bytes: int
    extensions: tuple[str, ...]  # in configuration order (suggestions keep it)

    def allows(self, name: str) -> bool:
        extension = last_extension(name)
        return extension is not None and (
            extension in self.extensions or extension in STORAGE_DEFAULT_EXTENSIONS
        )


def normalize_filename(name: str) -> str:
    """ASCII, lower case, apostrophes dropped (``l'été`` -> ``lete``, as udata's slugify), runs
    outside ``[a-z0-9.]`` become ``-``; never a path."""
    ascii_name = to_ascii(name.replace("\\", "/").rsplit("/", 1)[-1]).lower().replace("'", "")
    separated = _NON_FILENAME.sub("-", ascii_name)
    cleaned = separated.strip("-.")
    _, dot, extension = separated.rstrip("-.").rpartition(".")
    if dot and cleaned == extension.strip("-") and cleaned:
        # A stem of separators only ("_.csv", "😀.csv", ".csv") kept its extension as the name,
        # which then had none and was refused.
        cleaned = f"file.{cleaned}"
    return _shortened(cleaned) if len(cleaned) > MAX_FILENAME else cleaned or "file"


MAX_FILENAME = 200  # file systems refuse path components over 255 bytes


def _shortened(name: str) -> str:
    """Cut the stem, keeping the (possibly compound) extension: ``…-report.csv.gz``."""
    parts = name.split(".")
    suffix: list[str] = []
    while len(parts) > 1 and len(suffix) < 3 and len(parts[-1]) <= 10:
        suffix.insert(0, parts.pop())
    extension = "." + ".".join(suffix) if suffix else ""
    stem = ".".join(parts)[: MAX_FILENAME - len(extension)].rstrip("-.")
    return (stem or "file") + extension


def last_extension(name: str) -> str | None:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem and extension else None


def file_format(name: str, known: Collection[str]) -> str | None:
    """The extension, keeping compound archive ones: ``x.csv.tar.gz`` → ``csv.tar.gz``."""
    parts = name.lower().split(".")[1:]
    if not parts:
        return None
    if parts[-1] not in ARCHIVE_EXTENSIONS:
        return parts[-1]
    kept: list[str] = []
    for part in reversed(parts):
        if part not in known and part not in ARCHIVE_EXTENSIONS:
            break
        kept.insert(0, part)
    return ".".join(kept)


def guess_mime(name: str) -> str:
    """The resource's ``mime`` (udata's guess: ``x.csv.gz`` is text/csv)."""
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


# What a compressed file is served as: its bytes are the archive's, not the text's inside.
_COMPRESSIONS = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}


def served_type(name: str) -> str:
    """The Content-Type a stored file is served with: ``x.csv.gz`` is application/gzip (served
    as text/csv without a Content-Encoding, a browser showed its compressed bytes as text)."""
    kind, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None:
        return _COMPRESSIONS.get(encoding, "application/octet-stream")
    return kind or "application/octet-stream"


def storage_key(dataset_slug: str, name: str, now: datetime, unguessable: str) -> str:
    """``{slug}/{YYYYmmdd-HHMMSS}-{unguessable}/{name}``: udata's key with a random part, so that
    a file's address cannot be guessed from its dataset's slug, the second and a usual file name
    (an S3 bucket serves a private dataset's files to whoever names them)."""
    return f"{dataset_slug}/{now.strftime('%Y%m%d-%H%M%S')}-{unguessable}/{name}"


# A chunked upload's id, chosen by the client (udata takes any text), becomes a storage key,
# ``.uploads/{id}/{index}``: the characters of UUIDs and of URL-safe ids (nanoid, base64url),
# dots inside, never a leading one (``.`` and ``..`` are folders), no separator; 64 at most.
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
MAX_PARTS = 100_000


def is_session_id(value: str) -> bool:
    return _SESSION_ID.match(value) is not None


def check_chunked(session_id: str, total_parts: int) -> None:
    """What every call of a chunked upload carries: a usable id and a bounded number of parts."""
    if not is_session_id(session_id):
        raise UploadRefused(UploadProblem.INVALID_SESSION_ID)
    if total_parts > MAX_PARTS:
        raise UploadRefused(UploadProblem.TOO_MANY_PARTS, limit=MAX_PARTS)


def check_part_index(index: int | None, total_parts: int) -> int:
    """The index of one of the upload's parts (a part without an index is out of range too)."""
    if index is None or not 0 <= index < total_parts:
        raise UploadRefused(UploadProblem.PART_INDEX_OUT_OF_RANGE, limit=total_parts - 1)
    return index
