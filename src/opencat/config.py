"""Settings: declared once, read once from the environment, passed as an argument.

pydantic-settings declares and converts them; every failure becomes one ``SettingsError`` line
that names the variable, so the command line can print it without a traceback.
"""

import difflib
import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

PREFIX = "OPENCAT_"


_LOG_FORMATS = ("plain", "json")
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _site_url(value: str) -> str:
    """An http(s) URL every link of the catalog starts with: a host, and nothing a link would
    carry raw (spaces, quotes, controls), without its trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    if any(character.isspace() or character in '"<>`' or ord(character) < 32 for character in value):
        raise ValueError(f"must be a URL without spaces, quotes or control characters, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"must be a URL without a query or fragment, got {value!r}")
    return value.rstrip("/")


class SettingsError(ValueError):
    pass


def misspelled(environ: Mapping[str, str]) -> list[str]:
    """The ``OPENCAT_*`` variables that name no setting but look like one (a typo, another case),
    each with the setting it resembles: unread, such a variable leaves its setting at its default
    (``OPENCAT_DATABSE_URL`` served an empty SQLite catalog instead of PostgreSQL). Others (a
    test's, a benchmark's) are not said."""
    known = {variable(name) for name in Settings.model_fields}
    found = []
    for name in sorted(environ):
        if not name.upper().startswith(PREFIX) or name in known:
            continue
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.85)
        if close:
            found.append(f"{name} names no setting and is not read: {close[0]}?")
    return found


def variable(name: str) -> str:
    """The environment variable of the setting ``name``."""
    return f"{PREFIX}{name.upper()}"


class _Variables(PydanticBaseSettingsSource):
    """The OPENCAT_* entries of one mapping (``os.environ`` or a test's dict), names exact."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.environ.get(variable(field_name)), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {
            name: self.environ[variable(name)]
            for name in self.settings_cls.model_fields
            if variable(name) in self.environ
            and (self.environ[variable(name)] or name not in _BLANK_IS_DEFAULT)
        }


# Set but empty, these keep their default (a blank line in an env file).
_BLANK_IS_DEFAULT = frozenset({"log_format", "log_level"})

# What a failed conversion means, in words a person setting a variable understands.
_WORDING = {
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "int_type": "must be an integer",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "path_type": "must be a path",
}


def _one_line(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        wording = _WORDING.get(item["type"]) or str(item["msg"]).removeprefix("Value error, ")
        shown = f"{variable(name)} {wording}" if name else wording
        if item["type"] in _WORDING:
            shown += f", got {item['input']!r}"
        problems.append(shown)
    return "; ".join(problems)


MAX_HOURS = 87_600
MAX_LINKCHECK_SECONDS = 31_536_000
# The change log's entries kept: more than a node applies between two prunes, up to a billion.
MIN_CHANGE_LOG_KEEP = 10_000
MAX_CHANGE_LOG_KEEP = 1_000_000_000
# The longest a timeout or a pause between requests may be: a larger one (or inf) overflowed the clock.
MAX_WAIT_SECONDS = 86_400
# Connections a worker may keep: a pool far past it exhausts any database server.
MAX_POOL_SIZE = 1_000
# The largest size or count a setting may hold (a 64-bit integer).
MAX_SIZE = 2**63 - 1

_HOST_NAME = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)

# The shortest signing key the pages take, set or kept in the data directory (app.secret_key).
MIN_SECRET_KEY_LENGTH = 32
# A storage prefix's folders: the characters a file key may hold (files/base.py).
_PREFIX_FOLDERS = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")


