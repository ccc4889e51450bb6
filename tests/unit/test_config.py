"""Settings read from OPENCAT_* variables, and their documentation (docs/configuration.md)."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from opencat.config import PREFIX, Settings, SettingsError

CONFIGURATION_DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"

# One raw value per setting, and what it becomes; a new setting must be added here.
EVERY_VARIABLE = {
    "data_dir": ("/srv/opencat", Path("/srv/opencat")),
    "database_url": ("postgresql://opencat@db:5432/opencat", "postgresql://opencat@db:5432/opencat"),
    "database_pool_size": ("25", 25),
    "database_lock_timeout": ("2.5", 2.5),
    "read_only": ("true", True),
    "base_url": ("https://data.example.org/", "https://data.example.org"),
    "front_url": ("https://www.example.org/", "https://www.example.org"),
    "max_json_bytes": ("2048", 2048),
    "max_resources_per_dataset": ("500", 500),
    "default_language": ("fr", "fr"),
    "storage_url": ("s3://bucket/prefix", "s3://bucket/prefix"),
    "s3_endpoint_url": ("http://minio:9000", "http://minio:9000"),
    "s3_public_url": ("https://files.example.org", "https://files.example.org"),
    "s3_region": ("eu-west-3", "eu-west-3"),
    "max_upload_bytes": ("1048576", 1048576),
    "upload_retention_hours": ("2", 2),
    "change_log_keep": ("50000", 50_000),
    "allowed_extensions": (" CSV, .json ,zip ", ("csv", "json", "zip")),
    "linkcheck_timeout": ("2.5", 2.5),
    "linkcheck_allow_private": ("true", True),
    "linkcheck_interval": ("60", 60),
    "schema_catalog_url": (
        "https://schema.example.org/schemas.json",
        "https://schema.example.org/schemas.json",
    ),
    "feed_delay_hours": ("0", 0),
    "site_title": ("data.example.org", "data.example.org"),
    "dcat_themes": ("transport:TRAN, sante:heal", (("transport", "TRAN"), ("sante", "HEAL"))),
    "log_format": (" JSON", "json"),
    "log_level": ("Warning", "warning"),
    "ready_max_index_lag": ("50", 50),
    "secret_key": ("k" * 40, "k" * 40),
    "session_lifetime_hours": ("8", 8),
    "trust_forwarded_for": ("true", True),
    "smtp_host": ("smtp.example.org", "smtp.example.org"),
    "smtp_port": ("25", 25),
    "smtp_user": ("catalog", "catalog"),
    "smtp_password": ("s3cret", "s3cret"),
    "smtp_starttls": ("false", False),
    "smtp_from": ("catalog@example.org", "catalog@example.org"),
    "harvest_delete_gone": ("true", True),
    "harvest_allow_private": ("yes", True),
    "harvest_timeout": ("12.5", 12.5),
    "harvest_max_bytes": ("1000000", 1_000_000),
    "harvest_delay": ("0.5", 0.5),
    "harvest_stale_after": ("30", 30),
    "harvest_max_items": ("5000", 5000),
    "harvest_scheduler": ("false", False),
}


def variable(name: str) -> str:
    return f"{PREFIX}{name.upper()}"


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir == Path("var")
    assert settings.database_url == f"sqlite:///{(Path('var') / 'opencat.db').resolve()}"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.front_url is None
    assert settings.max_json_bytes == 10 * 1024 * 1024
    assert settings.default_language == "en"


def test_from_env_reads_every_variable() -> None:
    assert set(EVERY_VARIABLE) == set(Settings.model_fields)
    environ = {variable(name): raw for name, (raw, _) in EVERY_VARIABLE.items()}
    settings = Settings.from_env(environ)
    for name, (_, expected) in EVERY_VARIABLE.items():
        assert getattr(settings, name) == expected, name


@pytest.mark.parametrize("name", sorted(EVERY_VARIABLE))
def test_each_variable_is_read_on_its_own(name: str) -> None:
    raw, expected = EVERY_VARIABLE[name]
    assert getattr(Settings.from_env({variable(name): raw}), name) == expected
    assert getattr(Settings.from_env({}), name) != expected


def test_variables_without_the_prefix_are_ignored() -> None:
    assert Settings.from_env(
        {"DATA_DIR": "/elsewhere", "opencat_base_url": "http://x.org"}
    ) == Settings.from_env({})


def test_default_database_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({variable("data_dir"): str(tmp_path)})
    assert settings.database_url == f"sqlite:///{(tmp_path / 'opencat.db').resolve()}"


def test_default_database_url_is_absolute_for_a_relative_data_dir() -> None:
    settings = Settings.from_env({variable("data_dir"): "relative/dir"})
    assert settings.database_url == f"sqlite:///{Path('relative/dir/opencat.db').resolve()}"
    assert Path(settings.database_url.removeprefix("sqlite:///")).is_absolute()


def test_explicit_database_url_wins_over_the_data_dir() -> None:
    settings = Settings.from_env(
        {variable("data_dir"): "/srv/opencat", variable("database_url"): "sqlite:////tmp/other.db"}
    )
    assert settings.database_url == "sqlite:////tmp/other.db"


def test_empty_front_url_means_no_front() -> None:
    assert Settings.from_env({variable("front_url"): ""}).front_url is None


@pytest.mark.parametrize("raw", ["abc", "1.5", "", "10MB"])
def test_max_json_bytes_must_be_an_integer(raw: str) -> None:
    with pytest.raises(SettingsError, match="OPENCAT_MAX_JSON_BYTES must be an integer"):
        Settings.from_env({variable("max_json_bytes"): raw})


@pytest.mark.parametrize("raw", ["0", "-1"])
def test_max_json_bytes_must_be_positive(raw: str) -> None:
    with pytest.raises(SettingsError, match="OPENCAT_MAX_JSON_BYTES"):
        Settings.from_env({variable("max_json_bytes"): raw})


@pytest.mark.parametrize("raw", ["0", "-1"])
def test_max_resources_per_dataset_must_be_positive(raw: str) -> None:
    with pytest.raises(SettingsError, match="OPENCAT_MAX_RESOURCES_PER_DATASET"):
        Settings.from_env({variable("max_resources_per_dataset"): raw})


@pytest.mark.parametrize("raw", ["0", "-1", "many"])
def test_harvest_max_items_is_a_positive_integer_or_unset(raw: str) -> None:
    with pytest.raises(SettingsError, match="OPENCAT_HARVEST_MAX_ITEMS must be"):
        Settings.from_env({variable("harvest_max_items"): raw})
    assert Settings.from_env({variable("harvest_max_items"): ""}).harvest_max_items is None


def test_max_resources_per_dataset_defaults_to_ten_thousand() -> None:
    assert Settings.from_env({}).max_resources_per_dataset == 10_000


@pytest.mark.parametrize("raw", ["de", "FR", "", "en-US"])
def test_default_language_must_be_en_or_fr(raw: str) -> None:
    with pytest.raises(SettingsError, match="OPENCAT_DEFAULT_LANGUAGE"):
        Settings.from_env({variable("default_language"): raw})


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(ValidationError, match="frozen"):
        settings.base_url = "http://other"  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_settings_are_documented(name: str) -> None:
    documentation = CONFIGURATION_DOC.read_text("utf-8")
    assert f"`{name}`" in documentation
    assert f"`{variable(name)}`" in documentation


def test_documented_variables_exist() -> None:
    documented = set(re.findall(r"`(OPENCAT_[A-Z0-9_]+)`", CONFIGURATION_DOC.read_text("utf-8")))
    known = {variable(name) for name in Settings.model_fields}
    # OPENCAT_INDEX_KEEPER_PID: set by ``serve`` for its workers, documented beside the settings.
    assert documented - {"OPENCAT_TEST_POSTGRES_URL", "OPENCAT_TEST_RUN", "OPENCAT_INDEX_KEEPER_PID"} == known


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("log_format", "xml"),
        ("log_level", "verbose"),
        ("ready_max_index_lag", "-1"),
        # boto3 said "Invalid endpoint: notaurl" (exit 1, no setting named); a bucket-less URL served
        ("s3_endpoint_url", "notaurl"),
        ("s3_endpoint_url", "http://"),
        ("storage_url", "s3://"),
        ("storage_url", "s3:///prefix"),
        # objects under ``../x/…``: every download URL pointed where clients resolve it away
        ("storage_url", "s3://bucket/../x"),
        ("storage_url", "s3://bucket/a/./b"),
        ("storage_url", "s3://bucket/a b"),
        # read at the first request: every schema list and schema write was a 500
        ("schema_catalog_url", "not a url"),
        ("schema_catalog_url", "ftp://schema.example.org/schemas.json"),
        ("s3_public_url", "not a url"),
        ("site_title", " "),
    ],
)
def test_operations_settings_refuse_what_they_cannot_mean(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=variable(name)):
        Settings.from_env({variable(name): raw})


def test_a_storage_prefix_of_folders_is_kept() -> None:
    for url in ("s3://bucket", "s3://bucket/", "s3://bucket/prod/files.v2/", "s3://bucket/a_b-c"):
        assert Settings.from_env({"OPENCAT_STORAGE_URL": url}).storage_url == url


def test_fetched_urls_keep_their_query() -> None:
    url = "https://schema.example.org/schemas.json?v=2"
    assert Settings.from_env({"OPENCAT_SCHEMA_CATALOG_URL": url}).schema_catalog_url == url


def test_a_short_secret_key_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="OPENCAT_SECRET_KEY must be at least 32 characters"):
        Settings.from_env({"OPENCAT_SECRET_KEY": "short"})
    with pytest.raises(SettingsError, match="OPENCAT_SESSION_LIFETIME_HOURS must be a positive integer"):
        Settings.from_env({"OPENCAT_SESSION_LIFETIME_HOURS": "0"})


def test_smtp_settings_refuse_what_they_cannot_mean() -> None:
    with pytest.raises(SettingsError, match="OPENCAT_SMTP_PORT must be a TCP port"):
        Settings.from_env({"OPENCAT_SMTP_PORT": "70000"})
    with pytest.raises(SettingsError, match="OPENCAT_SMTP_FROM must be an email address"):
        Settings.from_env({"OPENCAT_SMTP_FROM": "catalog"})
    assert Settings.from_env({"OPENCAT_SMTP_HOST": ""}).smtp_host is None
    # Accepted, it failed only at the first password reset, in front of the person asking.
    with pytest.raises(SettingsError, match="OPENCAT_SMTP_HOST must be a host name or an IP address"):
        Settings.from_env({"OPENCAT_SMTP_HOST": "bad host"})
    for wrong in ("[::1]", "abc:25", "smtp.example.org:587"):  # smtplib takes no brackets, no port
        with pytest.raises(SettingsError, match="OPENCAT_SMTP_HOST"):
            Settings.from_env({"OPENCAT_SMTP_HOST": wrong})
    for host in ("smtp.example.org", "localhost", "127.0.0.1", "::1", "fe80::1"):
        assert Settings.from_env({"OPENCAT_SMTP_HOST": host}).smtp_host == host


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("upload_retention_hours", "99999999999999999999"),
        ("session_lifetime_hours", "1000000000"),
        ("feed_delay_hours", "87601"),
        ("linkcheck_interval", "31536001"),
    ],
)
def test_durations_are_bounded(name: str, raw: str) -> None:
    """Past a date that exists, sign-ins answered 500 and serve's workers died at start (and a
    number too large for C was a traceback): one line at start instead."""
    with pytest.raises(SettingsError, match=f"{variable(name)} must be at most"):
        Settings.from_env({variable(name): raw})


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("harvest_timeout", "inf"),
        ("harvest_timeout", "1e12"),
        ("linkcheck_timeout", "inf"),
        ("linkcheck_timeout", "nan"),
        ("harvest_delay", "1e400"),
        ("harvest_delay", "nan"),
        ("harvest_delay", "-1"),
        ("database_pool_size", "1000000"),
        ("database_lock_timeout", "-1"),
        ("database_lock_timeout", "nan"),
        ("database_lock_timeout", "86400"),
        ("data_dir", ""),
        ("data_dir", "  "),
    ],
)
def test_waits_pools_and_the_data_directory_refuse_what_cannot_work(name: str, raw: str) -> None:
    """An infinite timeout passed the check and overflowed the clock at its first use (a 500 on
    a link check, a harvest's traceback); an empty data directory put the data in the current one."""
    with pytest.raises(SettingsError, match=variable(name)):
        Settings.from_env({variable(name): raw})


def test_a_pool_size_out_of_bounds_says_its_range() -> None:
    for raw in ("0", "-3", "1001"):
        with pytest.raises(SettingsError, match="must be between 1 and 1,000"):
            Settings.from_env({variable("database_pool_size"): raw})


def test_waits_within_bounds_are_kept() -> None:
    settings = Settings.from_env({variable("harvest_timeout"): "86400", variable("harvest_delay"): "0"})
    assert (settings.harvest_timeout, settings.harvest_delay) == (86_400, 0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OPENCAT_READY_MAX_INDEX_LAG", "100000000000000000000000"),
        ("OPENCAT_HARVEST_STALE_AFTER", "1000000000000000"),
        ("OPENCAT_MAX_UPLOAD_BYTES", str(2**63)),
        ("OPENCAT_HARVEST_MAX_ITEMS", str(2**64)),
    ],
)
def test_numbers_past_what_they_can_mean_are_refused_at_start(name: str, value: str) -> None:
    """Accepted, the first made every /readyz a 500 (JSON stops at 64 bits), the second killed
    the harvest scheduler at each of its starts (a ``timedelta`` overflow)."""
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
