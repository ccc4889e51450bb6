"""udata's wording lives in api/ only: below it, errors are typed and carry reasons, and api/ words
them as udata does (docs/compatibility.md)."""

import re
from pathlib import Path

import pytest

from opencat.api.wording import UPLOAD_REFUSALS, WORDS, upload_refusal
from opencat.domain.errors import Reason, UploadProblem, UploadRefused

SOURCE = Path(__file__).resolve().parents[2] / "src" / "opencat"
BELOW_THE_API = ("catalog", "domain", "db", "files", "search", "links", "dcat")

# The answers to uploads: udata's sentences (udata: udata/core/storages/api.py) and ours in the same shape.
UPLOAD_SENTENCES = [
    "Missing file parameter",
    "Chunk size mismatch",
    "This file type is not allowed",
    "The allowed file type list is available",
    "Incorrect file content type",
    "Missing or invalid uuid parameter",
    "Unknown upload uuid",
    "This uuid belongs to another upload",
    "Missing parts",
    "totalparts must be at most",
    "totalparts does not match",
    "partindex must be between",
    "Checksum mismatch",
    "The file is larger than the configured maximum",
    "Invalid multipart data",
    "The upload was cut short",
]


def _sources(*packages: str) -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for package in packages
        for path in sorted((SOURCE / package).rglob("*.py"))
    }


@pytest.mark.parametrize("sentence", UPLOAD_SENTENCES)
def test_upload_answers_are_worded_in_the_api_only(sentence: str) -> None:
    assert any(sentence in text for text in _sources("api").values()), "api/ words it"
    holders = [
        path.relative_to(SOURCE) for path, text in _sources(*BELOW_THE_API).items() if sentence in text
    ]
    assert holders == []


def test_every_upload_problem_has_its_words() -> None:
    assert set(UPLOAD_REFUSALS) == set(UploadProblem)
    worded = {problem: upload_refusal(UploadRefused(problem, missing=[1, 2])) for problem in UploadProblem}
    assert worded[UploadProblem.MISSING_PARTS] == "Missing parts: [1, 2]"
    assert all(worded.values())


def _fixed_parts(wording: str) -> list[str]:
    """The literal stretches of a wording, long enough to be recognised anywhere."""
    return [part.strip() for part in re.split(r"\{[^}]*\}", wording) if len(part.strip()) >= 12]


CATALOG_SENTENCES = sorted({part for wording in WORDS.values() for part in _fixed_parts(wording)})


@pytest.mark.parametrize("sentence", CATALOG_SENTENCES)
def test_the_catalogs_reasons_are_worded_in_the_api_only(sentence: str) -> None:
    holders = [
        path.relative_to(SOURCE) for path, text in _sources(*BELOW_THE_API).items() if sentence in text
    ]
    assert holders == []


def test_every_reason_has_its_words() -> None:
    assert set(WORDS) == set(Reason)
