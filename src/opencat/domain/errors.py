"""The catalog's exception tree, mapped to HTTP in exactly one place (``api/errors.py``).

Each error carries a ``Reason`` (or, for uploads, an ``UploadProblem``) with the values its
answer names; ``api/wording.py`` says it in udata's words.

CatalogError
├── NotFound            the object does not exist (or the caller may not know it does)
│   └── Gone            it existed and was soft-deleted
├── Unauthenticated     the action needs an identified caller
├── InvalidCredentials  an API key was sent but is unknown, revoked, expired or its user inactive
├── PermissionDenied    the caller is known but may not do this
├── Invalid             field-level validation errors ``{field: [problems]}``
├── InvalidItems        the same, for each element of a list
├── BadRequest          a single-problem refusal (udata's ``abort(400, message)``)
│   ├── UploadRefused   the upload protocol refused the request: ``problem`` says why
│   └── FileTypeNotAllowed  the file's extension is not allowed
├── PreconditionFailed  ``If-Match`` names a stale version
├── Conflict            a concurrent write took the same unique value
├── TooManyRequests     asked again too soon (``retry_after`` seconds)
├── Locked              creations are disabled for now (read-only mode) but to sysadmins
├── Moved               the object answers to another identifier (a redirect)
├── UnsupportedMediaType  an uploaded file is of a refused type (HTML)
├── PayloadTooLarge     an uploaded file is past the configured maximum
├── Unavailable         the database cannot be reached now (down, restarting, no free connection):
│                       nothing was done, the same request may be sent again later
└── InsufficientStorage the disk is full: the write was refused and nothing of it was kept
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum, auto
from typing import Any


class Reason(StrEnum):
    """Why the catalog refused, as a value: udata's wording lives in ``api/wording.py`` only, which
    says each reason as udata does (in our own words where udata has none). Messages of our own
    that no API client parses (the command line's) may stay plain text."""

    # not found, gone
    DATASET_DELETED = auto()
    DATASET_MISSING = auto()
    UPLOAD_UNKNOWN = auto()
    FILE_TOO_LARGE = auto()
    HTML_CONTENT = auto()
    RESOURCE_MISSING = auto()
    PERMALINK_MISSING = auto()
    BADGE_MISSING = auto()
    SCHEMA_CATALOG_MISSING = auto()
    SCHEMAS_UNAVAILABLE = auto()
    USER_NOT_ACTIVE = auto()
    USER_DELETED = auto()
    USER_UNKNOWN = auto()  # details: ident
    ORGANIZATION_UNKNOWN = auto()  # details: ident
    ORGANIZATION_GONE = auto()
    API_KEY_UNKNOWN = auto()  # details: ident
    # credentials
    TOKEN_INVALID = auto()
    TOKEN_REVOKED = auto()
    TOKEN_EXPIRED = auto()
    USER_INACTIVE = auto()
    SIGN_IN_FAILED = auto()
    ALREADY_MEMBER = auto()
    CHECKS_BUSY = auto()  # the caller waits retry_after seconds
    LARGE_EXPORTS_BUSY = auto()  # the caller waits retry_after seconds
    EXPORTS_BUSY = auto()  # the caller waits retry_after seconds
    PREVIEWS_BUSY = auto()  # harvest previews: the caller waits retry_after seconds
    SIGN_IN_THROTTLED = auto()  # the caller waits retry_after seconds
    RESET_THROTTLED = auto()  # the caller waits retry_after seconds
    RESET_TOKEN_INVALID = auto()  # unknown, used or expired
    # single-message refusals
    REMOTE_ONLY = auto()
    COMMUNITY_REMOTE_ONLY = auto()
    FILETYPE_CHANGE = auto()
    REORDER_COUNT = auto()  # details: sent, existing
    REORDER_NEEDS_ID = auto()
    REORDER_IDS_MISMATCH = auto()  # details: existing (the set of ids)
    TOO_MANY_RESOURCES = auto()  # details: limit
    RECORD_TOO_MANY_RESOURCES = auto()  # details: record, limit (an imported file's record)
    BADGE_UNKNOWN = auto()  # details: kind
    STALE_REVISION = auto()
    READ_ONLY = auto()  # the catalog takes no new content (OPENCAT_READ_ONLY)
    CHECK_RUNNING = auto()
    DATABASE_UNAVAILABLE = auto()
    WRITES_CROSSED = auto()  # the database ended this write for another's (a deadlock): retry it
    FILE_STORE_UNAVAILABLE = auto()
    SEARCH_INDEX_UNAVAILABLE = auto()  # its directory cannot be written: listings cannot catch up
    DATABASE_FULL = auto()
    FILE_NO_SPACE = auto()
    SELF_DEMOTION = auto()  # a sysadmin changing their own rights
    LAST_ADMIN = auto()  # the last admin may not go
    SLUG_TAKEN = auto()
    IDENTIFIER_TAKEN = auto()
    RELATED_TO_NOT_AN_ID = auto()
    FILTER_NOT_AN_ID = auto()  # details: key
    EXTRAS_OBJECT_EXPECTED = auto()
    EXTRAS_LIST_EXPECTED = auto()
    EXTRA_KEY_MISSING = auto()
    EXTRAS_UNSUPPORTED_TYPES = auto()
    # field problems (``Invalid``)
    REQUIRED = auto()
    NOT_A_CHOICE = auto()
    PASSWORD_TOO_SHORT = auto()  # details: minimum
    PASSWORD_TOO_LONG = auto()  # details: maximum
    ORGANIZATION_DOES_NOT_EXIST = auto()
    ORGANIZATION_DENIED = auto()
    NO_TRANSFER = auto()
    OWNER_SELF_ONLY = auto()
    OWNER_UNKNOWN = auto()
    CONTACT_POINT_MISMATCH = auto()
    # a contact point's own fields (udata's ContactPoint model and its checks)
    CONTACT_FIELD_REQUIRED = auto()
    TEXT_TOO_LONG = auto()  # details: limit
    PRODUCER_FIXED = auto()  # details: field
    CONTACT_URLS_IN_TEXT = auto()
    EMAIL_INVALID = auto()
    EMAIL_INVALID_SENTENCE = (
        auto()
    )  # the same, as a sentence (the command line's and the pages' account forms)
    CONTACT_FORM_INVALID = auto()
    CONTACT_ROLE_UNKNOWN = auto()  # details: roles
    CONTACT_WAY_MISSING = auto()
    CONTACT_NOT_TEXT = auto()
    CONTACT_ORGANIZATION_UNKNOWN = auto()
    CUSTOM_NO_ORGANIZATION = auto()
    CUSTOM_UNDEFINED = auto()
    CUSTOM_CHOICE = auto()
    CUSTOM_TYPE = auto()
    EXTRA_NOT_BOOLEAN = auto()  # details: value
    EXTRA_NOT_INTEGER = auto()  # details: value
    EXTRA_NOT_DATE = auto()  # details: value
    MODEL_VALIDATION = auto()  # details: model, id (the whole error of a model-level check)
    DUPLICATE_RESOURCE_ID = auto()  # details: dataset
    DATASET_ID_REQUIRED = auto()
    DATASET_UNKNOWN = auto()
    TOO_MANY_EXTRAS = auto()  # details: limit
    EXTRAS_TOO_LARGE = auto()  # details: limit (bytes of their JSON)
    TOO_MANY_TAGS = auto()  # details: limit
    TOO_MANY_ZONES = auto()  # details: limit
    EXTRAS_DOLLAR_KEY = auto()
    GEOM_TOO_LARGE = auto()  # details: limit (bytes of its JSON)
    ZONES_UNKNOWN_MANY = auto()  # details: zones (the first ones), more (how many others)
    ZONE_UNKNOWN = auto()  # details: zone
    SCHEMA_VERSION_WITHOUT_SCHEMA = auto()
    SCHEMA_NAME_NOT_ALLOWED = auto()  # details: name, allowed
    SCHEMA_VERSION_NOT_ALLOWED = auto()  # details: version, name, allowed
    # harvesting
    HARVEST_SOURCE_MISSING = auto()
    HARVEST_SLUG_TAKEN = auto()
    HARVEST_JOB_MISSING = auto()
    HARVEST_RUNNING = auto()  # details: node, pid
    HARVEST_SOURCE_NOT_VALIDATED = auto()
    HARVEST_BACKEND_UNKNOWN = auto()  # details: backend
    CRON_INVALID = auto()  # details: error
    HARVEST_URL_INVALID = auto()
    HARVEST_CONFIG_OUT_OF_RANGE = auto()  # details: key, kind, low, high
    EMAIL_TAKEN = auto()
    KEY_NAME_TOO_LONG = auto()  # details: limit
    EXPIRY_NOT_FUTURE = auto()
    MEMBER_ROLE_UNKNOWN = auto()  # details: role, roles


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason, with what its wording needs."""

    reason: Reason
    details: Mapping[str, Any] = field(default_factory=dict)


def problem(reason: Reason, **details: Any) -> Problem:
    return Problem(reason, details)


class CatalogError(Exception):
    """Base of every error the catalog raises on purpose: a ``Reason`` and its details. Only the
    API layer, which owns the wording, raises errors with a ready ``message``."""

    def __init__(self, reason: Reason | str | None = None, **details: Any) -> None:
        super().__init__(reason or "")
        self.reason = reason if isinstance(reason, Reason) else None
        self.message = reason if isinstance(reason, str) and not isinstance(reason, Reason) else ""
        self.details = details


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
    """Validation failed; ``errors`` maps a field (or ``__all__``) to its problems (a list of
    ``Problem``, or of messages when the API layer raises it), nested for nested fields."""

    def __init__(self, errors: Mapping[str, Any], reason: Reason | str | None = None, **details: Any) -> None:
        super().__init__(reason, **details)
        self.errors = dict(errors)


class InvalidItems(CatalogError):
    """Validation of a list failed; ``items`` holds each element's errors (``{}`` when valid)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__()
        self.items = items


class BadRequest(CatalogError):
    pass


class PreconditionFailed(CatalogError):
    pass


class Conflict(CatalogError):
    pass


class Locked(CatalogError):
    """The catalog takes no new content for now (udata's READ_ONLY_MODE: 423)."""


class TooManyRequests(CatalogError):
    def __init__(self, reason: Reason, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Moved(CatalogError):
    """The object answers to another identifier now (a renamed slug): redirect there."""

    def __init__(self, location_ident: str) -> None:
        super().__init__()
        self.location_ident = location_ident


class UploadProblem(Enum):
    """Why an upload was refused; ``api/wording.py`` words each one as udata does."""

    # The form (read by the API)
    PART_WITHOUT_NAME = "part_without_name"  # a multipart part with no field name
    FIELD_TOO_LARGE = "field_too_large"  # ``field``, ``limit`` (bytes)
    TOO_MANY_FIELDS = "too_many_fields"
    FORM_TOO_LARGE = "form_too_large"  # ``limit`` (bytes)
    INVALID_MULTIPART = "invalid_multipart"
    NUL_IN_FORM = "nul_in_form"  # ``field``: a text (or the file's name) holding NUL
    CUT_SHORT = "cut_short"  # the client went away before the body ended
    # The protocol's fields
    MISSING_FILE = "missing_file"
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
        super().__init__()
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


class PayloadTooLarge(CatalogError):
    pass


class Unavailable(CatalogError):
    """The database (or another service the catalog needs) cannot be reached now; retry later."""


class InsufficientStorage(CatalogError):
    """No space left for a file (or a row): the write was refused, and nothing of it was kept."""
