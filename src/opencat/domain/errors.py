"""The catalog's exception tree, mapped to HTTP in exactly one place (``api/errors.py``).

CatalogError
├── NotFound            the object does not exist (or the caller may not know it does)
│   └── Gone            it existed and was soft-deleted
├── Unauthenticated     the action needs an identified caller
├── InvalidCredentials  an API key was sent but is unknown, revoked or its user inactive
├── PermissionDenied    the caller is known but may not do this
├── Invalid             field-level validation errors ``{field: [messages]}``
├── BadRequest          a single-message refusal (udata's ``abort(400, message)``)
├── PreconditionFailed  ``If-Match`` names a stale version
├── Conflict            a concurrent write took the same unique value
├── TooManyRequests     asked again too soon (``retry_after`` seconds)
├── Moved               the object answers to another identifier (a redirect)
├── Unavailable         the database cannot be reached now (down, restarting, no free connection):
│                       nothing was done, the same request may be sent again later
└── InsufficientStorage the disk is full: the write was refused and nothing of it was kept
"""

from collections.abc import Mapping
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


class UploadRefused(BadRequest):
    """An upload-protocol error, answered in udata's upload shape ``{"success": false, "error"}``."""


class FileTypeNotAllowed(BadRequest):
    """The file's extension is not in the allow-list (the API adds where to find the list)."""


class UnsupportedMediaType(CatalogError):
    pass


class PayloadTooLarge(CatalogError):
    pass


class Unavailable(CatalogError):
    """The database (or another service the catalog needs) cannot be reached now; retry later."""


class InsufficientStorage(CatalogError):
    """No space left for a file (or a row): the write was refused, and nothing of it was kept."""
