"""The pages' pure helpers: languages, sizes, script-safe JSON, the search state in the URL."""

from datetime import date
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import opencat.web
from opencat.web import i18n
from opencat.web.query import dataset_query, read_state
from opencat.web.render import change_value, file_size, render


def test_the_language_is_the_query_then_the_cookie_then_the_header() -> None:
    assert i18n.choose("en", "fr", "fr") == "en"
    assert i18n.choose("de", "en", "fr") == "en"
    assert i18n.choose(None, "xx", "de-DE, en-GB;q=0.8, fr;q=0.9") == "fr"
    assert i18n.choose(None, None, "en;q=0, de") == "fr"  # refused English, unknown German: default
    assert i18n.choose(None, None, "EN-us") == "en"
    assert i18n.choose(None, None, "fr;q=abc, en;q=0.5") == "en"


def test_every_message_of_the_templates_has_its_french_translation() -> None:
    source = Path(opencat.web.__file__).parent
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {
        "**/templates/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "True",
            "lstrip_blocks": "True",
        }
    }
    found = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(source), method_map, options)
    }
    assert len(found) > 90
    with (source / "locale/fr/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string and all(m.string)
    }
    assert found - translated == set()


def test_the_french_catalog_is_compiled_with_its_plurals() -> None:
    catalog = i18n.translations("fr")
    assert catalog.gettext("Datasets") == "Jeux de données"
    assert catalog.ngettext("%(num)s dataset", "%(num)s datasets", 2) == "%(num)s jeux de données"
    assert catalog.ngettext("%(num)s dataset", "%(num)s datasets", 1) == "%(num)s jeu de données"


def test_sizes_are_in_the_language_s_units() -> None:
    assert file_size(73, "en") == "73\u00a0B"
    assert file_size(1_500_000, "en") == "1.5\u00a0MB"
    assert file_size(1_500_000, "fr") == "1,5\u00a0Mo"
    assert file_size(None, "fr") == ""


def test_templates_escape_what_they_are_given() -> None:
    html = render(
        "en", "not_found.html", visit=type("V", (), {"switch": {"fr": "/?x=<", "en": "/"}})(), path="/"
    )
    assert 'href="/?x=&lt;"' in html


def test_the_search_state_builds_urls_that_toggle_a_facet() -> None:
    state = read_state([("q", "air"), ("tag", "a"), ("page", "3"), ("unknown", "x"), ("format", " ")])
    assert state.page == 3
    assert state.toggled("/datasets/", "tag", "b") == "/datasets/?q=air&tag=a&tag=b"
    assert state.toggled("/datasets/", "tag", "a") == "/datasets/?q=air"
    assert state.toggled("/datasets/", "license", "lov2") == "/datasets/?q=air&tag=a&license=lov2"
    assert state.url("/datasets/", page=("4",)) == "/datasets/?q=air&tag=a&page=4"


def test_the_search_state_becomes_the_use_case_s_query() -> None:
    state = read_state(
        [
            ("tag", "a"),
            ("badge", "nope"),
            ("sort", "-created"),
            ("page", "0"),
            ("temporal_start", "2020-01-01"),
        ]
    )
    query = dataset_query(state)
    assert query.filters.tags == ("a",)
    assert query.filters.badge is None
    assert query.sort == "-created"
    assert query.page == 1
    assert query.filters.period == (date(2020, 1, 1), date(9999, 12, 31))
    assert dataset_query(read_state([("sort", "title")])).sort is None
    assert dataset_query(read_state([("temporal_end", "2020-02-30")])).filters.coverage is None


def test_numbers_are_grouped_as_babel_groups_them() -> None:
    from babel.numbers import format_decimal

    from opencat.web.render import environment

    for language in ("fr", "en"):
        number = environment(language).filters["number"]
        for value in (0, 7, 1234, -98765, 1_234_567, 1.5):
            assert number(value) == format_decimal(value, locale=language), (language, value)
    assert environment("fr").filters["number"](1_000_000) == "1\u202f000\u202f000"


def test_badges_are_named_in_the_page_s_language() -> None:
    assert i18n.badge_label("spd", "en") == "Reference data public service"
    assert i18n.badge_label("spd", "fr") == "Service public de la donnée de référence"
    assert i18n.badge_label("hvd", "fr") == "Données de forte valeur"
    assert i18n.badge_label("unknown-kind", "fr") == "unknown-kind"


def test_days_are_written_in_each_page_s_language_as_babel_writes_them() -> None:
    """Days are remembered once written: each language keeps its own, and a datetime gives its day."""
    from datetime import UTC, datetime

    from babel.dates import format_date

    from opencat.web.render import _date

    day = date(2026, 12, 4)
    for _ in range(2):  # written, then remembered
        assert _date(day, "fr") == "4 décembre 2026" == format_date(day, "long", locale="fr")
        assert _date(day, "en") == "December 4, 2026" == format_date(day, "long", locale="en")
    assert _date(datetime(2026, 12, 4, 23, 30, tzinfo=UTC), "fr") == "4 décembre 2026"
    assert _date(None, "en") == ""


def test_history_values_are_said_not_dumped() -> None:
    """A checksum, badges and lists showed as Python's reprs (``{'type': 'sha1', ...}``)."""
    assert change_value({"type": "sha1", "value": "ab12"}, "en") == "ab12 (sha1)"
    assert change_value([{"kind": "spd", "created": "2026-12-05T10:00:00+00:00"}], "fr") == "spd"
    # A coverage in words; a bound shaped like a day but none is shown as it is, not a 500.
    assert change_value({"start": "2020-01-01", "end": None}, "fr") == "1er janvier 2020 \u2013"
    assert (
        change_value({"start": "2020-13-45", "end": "2021-02-03"}, "en")
        == "2020-13-45 \u2013 February 3, 2021"
    )
    assert change_value(["eau", "air"], "en") == "eau, air"
    assert change_value([True, False], "fr") == "oui, non"
    assert change_value([], "en") == ""
    # Badges and a coverage's granularity as the page's header and sidebar say them (they showed
    # their codes: "spd", "country").
    names = {
        "badges": {"spd": "Service public de la donnée de référence"},
        "granularity": {"country": "Pays"},
    }
    badges = [{"kind": "spd", "created": "2026-12-05T10:00:00+00:00"}, {"kind": "new-kind"}]
    assert change_value(badges, "fr", "badges", names) == "Service public de la donnée de référence, new-kind"
    coverage = {"zones": ["country:fr"], "granularity": "country"}
    assert (
        change_value(coverage, "fr", "spatial", {**names, "zones": {"country:fr": "France"}})
        == "France ; Pays"
    )
    assert change_value({"zones": [], "granularity": "odd"}, "fr", "spatial", names) == "odd"


def test_history_fields_are_named_as_the_forms_label_them() -> None:
    assert i18n.field_label("contact_points", "fr") == "Points de contact"
    assert i18n.field_label("owner_id", "en") == "Owner"  # entries recorded before the API's names
    assert i18n.field_label("extras", "fr") == "extras"  # no label: the stored name
