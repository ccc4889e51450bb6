"""A real S3 protocol server on loopback (moto's standalone server), for the S3 store's tests and
the system tests (a pytest plugin of tests/conftest.py)."""

import json
import os
import uuid
from collections.abc import Iterator

import pytest

from tests.ports import free_port

BUCKET = "opencat-test"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=BUCKET)
    # Resource URLs are public downloads: deployments give the bucket a public-read policy.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    yield endpoint
    server.stop()


@pytest.fixture
def s3_prefix() -> str:
    """A fresh prefix per test, so that tests never see each other's objects."""
    return f"t-{uuid.uuid4().hex[:12]}"