def _is_host(value: str) -> bool:
    """A host name or an IP address as smtplib connects to it (no brackets, no port)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return _HOST_NAME.fullmatch(value) is not None
    return True


_OPTIONAL_TEXT = (
    "front_url",
    "storage_url",
    "s3_endpoint_url",
    "s3_public_url",
    "s3_region",
    "schema_catalog_url",
    "secret_key",
    "smtp_host",
    "smtp_user",
    "smtp_password",
    "smtp_from",
)


class Settings(BaseSettings):
    """Every field is documented in docs/configuration.md (a test checks it)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="forbid", case_sensitive=True)

    data_dir: Path = Path("var")
    database_url: str = ""
    # Connections each worker keeps open, and the request threads it runs at once.
    database_pool_size: int = 10
    # Seconds a PostgreSQL statement waits for a lock before its request is a 503 (0: no bound).
    database_lock_timeout: float = 15.0
    base_url: str = "http://127.0.0.1:8000"
    front_url: str | None = None
    max_json_bytes: int = 10 * 1024 * 1024
    max_resources_per_dataset: int = 10_000
    read_only: bool = False
    default_language: str = "en"
    storage_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_public_url: str | None = None
    s3_region: str | None = None
    max_upload_bytes: int = 10 * 1024**3
    upload_retention_hours: int = 24
    change_log_keep: int = 1_000_000
    allowed_extensions: Annotated[tuple[str, ...] | None, NoDecode] = None
    linkcheck_timeout: float = 5.0
    linkcheck_allow_private: bool = False
    linkcheck_interval: int = 300
    schema_catalog_url: str | None = None
    feed_delay_hours: int = 10
    site_title: str = "opencat"
    dcat_themes: Annotated[tuple[tuple[str, str], ...], NoDecode] = ()
    log_format: str = "plain"
    log_level: str = "info"
    ready_max_index_lag: int = 10_000
    # Signs the pages' cookies; unset: a random key kept in <data_dir>/secret_key.
    secret_key: str | None = None
    session_lifetime_hours: int = 336
    # Behind a proxy: the client's address is the last one of X-Forwarded-For (sign-in throttling).
    trust_forwarded_for: bool = False
    # Password resets by email; unset host: no mail, an operator sets passwords (user set-password).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_from: str | None = None
    # Harvesting (docs/harvesting.md).
    harvest_delete_gone: bool = False
    harvest_allow_private: bool = False
    harvest_timeout: float = 60.0
    harvest_max_bytes: int = 256 * 1024 * 1024
    harvest_delay: float = 0.0
    harvest_stale_after: int = 60
    harvest_max_items: int | None = None
    harvest_scheduler: bool = True

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise SettingsError(_one_line(error)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Built in code, settings are exactly what the caller passed: ``from_env`` reads variables.
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Settings":
        return cls(**_Variables(cls, environ)())

    @field_validator(*_OPTIONAL_TEXT, mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _site_url(value)

    @field_validator("front_url")
    @classmethod
    def _front(cls, value: str | None) -> str | None:
        return None if value is None or not value.rstrip("/") else _site_url(value)

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in ("en", "fr"):
            raise ValueError(f"must be 'en' or 'fr', got {value!r}")
        return value

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _folded(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        folded = value.strip().lower()
        allowed = _LOG_FORMATS if info.field_name == "log_format" else _LOG_LEVELS
        if folded not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {folded!r}")
        return folded

    @field_validator("feed_delay_hours", "linkcheck_interval", "ready_max_index_lag")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator(
        "max_json_bytes",
        "max_resources_per_dataset",
        "max_upload_bytes",
        "upload_retention_hours",
        "session_lifetime_hours",
        "harvest_max_bytes",
        "harvest_stale_after",
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive integer")
        return value

    @field_validator("harvest_max_items", mode="before")
    @classmethod
    def _empty_is_no_limit(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("harvest_max_items")
    @classmethod
    def _positive_if_set(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("must be a positive integer")
        return value

    @field_validator("change_log_keep")
    @classmethod
    def _past_the_kept_answers_tail(cls, value: int) -> int:
        # Fewer would prune entries a busy node has not applied yet: it would refill its index
        # from every dataset's row at each prune.
        if not MIN_CHANGE_LOG_KEEP <= value <= MAX_CHANGE_LOG_KEEP:
            raise ValueError(f"must be between {MIN_CHANGE_LOG_KEEP:,} and {MAX_CHANGE_LOG_KEEP:,}")
        return value

    @field_validator("upload_retention_hours", "session_lifetime_hours", "feed_delay_hours")
    @classmethod
    def _within_ten_years(cls, value: int) -> int:
        # A date this far on still exists: past it, sign-ins and spool clean-ups failed (date overflow).
        if value > MAX_HOURS:
            raise ValueError(f"must be at most {MAX_HOURS} hours (ten years)")
        return value

    @field_validator("harvest_stale_after")
    @classmethod
    def _within_a_day(cls, value: int) -> int:
        # Past it, the scheduler died at each start (``timedelta`` overflow), restarted forever.
        if value > MAX_WAIT_SECONDS:
            raise ValueError(f"must be at most {MAX_WAIT_SECONDS} seconds (a day)")
        return value

    @field_validator("ready_max_index_lag")
    @classmethod
    def _within_the_kept_log(cls, value: int) -> int:
        # A lag past what the change log keeps means nothing; past 64 bits every /readyz was a 500.
        if value > MAX_CHANGE_LOG_KEEP:
            raise ValueError(f"must be at most {MAX_CHANGE_LOG_KEEP:,}")
        return value

    @field_validator(
        "max_json_bytes",
        "max_resources_per_dataset",
        "max_upload_bytes",
        "harvest_max_bytes",
        "harvest_max_items",
    )
    @classmethod
    def _within_64_bits(cls, value: int | None) -> int | None:
        # Sizes are shown in answers (JSON stops at 64 bits) and compared with stored counts.
        if value is not None and value > MAX_SIZE:
            raise ValueError(f"must be at most {MAX_SIZE}")
        return value

    @field_validator("linkcheck_interval")
    @classmethod
    def _within_a_year(cls, value: int) -> int:
        if value > MAX_LINKCHECK_SECONDS:
            raise ValueError(f"must be at most {MAX_LINKCHECK_SECONDS} seconds (a year)")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_KEY_LENGTH} characters long (e.g. python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return value

    @field_validator("smtp_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError("must be a TCP port (1 to 65535)")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"must be an email address, got {value!r}")
        return value

    @field_validator("linkcheck_timeout", "harvest_timeout")
    @classmethod
    def _positive_seconds(cls, value: float) -> float:
        if not 0 < value <= MAX_WAIT_SECONDS:  # NaN fails both
            raise ValueError(f"must be a positive number of seconds, at most {MAX_WAIT_SECONDS} (a day)")
        return value

    @field_validator("harvest_delay")
    @classmethod
    def _pause(cls, value: float) -> float:
        if not 0 <= value <= MAX_WAIT_SECONDS:  # NaN fails both
            raise ValueError(f"must be a number of seconds from 0 to {MAX_WAIT_SECONDS} (a day)")
        return value

    @field_validator("database_lock_timeout")
    @classmethod
    def _lock_wait_within_reason(cls, value: float) -> float:
        if not 0 <= value <= 3600:
            raise ValueError("must be between 0 (no bound) and 3,600 seconds")
        return value

    @field_validator("database_pool_size")
    @classmethod
    def _pool_within_reason(cls, value: int) -> int:
        if not 1 <= value <= MAX_POOL_SIZE:
            raise ValueError(f"must be between 1 and {MAX_POOL_SIZE:,}")
        return value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        # Path("") is the current directory: an empty value would scatter the data there.
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a directory (unset, it is ./var)")
        return value

    @field_validator("storage_url")
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("s3://"):
            raise ValueError("must be an s3://bucket/prefix URL (or unset for local files)")
        if value is not None and not value.removeprefix("s3://").split("/", 1)[0]:
            raise ValueError("must name a bucket: s3://bucket or s3://bucket/prefix")
        prefix = "" if value is None else value.removeprefix("s3://").partition("/")[2].strip("/")
        # The prefix leads every object's key and URL: a ``..`` in it broke every download link
        # (clients resolve it away), other characters would need encoding in them.
        if prefix and (
            not _PREFIX_FOLDERS.fullmatch(prefix)
            or any(folder in (".", "..") for folder in prefix.split("/"))
        ):
            raise ValueError(
                "its prefix must be folders of letters, digits, '.', '_' or '-' (no '.' or '..')"
            )
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        # boto3 refuses anything else when the store is made ("Invalid endpoint"), naming no setting.
        if value is not None and not (value.startswith(("http://", "https://")) and value.split("://", 1)[1]):
            raise ValueError("must be an http:// or https:// URL (or unset for AWS)")
        return value

    @field_validator("site_title")
    @classmethod
    def _titled(cls, value: str) -> str:
        # The catalog's name on every page, feed and DCAT catalog: an empty one named nothing.
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("schema_catalog_url", "s3_public_url")
    @classmethod
    def _fetched_url(cls, value: str | None) -> str | None:
        # Read at the first request otherwise: "not a url" served 500s (urllib's "unknown url
        # type"), and resources' links would have been built on it.
        if value is not None:
            _site_url(value.split("?", 1)[0])  # a query is the catalog's business
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if value and not value.startswith(
            ("sqlite://", "postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            # Only the scheme is shown: the rest may hold a password.
            shown = f"the scheme {value.partition('://')[0]!r}" if "://" in value else "no URL scheme"
            raise ValueError(f"must be a sqlite:///path or postgresql://user@host/name URL, got {shown}")
        return value

    @field_validator("smtp_host")
    @classmethod
    def _host_name(cls, value: str | None) -> str | None:
        # A host name or an IP address: "bad host" failed only at the first password reset, in
        # front of the person asking.
        if value is not None and not _is_host(value):
            raise ValueError(f"must be a host name or an IP address, got {value!r}")
        return value

    @field_validator("allowed_extensions", mode="before")
    @classmethod
    def _extensions(cls, value: Any) -> Any:
        if isinstance(value, str):
            found = tuple(item.strip().lower().lstrip(".") for item in value.split(",") if item.strip())
            return found or None
        return value

    @field_validator("dcat_themes", mode="before")
    @classmethod
    def _themes(cls, value: Any) -> Any:
        return _themes(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _default_database(self) -> "Settings":
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{(self.data_dir / 'opencat.db').resolve()}")
        return self


EU_DATA_THEMES = frozenset(
    [
        "AGRI",
        "ECON",
        "EDUC",
        "ENER",
        "ENVI",
        "GOVE",
        "HEAL",
        "INTR",
        "JUST",
        "OP_DATPRO",
        "REGI",
        "SOCI",
        "TECH",
        "TRAN",
    ]
)


def _themes(raw: str) -> tuple[tuple[str, str], ...]:
    """``tag:THEME,tag:THEME``: which dataset tags stand for which EU data theme (dcat:theme)."""
    pairs = []
    for item in raw.split(","):
        if not item.strip():
            continue
        tag, _, theme = item.strip().partition(":")
        if not tag or theme.strip().upper() not in EU_DATA_THEMES:
            raise ValueError(f"must be tag:THEME pairs, THEME one of {', '.join(sorted(EU_DATA_THEMES))}")
        pairs.append((tag.strip(), theme.strip().upper()))
    return tuple(pairs)
