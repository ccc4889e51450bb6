"""The catalog assembled from the settings: what the app, the CLI, the index keeper and the
harvest scheduler share. Nothing of the web stack is imported here, so that a CLI command or a
helper process does not load the API and the pages (about a second of imports) to reach the use
cases."""

from datetime import timedelta
from urllib.parse import urlsplit

from opencat.catalog.context import Catalog
from opencat.catalog.references import default_extensions
from opencat.catalog.schemas import SchemaSource
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.domain.uploads import UploadPolicy
from opencat.files.base import FileStore
from opencat.files.local import LocalFileStore
from opencat.files.s3 import S3FileStore
from opencat.links.checker import LinkPolicy
from opencat.mail.smtp import SmtpMailer
from opencat.search.index import SearchIndex


def make_file_store(settings: Settings) -> FileStore:
    if settings.storage_url is None:
        return LocalFileStore(settings.data_dir / "files", f"{settings.base_url}/resources")
    return S3FileStore(
        settings.storage_url,
        spool_dir=settings.data_dir / "spool",
        endpoint_url=settings.s3_endpoint_url,
        public_url=settings.s3_public_url,
        region=settings.s3_region,
    )


def build_catalog(settings: Settings, database: Database | None = None) -> Catalog:
    """Everything the use cases need, from the settings (the CLI and the app share it)."""
    extensions = settings.allowed_extensions or default_extensions()
    return Catalog(
        db=database
        or Database(settings.database_url, settings.database_pool_size, settings.database_lock_timeout),
        files=make_file_store(settings),
        uploads=UploadPolicy(settings.max_upload_bytes, tuple(extensions)),
        search=SearchIndex(settings.data_dir / "search"),
        schemas=SchemaSource(settings.schema_catalog_url, settings.data_dir / "cache" / "schemas.json"),
        upload_retention=timedelta(hours=settings.upload_retention_hours),
        max_resources=settings.max_resources_per_dataset,
        change_log_keep=settings.change_log_keep,
        read_only=settings.read_only,
        feed_delay=timedelta(hours=settings.feed_delay_hours),
        dcat_themes=dict(settings.dcat_themes),
        link_policy=LinkPolicy(
            timeout=settings.linkcheck_timeout, allow_private=settings.linkcheck_allow_private
        ),
        linkcheck_interval=timedelta(seconds=settings.linkcheck_interval),
        preview_cache=settings.data_dir / "cache" / "previews",
        session_lifetime=timedelta(hours=settings.session_lifetime_hours),
        mailer=make_mailer(settings),
    )


def make_mailer(settings: Settings) -> SmtpMailer | None:
    if settings.smtp_host is None:
        return None
    host = urlsplit(settings.base_url).hostname or "localhost"
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from or f"noreply@{host}",
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )
