"""X-Fields masks: flask-restx 1.3 syntax and semantics (udata: flask-restx masks)."""

from typing import Any

import pytest

from opencat.api.masks import Mask, apply_mask, parse_mask
from opencat.domain.errors import BadRequest

DATASET: dict[str, Any] = {
    "id": "5f2a6b3c4d5e6f7a8b9c0d1e",
    "title": "Horaires des bus",
    "slug": "horaires-des-bus",
    "owner": {"id": "5f2a6b3c4d5e6f7a8b9c0d1f", "slug": "alice-martin", "first_name": "Alice"},
    "organization": None,
    "resources": [
        {"id": "r-1", "title": "Lignes", "format": "csv"},
        {"id": "r-2", "title": "Notice", "format": "pdf"},
    ],
    "tags": ["bus", "transport"],
    "extras": {"check:available": True, "analysis:parsing:parsing_table": "t1"},
    "quality": {"license": True, "score": 0.5},
}

PAGE: dict[str, Any] = {
    "data": [DATASET, DATASET],
    "page": 1,
    "page_size": 20,
    "total": 2,
    "next_page": None,
    "previous_page": None,
}


def masked(data: Any, mask: str) -> Any:
    return apply_mask(data, parse_mask(mask))


def test_mask_selects_fields_and_nested_fields_of_objects_and_lists() -> None:
    assert masked(DATASET, "id,title,owner{slug},resources{id}") == {
        "id": DATASET["id"],
        "title": "Horaires des bus",
        "owner": {"slug": "alice-martin"},
        "resources": [{"id": "r-1"}, {"id": "r-2"}],
    }


def test_outer_braces_are_optional() -> None:
    assert parse_mask("{id,title}") == parse_mask("id,title")
    assert masked(DATASET, "{id,owner{slug}}") == {"id": DATASET["id"], "owner": {"slug": "alice-martin"}}


def test_spaces_between_tokens_are_ignored() -> None:
    assert masked(DATASET, " id , owner { slug } ") == {
        "id": DATASET["id"],
        "owner": {"slug": "alice-martin"},
    }


def test_result_keys_follow_the_mask_order() -> None:
    assert list(masked(DATASET, "title,id,slug")) == ["title", "id", "slug"]


def test_star_keeps_every_remaining_field() -> None:
    assert masked(DATASET, "*") == DATASET
    assert masked(DATASET, "title,*") == DATASET
    starred = masked(DATASET, "owner{slug},*")
    assert starred["owner"] == {"slug": "alice-martin"}
    assert {key: value for key, value in starred.items() if key != "owner"} == {
        key: value for key, value in DATASET.items() if key != "owner"
    }


def test_nested_selection_with_star_keeps_the_envelope() -> None:
    assert masked(PAGE, "data{id},*") == {
        "data": [{"id": DATASET["id"]}, {"id": DATASET["id"]}],
        "page": 1,
        "page_size": 20,
        "total": 2,
        "next_page": None,
        "previous_page": None,
    }


def test_nested_selection_without_star_drops_the_envelope() -> None:
    assert masked(PAGE, "data{id,title}") == {
        "data": [{"id": DATASET["id"], "title": "Horaires des bus"}] * 2
    }


def test_star_inside_braces_keeps_the_whole_nested_object() -> None:
    assert masked(DATASET, "owner{*}") == {"owner": DATASET["owner"]}
    assert masked(PAGE, "data{owner{slug},*},total")["data"][0] == {
        **DATASET,
        "owner": {"slug": "alice-martin"},
    }


def test_unknown_names_are_skipped() -> None:
    assert masked(DATASET, "id,no_such_field,owner{nope,slug}") == {
        "id": DATASET["id"],
        "owner": {"slug": "alice-martin"},
    }
    assert masked(DATASET, "nothing{at,all}") == {}


def test_nested_field_selected_without_braces_is_rendered_whole() -> None:
    assert masked(DATASET, "owner,resources") == {
        "owner": DATASET["owner"],
        "resources": DATASET["resources"],
    }


def test_empty_braces_render_the_nested_field_whole() -> None:
    """flask-restx tests a nested mask's truth: an empty one keeps the whole object."""
    assert masked(DATASET, "id,owner{}") == {"id": DATASET["id"], "owner": DATASET["owner"]}


def test_names_may_hold_colons_and_dashes() -> None:
    assert masked(DATASET, "extras{check:available}") == {"extras": {"check:available": True}}
    assert masked({"a-b": 1, "c": 2}, "a-b") == {"a-b": 1}


def test_braces_on_a_null_value_give_null() -> None:
    assert masked(DATASET, "organization{id,name}") == {"organization": None}


def test_deeply_nested_masks() -> None:
    data = {"a": {"b": {"c": 1, "d": 2}, "e": 3}, "f": 4}
    assert parse_mask("a{b{c}}") == Mask({"a": Mask({"b": Mask({"c": None})})})
    assert masked(data, "a{b{c}},f") == {"a": {"b": {"c": 1}}, "f": 4}


def test_a_mask_applies_to_every_item_of_a_list() -> None:
    assert masked([DATASET, {"id": "other", "title": "T"}], "id") == [{"id": DATASET["id"]}, {"id": "other"}]
    assert masked([], "id") == []


def test_mask_does_not_change_its_input() -> None:
    before = repr(DATASET)
    masked(DATASET, "owner{slug},resources{id}")
    assert repr(DATASET) == before


@pytest.mark.parametrize("mask", ["title{x}", "quality{score{x}}", "resources{title{x}}"])
def test_braces_on_a_scalar_field_is_a_mask_error(mask: str) -> None:
    with pytest.raises(BadRequest) as raised:
        masked(DATASET, mask)
    assert raised.value.message.startswith("Mask error")


@pytest.mark.parametrize(
    "mask",
    [
        "id{title",  # missing closing bracket
        "owner{slug{id}",
        "id}",  # unbalanced closing bracket
        "id,owner}",
        "owner{slug}}",
        ",id",  # leading comma
        "id,,title",
        "owner{,slug}",
        "{id",  # outer brace never closed
        "id,{title}",  # opening bracket without a name
        "{}{id}",
        "owner{{slug}}",
    ],
)
def test_parse_errors(mask: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_mask(mask)
    assert raised.value.message.startswith("Mask parse error")


def test_trailing_comma_at_top_level_is_accepted() -> None:
    assert masked(DATASET, "id,") == {"id": DATASET["id"]}


def test_trailing_comma_inside_braces_is_accepted() -> None:
    assert masked(DATASET, "owner{slug,}") == {"owner": {"slug": "alice-martin"}}
