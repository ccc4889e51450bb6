"""udata's words for the catalog's reasons: the only place where they are written.

Each ``Reason`` the catalog raises is said here as udata says it (recorded in
docs/compatibility.md, tested against udata's recorded responses), or in our own words where udata
has no such case. ``text`` words one problem; ``worded`` turns a tree of field problems into
udata's ``{field: [messages]}`` shape.
"""

from collections.abc import Callable, Mapping
from typing import Any

from opencat.domain.errors import CatalogError, Invalid, Problem, Reason, UploadProblem, UploadRefused

WORDS: Mapping[Reason, str] = {
    Reason.DATASET_DELETED: "Dataset has been deleted",
    Reason.DATASET_MISSING: "Dataset not found",
    Reason.HARVEST_SOURCE_MISSING: "Harvest source not found",
    Reason.HARVEST_JOB_MISSING: "Harvest job not found",
    Reason.HARVEST_SLUG_TAKEN: "Another harvest source took this slug; retry",
    Reason.HARVEST_RUNNING: "A job of this source is running (node {node}, process {pid})",
    Reason.HARVEST_SOURCE_NOT_VALIDATED: "Source is not validated. Please validate the source before running.",
    Reason.HARVEST_BACKEND_UNKNOWN: "Unknown harvest backend {backend}",
    Reason.CRON_INVALID: "Invalid cron expression: {error}",
    Reason.HARVEST_URL_INVALID: "Invalid URL: an http:// or https:// URL is expected",
    Reason.HARVEST_CONFIG_OUT_OF_RANGE: "{key} must be {kind} from {low} to {high}",
    Reason.EMAIL_TAKEN: "This email is already registered.",
    Reason.KEY_NAME_TOO_LONG: "At most {limit} characters.",
    Reason.EXPIRY_NOT_FUTURE: "The expiry date must be in the future.",
    Reason.MEMBER_ROLE_UNKNOWN: "Unknown role {role}; expected one of {roles}",
    Reason.UPLOAD_UNKNOWN: "Unknown upload uuid",
    Reason.FILE_TOO_LARGE: "The file is larger than the configured maximum",
    Reason.HTML_CONTENT: "Incorrect file content type: HTML",
    Reason.RESOURCE_MISSING: "Resource does not exist",
    Reason.PERMALINK_MISSING: "Resource not found",
    Reason.BADGE_MISSING: "Badge does not exists",
    Reason.SCHEMA_CATALOG_MISSING: "Schema catalog not found",
    Reason.SCHEMAS_UNAVAILABLE: "No schemas in cache and endpoint unavailable",
    Reason.USER_NOT_ACTIVE: "User is not active",
    Reason.USER_DELETED: "User has been deleted",
    Reason.USER_UNKNOWN: "Unknown user {ident}",
    Reason.ORGANIZATION_UNKNOWN: "Unknown organization {ident}",
    Reason.ORGANIZATION_GONE: "Organization has been deleted",
    Reason.API_KEY_UNKNOWN: "Unknown API key {ident}",
    Reason.TOKEN_INVALID: "Invalid API token",
    Reason.TOKEN_REVOKED: "Revoked API token",
    Reason.TOKEN_EXPIRED: "Expired API token",
    Reason.USER_INACTIVE: "Inactive user",
    Reason.SIGN_IN_FAILED: "Wrong email or password",
    Reason.ALREADY_MEMBER: "User is already member",
    Reason.CHECKS_BUSY: "Too many links are being checked; retry in a few seconds",
    Reason.LARGE_EXPORTS_BUSY: "Too many large RDF documents are being built; retry in a few seconds",
    Reason.EXPORTS_BUSY: "Too many whole-catalog exports are running; retry in a few seconds",
    Reason.PREVIEWS_BUSY: "Too many harvest previews are running; retry in a few seconds",
    Reason.SIGN_IN_THROTTLED: "Too many failed sign-ins; retry later",
    Reason.RESET_THROTTLED: "Too many password resets asked for; retry later",
    Reason.RESET_TOKEN_INVALID: "This password reset link is unknown, used or expired",
    Reason.REMOTE_ONLY: "This endpoint only supports remote resources",
    Reason.COMMUNITY_REMOTE_ONLY: "This endpoint only supports remote community resources",
    Reason.FILETYPE_CHANGE: "Cannot modify filetype after creation",
    Reason.REORDER_COUNT: "All resources must be reordered, you provided {sent} out of {existing}",
    Reason.REORDER_NEEDS_ID: "Each resource must have an 'id' field",
    Reason.REORDER_IDS_MISMATCH: "Resource ids must match existing ones in dataset, ie: {existing}",
    Reason.TOO_MANY_RESOURCES: "A dataset cannot have more than {limit} resources.",
    Reason.RECORD_TOO_MANY_RESOURCES: "{record}: A dataset cannot have more than {limit} resources.",
    Reason.BADGE_UNKNOWN: "Unknown badge type for Dataset: {kind}",
    Reason.STALE_REVISION: "The dataset changed since you read it",
    Reason.READ_ONLY: "Due to security reasons, the creation of new content is currently disabled.",
    Reason.CHECK_RUNNING: "This resource is being checked; retry in a few seconds",
    Reason.DATABASE_UNAVAILABLE: "The database is unavailable, please retry later",
    Reason.WRITES_CROSSED: "Another write took the same data at the same time: nothing was written, please retry",
    Reason.FILE_STORE_UNAVAILABLE: "The file store is unavailable, please retry later",
    Reason.SEARCH_INDEX_UNAVAILABLE: "The search index is unavailable, please retry later",
    Reason.DATABASE_FULL: "The database has no space left: nothing was written",
    Reason.FILE_NO_SPACE: "There is not enough space left to store this file",
    Reason.SELF_DEMOTION: "A sysadmin cannot change their own rights",
    Reason.LAST_ADMIN: "An organization keeps at least one admin",
    Reason.SLUG_TAKEN: "Another dataset took this slug; retry",
    Reason.IDENTIFIER_TAKEN: "A dataset with this identifier or slug already exists",
    Reason.RELATED_TO_NOT_AN_ID: "`related_to` arg must be an identifier",
    Reason.FILTER_NOT_AN_ID: "`{key}` must be an identifier",
    Reason.EXTRAS_OBJECT_EXPECTED: "Wrong payload format, dict expected",
    Reason.EXTRAS_LIST_EXPECTED: "Wrong payload format, list expected",
    Reason.EXTRA_KEY_MISSING: "Key not found in existing extras",
    # MongoEngine's words for the typed resource extras (udata: udata/mongo/extras_fields.py).
    Reason.EXTRAS_UNSUPPORTED_TYPES: "Unsupported types",
    Reason.EXTRA_NOT_BOOLEAN: "BooleanField only accepts boolean values",
    Reason.EXTRA_NOT_INTEGER: "{value} could not be converted to int",
    Reason.EXTRA_NOT_DATE: 'cannot parse date "{value}"',
    Reason.REQUIRED: "This field is required.",
    Reason.NOT_A_CHOICE: "Not a valid choice.",
    Reason.PASSWORD_TOO_SHORT: "A password has at least {minimum} characters",
    Reason.PASSWORD_TOO_LONG: "A password has at most {maximum} characters",
    Reason.ORGANIZATION_DOES_NOT_EXIST: "Organization does not exists",
    Reason.ORGANIZATION_DENIED: "Permission denied for this organization",
    Reason.NO_TRANSFER: "Cannot change owner after creation. Please use transfer feature.",
    Reason.OWNER_SELF_ONLY: "You can only set yourself as owner",
    Reason.OWNER_UNKNOWN: "User does not exists",  # sic: udata's ModelFieldMixin
    Reason.CONTACT_POINT_MISMATCH: "Wrong contact point id or contact point ownership mismatch",
    # udata's ContactPoint (udata/core/contact_point/models.py, udata/core/checks.py, udata/core/owned.py)
    Reason.CONTACT_FIELD_REQUIRED: "Field is required",
    Reason.TEXT_TOO_LONG: "Field cannot be longer than {limit} characters.",
    Reason.PRODUCER_FIXED: "Cannot modify {field} after creation",
    Reason.CONTACT_URLS_IN_TEXT: "URLs not allowed in this field",
    Reason.EMAIL_INVALID: "Invalid email address",
    Reason.EMAIL_INVALID_SENTENCE: "Invalid email address.",
    Reason.CONTACT_FORM_INVALID: "Invalid URL",
    Reason.CONTACT_ROLE_UNKNOWN: "Value must be one of {roles}",
    Reason.CONTACT_WAY_MISSING: "At least an email or a contact form is required for a contact point",
    Reason.CONTACT_NOT_TEXT: "Not a valid string.",
    Reason.CONTACT_ORGANIZATION_UNKNOWN: "Unknown organization",
    Reason.CUSTOM_NO_ORGANIZATION: "Custom metadatas are only accessible to dataset owned by on organization.",
    Reason.CUSTOM_UNDEFINED: "Dataset's organization did not define the requested custom metadata.",
    Reason.CUSTOM_CHOICE: "Custom metadata choice is not defined by organization.",
    Reason.CUSTOM_TYPE: "Custom metadata is not of the right type.",
    # MongoEngine's own wording of a model-level check (udata answers it beside the errors).
    Reason.MODEL_VALIDATION: "ValidationError ({model}:{id}) ({problem}: ['__all__'])",
    Reason.DUPLICATE_RESOURCE_ID: "Duplicate resource ID in dataset #{dataset}.",  # Dataset.clean()
    Reason.DATASET_ID_REQUIRED: "A dataset identifier is required",
    Reason.DATASET_UNKNOWN: "Dataset does not exists",  # sic: udata's ModelField
    Reason.TOO_MANY_EXTRAS: "At most {limit} extras are allowed",
    Reason.EXTRAS_TOO_LARGE: "Extras may hold at most {limit} bytes of JSON",
    Reason.TOO_MANY_TAGS: "At most {limit} tags are allowed",
    Reason.ZONE_UNKNOWN: "Unknown geoid(s): {zones}",
    Reason.ZONES_UNKNOWN_MANY: "Unknown geoid(s): {zones} and {more} more",
    Reason.TOO_MANY_ZONES: "At most {limit} zones are allowed",
    Reason.EXTRAS_DOLLAR_KEY: 'Invalid dictionary key name - keys may not startswith "$" characters',
    Reason.GEOM_TOO_LARGE: "A geometry may hold at most {limit} bytes of JSON",
    Reason.SCHEMA_VERSION_WITHOUT_SCHEMA: "A schema must contains a name or an URL when a version is provided.",
    Reason.SCHEMA_NAME_NOT_ALLOWED: 'Schema name "{name}" is not an allowed value. Allowed values: {allowed}',
    Reason.SCHEMA_VERSION_NOT_ALLOWED: (
        'Version "{version}" is not an allowed value for the schema "{name}". Allowed versions: {allowed}'
    ),
}


