"""Schemathesis against the real server: every documented operation, with generated requests, must
answer no 5xx and only the statuses, content types and bodies the OpenAPI document declares.

Bounded for CI (a few examples per operation, no shrinking). The server is this module's own, on a
throwaway database: writes run with a sysadmin's key, and path parameters get, besides generated
values, examples naming objects that exist (so that 200 answers are checked, not only 404s).
"""

import contextlib
import os
import re
from typing import Any

import httpx2
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.system.conftest import Deployment

# Valid requests per operation, and half as many invalid ones; deeper by hand with
# TEST_FUZZ_EXAMPLES=30 pytest tests/system/test_openapi_fuzz.py (a 30-example run found nothing more).
EXAMPLES_PER_OPERATION = int(os.environ.get("TEST_FUZZ_EXAMPLES", "4"))
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed(deployment: Deployment) -> dict[str, str]:
    """One dataset with a remote resource, an uploaded file and a community resource."""
    headers = deployment.admin.headers
    with httpx2.Client(base_url=deployment.url, headers=headers, timeout=30) as http:
        made = http.post(
            "/api/1/datasets/",
            json={
                "title": "Horaires des bus",
                "description": "Les horaires",
                "tags": ["transport"],
                "resources": [
                    {"title": "Timetable", "url": "https://example.org/bus.csv", "filetype": "remote"}
                ],
            },
        )
        assert made.status_code == 201, made.text
        dataset = made.json()
        upload = http.post(
            f"/api/1/datasets/{dataset['id']}/upload/", files={"file": ("stops.csv", b"id,name\n1,Gare\n")}
        )
        assert upload.status_code == 201, upload.text
        community = http.post(
            "/api/1/datasets/community_resources/",
            json={
                "title": "Cleaned",
                "url": "https://example.org/c.csv",
                "filetype": "remote",
                "dataset": {"id": dataset["id"]},
            },
        )
        assert community.status_code == 201, community.text
        # A harvest source (unreachable: its jobs fail at once) and one of its jobs.
        source = http.post(
            "/api/1/harvest/sources/",
            json={
                "name": "Remote",
                "url": "https://harvest.invalid/",
                "backend": "udata",
                "owner": deployment.admin.id,
            },
        )
        assert source.status_code == 201, source.text
        run = http.post(f"/api/1/harvest/source/{source.json()['id']}/run/")
        assert run.status_code == 200, run.text
    return {
        "source": source.json()["id"],
        "job": run.json()["last_job"]["id"],
        "ident": dataset["id"],
        "rid": dataset["resources"][0]["id"],
        "community": community.json()["id"],
        "key": upload.json()["url"].split("/resources/", 1)[1],
        "format": "ttl",
        "id": "fr:commune:13055",
        "ids": "fr:departement:13,country:fr",
        "badge_kind": "spd",
    }


def _fuzzable(document: dict[str, Any], existing: dict[str, str], admin: str) -> dict[str, Any]:
    """The served document with examples of existing objects; X-Fields is left out, since a mask
    drops fields by design and the schemas would then miss their required ones."""
    for path, operations in document["paths"].items():
        for operation in operations.values():
            parameters = [p for p in operation["parameters"] if p["name"] != "X-Fields"]
            for parameter in parameters:
                if parameter["in"] == "path" and parameter["name"] in existing:
                    value = existing[parameter["name"]]
                    if path.startswith(("/api/1/organizations/", "/api/1/users/")):
                        value = admin if path.startswith("/api/1/users/") else value
                    parameter["example"] = value
            operation["parameters"] = parameters
    return document


def _fuzz(operation: Any, deployment: Deployment, mode: GenerationMode) -> None:
    """Hypothesis drives one operation; the first failing case raises with its reproduction."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION
        if mode is GenerationMode.POSITIVE
        else EXAMPLES_PER_OPERATION // 2,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        # A header with control characters is not HTTP: the server's HTTP layer refuses it first.
        assume(all(_FIELD_VALUE.fullmatch(str(value)) for value in (case.headers or {}).values()))
        headers = deployment.admin.headers if case.method != "GET" else {}
        case.call_and_validate(base_url=deployment.url, headers=headers, checks=_CHECKS, timeout=30)

    with contextlib.suppress(Unsatisfiable):  # nothing of it can be made invalid (no argument, no body)
        run()


def _modes(described: dict[str, Any]) -> tuple[GenerationMode, ...]:
    """Invalid requests only where there is something to make invalid besides a free-form string
    (a query argument or a body): elsewhere Hypothesis would search in vain."""
    negatable = "requestBody" in described or any(p["in"] == "query" for p in described["parameters"])
    return (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if negatable else (GenerationMode.POSITIVE,)


def test_the_server_answers_as_documented(deployment: Deployment) -> None:
    existing = _seed(deployment)
    document = httpx2.get(f"{deployment.url}/api/1/swagger.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(_fuzzable(document, existing, deployment.admin.id))
    failures: list[str] = []
    operations = 0
    # Deletions last, so that the other operations still find the seeded objects.
    ordered = sorted(
        (result.ok() for result in schema.get_all_operations()), key=lambda op: op.method == "DELETE"
    )
    for operation in ordered:
        operations += 1
        for mode in _modes(document["paths"][operation.path][operation.method.lower()]):
            try:
                _fuzz(operation, deployment, mode)
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # schemathesis' FailureGroup is a BaseExceptionGroup
                failures.append(f"{operation.label} ({mode.value}): {error}")  # all are reported
    assert operations >= 60
    assert not failures, "\n\n".join(failures)
