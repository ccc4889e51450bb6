"""Settings: declared once, read once from the environment, passed as an argument."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "OPENCAT_"


_LOG_FORMATS = ("plain", "json")
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    """Every field is documented in docs/configuration.md (a test checks it)."""

    data_dir: Path = field(default_factory=lambda: Path("var"))
    database_url: str = ""
    # Connections each worker keeps open, and the request threads it runs at once.
    database_pool_size: int = 10
    base_url: str = "http://127.0.0.1:8000"
    front_url: str | None = None
    max_json_bytes: int = 10 * 1024 * 1024
    max_resources_per_dataset: int = 10_000
    default_language: str = "en"
    storage_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_public_url: str | None = None
    s3_region: str | None = None
    max_upload_bytes: int = 10 * 1024**3
    upload_retention_hours: int = 24
    allowed_extensions: tuple[str, ...] | None = None
    linkcheck_timeout: float = 5.0
    linkcheck_allow_private: bool = False
    linkcheck_interval: int = 300
    schema_catalog_url: str | None = None
    feed_delay_hours: int = 10
    site_title: str = "opencat"
    dcat_themes: tuple[tuple[str, str], ...] = ()
    log_format: str = "plain"
    log_level: str = "info"
    ready_max_index_lag: int = 10_000

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{(self.data_dir / 'opencat.db').resolve()}")
        if not self.base_url.startswith(("http://", "https://")):
            raise SettingsError(f"{PREFIX}BASE_URL must be an http:// or https:// URL, got {self.base_url!r}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.front_url is not None:
            object.__setattr__(self, "front_url", self.front_url.rstrip("/") or None)
        if self.default_language not in ("en", "fr"):
            raise SettingsError(f"{PREFIX}DEFAULT_LANGUAGE must be 'en' or 'fr'")
        if self.feed_delay_hours < 0:
            raise SettingsError(f"{PREFIX}FEED_DELAY_HOURS must not be negative")
        if self.linkcheck_interval < 0:
            raise SettingsError(f"{PREFIX}LINKCHECK_INTERVAL must not be negative")
        for name in (
            "database_pool_size",
            "max_json_bytes",
            "max_resources_per_dataset",
            "max_upload_bytes",
            "upload_retention_hours",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be a positive integer")
        if not self.linkcheck_timeout > 0:
            raise SettingsError(f"{PREFIX}LINKCHECK_TIMEOUT must be a positive number of seconds")
        self._check_operations()
        if self.storage_url is not None and not self.storage_url.startswith("s3://"):
            raise SettingsError(
                f"{PREFIX}STORAGE_URL must be an s3://bucket/prefix URL (or unset for local files)"
            )

    def _check_operations(self) -> None:
        for name, allowed in (("log_format", _LOG_FORMATS), ("log_level", _LOG_LEVELS)):
            value = getattr(self, name).strip().lower()
            if value not in allowed:
                raise SettingsError(
                    f"{PREFIX}{name.upper()} must be one of {', '.join(allowed)}, got {value!r}"
                )
            object.__setattr__(self, name, value)
        if self.ready_max_index_lag < 0:
            raise SettingsError(f"{PREFIX}READY_MAX_INDEX_LAG must not be negative")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Settings":
        values: dict[str, object] = {}
        if f"{PREFIX}DATA_DIR" in environ:
            values["data_dir"] = Path(environ[f"{PREFIX}DATA_DIR"])
        for name in ("database_url", "base_url", "default_language", "site_title"):
            if f"{PREFIX}{name.upper()}" in environ:
                values[name] = environ[f"{PREFIX}{name.upper()}"]
        for name in (
            "front_url",
            "storage_url",
            "s3_endpoint_url",
            "s3_public_url",
            "s3_region",
            "schema_catalog_url",
            "log_format",
            "log_level",
        ):
            if environ.get(f"{PREFIX}{name.upper()}"):
                values[name] = environ[f"{PREFIX}{name.upper()}"]
        for name in (
            "database_pool_size",
            "max_json_bytes",
            "max_resources_per_dataset",
            "max_upload_bytes",
            "upload_retention_hours",
            "feed_delay_hours",
            "linkcheck_interval",
            "ready_max_index_lag",
        ):
            if f"{PREFIX}{name.upper()}" in environ:
                values[name] = _integer(name.upper(), environ[f"{PREFIX}{name.upper()}"])
        if f"{PREFIX}LINKCHECK_TIMEOUT" in environ:
            values["linkcheck_timeout"] = _number("LINKCHECK_TIMEOUT", environ[f"{PREFIX}LINKCHECK_TIMEOUT"])
        if f"{PREFIX}LINKCHECK_ALLOW_PRIVATE" in environ:
            values["linkcheck_allow_private"] = _flag(
                "LINKCHECK_ALLOW_PRIVATE", environ[f"{PREFIX}LINKCHECK_ALLOW_PRIVATE"]
            )
        if environ.get(f"{PREFIX}DCAT_THEMES"):
            values["dcat_themes"] = _themes(environ[f"{PREFIX}DCAT_THEMES"])
        if environ.get(f"{PREFIX}ALLOWED_EXTENSIONS"):
            raw = environ[f"{PREFIX}ALLOWED_EXTENSIONS"]
            values["allowed_extensions"] = tuple(
                item.strip().lower().lstrip(".") for item in raw.split(",") if item.strip()
            )
        return cls(**values)  # type: ignore[arg-type]


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a number, got {raw!r}") from None


def _flag(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")


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
        tag, _, theme = item.strip().partition(":")
        if not tag or theme.strip().upper() not in EU_DATA_THEMES:
            raise SettingsError(
                f"{PREFIX}DCAT_THEMES must be tag:THEME pairs, THEME one of {', '.join(sorted(EU_DATA_THEMES))}"
            )
        pairs.append((tag.strip(), theme.strip().upper()))
    return tuple(pairs)