def text(problem: Problem) -> str:
    return WORDS[problem.reason].format(**problem.details)


def message(error: CatalogError, default: str = "") -> str:
    """The error's single message: its reason worded, or the API's own text, or ``default``."""
    if error.reason is Reason.MODEL_VALIDATION and isinstance(error, Invalid):
        # MongoEngine repeats the model-level problem inside its own sentence.
        return text(Problem(error.reason, {**error.details, "problem": worded(error.errors["__all__"])}))
    if error.reason is not None:
        return text(Problem(error.reason, error.details))
    return error.message or default


def worded(errors: Any) -> Any:
    """A tree of field problems (dicts and lists of ``Problem``) in udata's words; text the API
    layer put there itself is kept as it is."""
    if isinstance(errors, Problem):
        return text(errors)
    if isinstance(errors, Mapping):
        return {key: worded(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [worded(item) for item in errors]
    return errors


# Why an upload was refused, in words: udata's where udata has some ("Missing file parameter",
# "Chunk size mismatch": udata: udata/core/storages/api.py), ours in the same shape elsewhere.
UPLOAD_REFUSALS: dict[UploadProblem, str | Callable[[UploadRefused], str]] = {
    UploadProblem.PART_WITHOUT_NAME: 'Each part needs a Content-Disposition "name"',
    UploadProblem.FIELD_TOO_LARGE: lambda e: f"Field {e.field} is larger than {e.limit} bytes",
    UploadProblem.NUL_IN_FORM: lambda e: f"{e.field} may not contain NUL characters",
    UploadProblem.TOO_MANY_FIELDS: "Too many fields",
    UploadProblem.FORM_TOO_LARGE: lambda e: f"Form larger than {e.limit} bytes",
    UploadProblem.INVALID_MULTIPART: "Invalid multipart data",
    UploadProblem.CUT_SHORT: "The upload was cut short",
    UploadProblem.MISSING_FILE: "Missing file parameter",
    UploadProblem.INVALID_SESSION_ID: "Missing or invalid uuid parameter",
    UploadProblem.TOO_MANY_PARTS: lambda e: f"totalparts must be at most {e.limit}",
    UploadProblem.PART_INDEX_OUT_OF_RANGE: lambda e: f"partindex must be between 0 and {e.limit}",
    UploadProblem.CHUNK_SIZE_MISMATCH: "Chunk size mismatch",
    UploadProblem.FOREIGN_SESSION: "This uuid belongs to another upload",
    UploadProblem.UNKNOWN_SESSION: "Unknown upload uuid",
    UploadProblem.TOTAL_PARTS_MISMATCH: "totalparts does not match the upload",
    UploadProblem.MISSING_PARTS: lambda e: f"Missing parts: {e.missing}",
    UploadProblem.PARTS_CHANGED: "A part was sent again while the file was assembled: send the final call again",
    UploadProblem.CHECKSUM_MISMATCH: lambda e: (
        f"Checksum mismatch: expected {e.declared}, got sha1 {e.actual}"
    ),
}


def upload_refusal(error: UploadRefused) -> str:
    wording = UPLOAD_REFUSALS[error.problem]
    return wording if isinstance(wording, str) else wording(error)


def not_a_frequency(value: object) -> str:
    """udata's refusal of a frequency, worded by Python's Enum (``repr`` of the value): clients
    parse it."""
    return f"{value!r} is not a valid UpdateFrequency"
