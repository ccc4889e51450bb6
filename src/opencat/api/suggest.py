"""Handlers of the suggestion endpoints (udata: udata/core/dataset/api.py, suggest)."""

from typing import Any

from opencat.api import answer_reads
from opencat.api.answer_reads import ANY_DATASET
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.api.params import Argument, first, integer, integer_argument, invalid_argument, positive_int
from opencat.catalog import suggest as use_cases
from opencat.catalog.suggest import Suggestion
from opencat.domain.search import AnswerReads

MAX_SIZE = 100
Q_HELP = "The string to autocomplete/suggest"
SIZE_HELP = "The amount of suggestion to fetch"
SUGGEST_ARGUMENTS = (
    Argument("q", {"type": "string"}, Q_HELP, required=True),
    integer_argument("size", SIZE_HELP, 10, MAX_SIZE),
)


def _arguments(call: Call) -> tuple[str, int]:
    text = first(call.params, "q")
    if text is None:
        raise invalid_argument("q", f"{Q_HELP} Missing required parameter in the query string")
    return text, _size(call, 10)


def _size(call: Call, default: int) -> int:
    """udata's ``type=int``: what is no integer is refused in Python's words; the bounds are ours."""
    integer(call.params, "size", default, SIZE_HELP)
    return positive_int(call.params, "size", default, SIZE_HELP, MAX_SIZE)


def _item(call: Call, suggestion: Suggestion) -> dict[str, Any]:
    dataset = suggestion.dataset
    image = None
    if suggestion.organization is not None:
        image = suggestion.organization.logo_thumbnail
    elif suggestion.owner is not None:
        image = suggestion.owner.avatar_thumbnail
    return {
        "id": dataset.id,
        "title": dataset.title,
        "acronym": dataset.acronym,
        "slug": dataset.slug,
        "image_url": image,
        "page": call.urls.dataset_page(dataset.slug),
    }


@describe(
    "Datasets whose title or acronym contains q, most followed first",
    "suggest_datasets",
    returns="DatasetSuggestionList",
    query=SUGGEST_ARGUMENTS,
)
def suggest_datasets(call: Call) -> Reply:
    text, size = _arguments(call)
    answer_reads.note(call, ANY_DATASET)
    return Reply([_item(call, item) for item in use_cases.suggest_datasets(call.catalog, text, size)])


@describe(
    "File formats containing q",
    "suggest_formats",
    returns="TextSuggestionList",
    query=SUGGEST_ARGUMENTS,
    masked=False,
)
def suggest_formats(call: Call) -> Reply:
    text, size = _arguments(call)
    answer_reads.note(call, ANY_DATASET)
    return Reply([{"text": item} for item in use_cases.suggest_formats(call.catalog, text, size)])


@describe(
    "MIME types containing q",
    "suggest_mime",
    returns="TextSuggestionList",
    query=SUGGEST_ARGUMENTS,
    masked=False,
)
def suggest_mimes(call: Call) -> Reply:
    text, size = _arguments(call)
    answer_reads.note(call, AnswerReads(frozenset()))  # reference data only
    return Reply([{"text": item} for item in use_cases.suggest_mimes(text, size)])


@describe(
    "Organizations whose name or acronym contains q, most followed first",
    "suggest_organizations",
    returns="OrganizationSuggestionList",
    query=SUGGEST_ARGUMENTS,
)
def suggest_organizations(call: Call) -> Reply:
    text, size = _arguments(call)
    return Reply(
        [
            {
                "id": org.id,
                "name": org.name,
                "acronym": org.acronym,
                "slug": org.slug,
                # udata's ImageField(size=100): the logo's 100-pixel thumbnail (the logo itself
                # when no thumbnail is known).
                "image_url": org.logo_thumbnail or org.logo,
                "page": call.urls.organization_page(org.slug),
            }
            for org in use_cases.suggest_organizations(call.catalog, text, size)
        ]
    )


TAG_ARGUMENTS = (
    Argument("q", {"type": "string"}, Q_HELP, required=True),
    integer_argument("size", SIZE_HELP, 8, MAX_SIZE),
)


@describe(
    "Tags of public datasets containing q, most used first",
    "suggest_tags",
    returns="TextSuggestionList",
    query=TAG_ARGUMENTS,
    masked=False,  # udata answers the list as it is: no marshalling, so no mask
)
def suggest_tags(call: Call) -> Reply:
    text = first(call.params, "q")
    if text is None:
        raise invalid_argument("q", f"{Q_HELP} Missing required parameter in the query string")
    size = _size(call, 8)
    return Reply([{"text": tag} for tag in use_cases.suggest_tags(call.catalog, text, size)])


@describe(
    "Zones whose name contains q or whose code or id starts with it, most populated first",
    "suggest_zones",
    returns="TerritorySuggestionList",
    query=SUGGEST_ARGUMENTS,
)
def suggest_zones(call: Call) -> Reply:
    text, size = _arguments(call)
    zones = use_cases.suggest_zones(call.catalog, text, size)
    return Reply(
        [{"id": z.id, "name": z.name, "code": z.code, "level": z.level, "uri": z.uri} for z in zones]
    )
