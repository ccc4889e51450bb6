"""Files in an S3-compatible bucket (AWS S3, MinIO, Garage, Ceph…), through boto3."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import quote, urlsplit

from opencat.domain.errors import Reason, Unavailable
from opencat.files.base import check_key

PROBE_TIMEOUT_SECONDS = 2
# The requests' own bounds: an endpoint that takes connections but never answers held an upload
# (and the dataset row its transaction locks) for boto3's 60 s times its retries, three minutes.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20
ATTEMPTS = 2


class S3FileStore:
    """``storage_url`` is ``s3://bucket/prefix``; credentials come from boto3's usual sources."""

    def __init__(
        self,
        storage_url: str,
        spool_dir: Path,
        endpoint_url: str | None = None,
        public_url: str | None = None,
        region: str | None = None,
    ) -> None:
        parts = urlsplit(storage_url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.client: Any = _client(
            endpoint_url, region, CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, ATTEMPTS
        )
        # The readiness probe's own client: an endpoint that takes connections but never answers
        # must fail /readyz in seconds, not hold it for boto3's default 60 s and retries.
        self._probe: Any = _client(endpoint_url, region, PROBE_TIMEOUT_SECONDS, PROBE_TIMEOUT_SECONDS, 1)
        base = public_url or f"{(endpoint_url or 'https://s3.amazonaws.com').rstrip('/')}/{self.bucket}"
        self.public_url = base.rstrip("/")
        self.spool_dir = spool_dir
        self.spool_dir.mkdir(parents=True, exist_ok=True)

    def _object(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, source: Path, content_type: str) -> None:
        try:
            with _reachable():
                self.client.upload_file(
                    str(source), self.bucket, self._object(key), ExtraArgs={"ContentType": content_type}
                )
        finally:
            os.unlink(source)

    def open(self, key: str) -> BinaryIO:
        """The object's body; ``FileNotFoundError`` when there is none, as the local store says."""
        from botocore.exceptions import ClientError

        try:
            with _reachable():
                response = self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from error
            raise
        return cast(BinaryIO, response["Body"])

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            with _reachable():
                self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError:
            return False
        return True

    def delete(self, key: str) -> None:
        with _reachable():
            self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def url(self, key: str) -> str:
        return f"{self.public_url}/{quote(self._object(key))}"

    def check(self) -> None:
        self._probe.head_bucket(Bucket=self.bucket)

    def local_path(self, key: str) -> Path | None:
        return None


def _client(endpoint_url: str | None, region: str | None, connect: float, read: float, attempts: int) -> Any:
    import boto3  # optional dependency: only S3 deployments need it
    from botocore.config import Config

    bounds = Config(connect_timeout=connect, read_timeout=read, retries={"total_max_attempts": attempts})
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=bounds)


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    """The store not answering (refused, reset, timed out, or its own 5xx) is ``Unavailable``:
    a 503 with ``Retry-After``, as for the database, rather than a 500."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as error:
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if status >= 500:
            raise Unavailable(Reason.FILE_STORE_UNAVAILABLE) from error
        raise
    except (BotoCoreError, S3UploadFailedError) as error:
        raise Unavailable(Reason.FILE_STORE_UNAVAILABLE) from error
