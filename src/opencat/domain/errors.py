"""The catalog's exception tree, mapped to HTTP in exactly one place (``api/errors.py``).

CatalogError
├── NotFound            the object does not exist (or the caller may not know it does)
│   ├── Gone            it existed and was soft-deleted
│   └── DatasetNotFound, ResourceNotFound, UploadNotFound: what was not found
├── Unauthenticated     the action needs an identified caller
├── InvalidCredentials  an API key was sent but is unknown, revoked or its user inactive
├── PermissionDenied    the caller is known but may not do this
├── Invalid             field-level validation errors ``{field: [messages]}``
├── BadRequest          a single-message refusal (udata's ``abort(400, message)``)
│   ├── UploadRefused   the upload protocol refused the request: ``problem`` says why
│   └── FileTypeNotAllowed  the file's extension is not allowed
├── PreconditionFailed  ``If-Match`` names a stale version
├── Conflict            a concurrent write took the same unique value
├── TooManyRequests     asked again too soon (``retry_after`` seconds)
├── Moved               the object answers to another identifier (a redirect)
├── UnsupportedMediaType
│   └── HtmlNotAccepted an uploaded file is HTML
├── PayloadTooLarge
│   └── FileTooLarge    an uploaded file is past the configured maximum
├── Unavailable         the database cannot be reached now (down, restarting, no free connection):
│                       nothing was done, the same request may be sent again later
└── InsufficientStorage the disk is full: the write was refused and nothing of it was kept
"""

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any


class CatalogError(Exception):
    """Base of every error the catalog raises on purpose."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(CatalogError):
    pass


class Gone(NotFound):
    pass


class DatasetNotFound(NotFound):
    """The dataset a community resource belongs to is gone."""


class ResourceNotFound(NotFound):
    """The dataset exists, the resource named in the path is not one of its resources."""


class UploadNotFound(NotFound):
    """No unfinished upload of the caller's has this id."""


class Unauthenticated(CatalogError):
    pass


class InvalidCredentials(CatalogError):
    pass


class PermissionDenied(CatalogError):
    pass


class Invalid(CatalogError):
    """Validation failed; ``errors`` maps a field (or ``__all__``) to its messages."""

    def __init__(self, errors: Mapping[str, Any], message: str = "") -> None:
        super().__init__(message)
        self.errors = dict(errors)


class InvalidItems(CatalogError):
    """Validation of a list failed; ``items`` holds each element's errors (``{}`` when valid)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__("")
        self.items = items


class BadRequest(CatalogError):
    pass


class PreconditionFailed(CatalogError):
    pass


class Conflict(CatalogError):
    pass


class TooManyRequests(CatalogError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Moved(CatalogError):
    """The object answers to another identifier now (a renamed slug): redirect there."""

    def __init__(self, location_ident: str) -> None:
        super().__init__(location_ident)
        self.location_ident = location_ident


class UploadProblem(Enum):
    """Why an upload was refused; ``api/errors.py`` words each one as udata does."""

    # The form (read by the API)
    PART_WITHOUT_NAME = "part_without_name"  # a multipart part with no field name
    SECOND_FILE = "second_file"
    FIELD_TOO_LARGE = "field_too_large"  # ``field``, ``limit`` (bytes)
    TOO_MANY_FIELDS = "too_many_fields"
    FORM_TOO_LARGE = "form_too_large"  # ``limit`` (bytes)
    INVALID_MULTIPART = "invalid_multipart"
    CUT_SHORT = "cut_short"  # the client went away before the body ended
    # The protocol's fields
    MISSING_FILE = "missing_file"
    NOT_AN_INTEGER = "not_an_integer"  # ``field``, ``value``
    INVALID_SESSION_ID = "invalid_session_id"
    TOO_MANY_PARTS = "too_many_parts"  # ``limit``: the most parts an upload may have
    PART_INDEX_OUT_OF_RANGE = "part_index_out_of_range"  # ``limit``: the highest index
    # The bytes and the upload's state
    CHUNK_SIZE_MISMATCH = "chunk_size_mismatch"  # ``declared``, ``actual``
    FOREIGN_SESSION = "foreign_session"  # the session belongs to another user or target
    UNKNOWN_SESSION = "unknown_session"
    TOTAL_PARTS_MISMATCH = "total_parts_mismatch"
    MISSING_PARTS = "missing_parts"  # ``missing``: their indexes
    PARTS_CHANGED = "parts_changed"  # a part was sent again while the file was assembled
    CHECKSUM_MISMATCH = "checksum_mismatch"  # ``declared``, ``actual`` (SHA-1 hex)


class UploadRefused(BadRequest):
    """The upload protocol refused the request (udata's upload shape ``{"success": false,
    "error"}``); the keyword arguments are the values the answer names."""

    def __init__(
        self,
        problem: UploadProblem,
        *,
        field: str = "",
        value: str = "",
        limit: int = 0,
        missing: Sequence[int] = (),
        declared: str = "",
        actual: str = "",
    ) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.field = field
        self.value = value
        self.limit = limit
        self.missing = list(missing)
        self.declared = declared
        self.actual = actual


class FileTypeNotAllowed(BadRequest):
    """The file's extension is not in the allow-list (the API adds where to find the list)."""


class UnsupportedMediaType(CatalogError):
    pass


class HtmlNotAccepted(UnsupportedMediaType):
    """An uploaded file's type, guessed from its name, is HTML (udata refuses it too)."""


class PayloadTooLarge(CatalogError):
    pass


class FileTooLarge(PayloadTooLarge):
    """An uploaded file, or the parts of a chunked upload together, is past the maximum."""


class Unavailable(CatalogError):
    """The database (or another service the catalog needs) cannot be reached now; retry later."""


class InsufficientStorage(CatalogError):
    """No space left for a file (or a row): the write was refused, and nothing of it was kept."""
