"""Request ids: which ones a client may choose, and what replaces the others."""

import re

import pytest

from opencat.ops.request_ids import MAX_LENGTH, request_id_of, sanitized

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "raw",
    [
        "abc-123",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "dGVzdA==",
        "req_1.2:3/4@host~x+y",
        "a" * MAX_LENGTH,
    ],
)
def test_sane_ids_are_kept_as_sent(raw: str) -> None:
    assert sanitized(raw) == raw


@pytest.mark.parametrize(
    "raw",
    [None, "", "a" * (MAX_LENGTH + 1), "two words", "line\nbreak", 'quo"te', "tab\t", "é", "<script>", "a;b"],
)
def test_other_ids_are_refused(raw: str | None) -> None:
    assert sanitized(raw) is None


def test_the_header_is_read_whatever_its_case() -> None:
    assert request_id_of([(b"accept", b"*/*"), (b"X-Request-ID", b"abc-123")]) == "abc-123"


def test_the_first_header_wins() -> None:
    assert request_id_of([(b"x-request-id", b"first"), (b"x-request-id", b"second")]) == "first"


def test_a_missing_or_insane_id_is_replaced_by_a_new_one() -> None:
    made = [request_id_of([]) for _ in range(3)] + [
        request_id_of([(b"x-request-id", b"b d")]) for _ in range(3)
    ]
    assert all(GENERATED.fullmatch(item) for item in made)
    assert len(set(made)) == len(made)  # never one id for two requests
