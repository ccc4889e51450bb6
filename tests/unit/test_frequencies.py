"""udata's 40 update frequencies, their legacy aliases and periods (udata: udata/core/dataset/constants.py, UpdateFrequency)."""

import json
from datetime import timedelta
from importlib.resources import files

import pytest

from opencat.api.wording import not_a_frequency
from opencat.domain.frequencies import ALIASES, PERIODS, UNKNOWN, normalize_frequency

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

# The specification's table, in its order: id, English label, period.
FREQUENCIES: list[tuple[str, str, timedelta | None]] = [
    ("continuous", "Real time", None),
    ("oneMinute", "Every minute", MINUTE),
    ("fiveMinutes", "Every five minutes", 5 * MINUTE),
    ("tenMinutes", "Every ten minutes", 10 * MINUTE),
    ("fifteenMinutes", "Every fifteen minutes", 15 * MINUTE),
    ("thirtyMinutes", "Every thirty minute", 30 * MINUTE),
    ("hourly", "Every hour", HOUR),
    ("bihourly", "Every two hours", 2 * HOUR),
    ("trihourly", "Every three hours", 3 * HOUR),
    ("twelveHours", "Every twelve hours", 12 * HOUR),
    ("severalTimesADay", "Several times a day", DAY),
    ("threeTimesADay", "Three times a day", DAY),
    ("semidaily", "Twice a day", DAY),
    ("daily", "Daily", DAY),
    ("fiveTimesAWeek", "Five times a week", 7 * DAY),
    ("threeTimesAWeek", "Three times a week", 7 * DAY),
    ("semiweekly", "Twice a week", 7 * DAY),
    ("weekly", "Weekly", 7 * DAY),
    ("biweekly", "Every two weeks", 14 * DAY),
    ("threeTimesAMonth", "Three times a month", 31 * DAY),
    ("semimonthly", "Twice a month", 31 * DAY),
    ("monthly", "Monthly", 31 * DAY),
    ("bimonthly", "Every two months", 62 * DAY),
    ("quarterly", "Quarterly", 93 * DAY),
    ("threeTimesAYear", "Three times a year", 365 * DAY),
    ("semiannual", "Twice a year", 365 * DAY),
    ("annual", "Annually", 365 * DAY),
    ("biennial", "Every two years", 730 * DAY),
    ("triennial", "Every three years", 1095 * DAY),
    ("quadrennial", "Every four years", 1460 * DAY),
    ("quinquennial", "Every five years", 1825 * DAY),
    ("decennial", "Every ten years", 3650 * DAY),
    ("bidecennial", "Every twenty years", 7300 * DAY),
    ("tridecennial", "Every thirty years", 10950 * DAY),
    ("punctual", "Punctual", None),
    ("irregular", "Irregular", None),
    ("never", "Never", None),
    ("notPlanned", "Not planned", None),
    ("other", "Other", None),
    ("unknown", "Unknown", None),
]

EXPECTED_ALIASES = {
    "realtime": "continuous",
    "fourTimesADay": "severalTimesADay",
    "fourTimesAWeek": "other",
    "fortnighly": "biweekly",
    "biannual": "semiannual",
}


def refdata(name: str) -> list[dict[str, str]]:
    data: list[dict[str, str]] = json.loads((files("opencat") / "refdata" / name).read_text("utf-8"))
    return data


def test_the_40_ids_in_order() -> None:
    assert len(FREQUENCIES) == 40
    assert list(PERIODS) == [identifier for identifier, _, _ in FREQUENCIES]


def test_periods() -> None:
    assert {identifier: period for identifier, _, period in FREQUENCIES} == PERIODS


def test_unknown_is_the_last_one() -> None:
    assert UNKNOWN == "unknown" == list(PERIODS)[-1]


def test_aliases() -> None:
    assert ALIASES == EXPECTED_ALIASES
    assert all(target in PERIODS for target in ALIASES.values())
    assert not set(ALIASES) & set(PERIODS)


@pytest.mark.parametrize("identifier", list(PERIODS))
def test_current_ids_are_kept(identifier: str) -> None:
    assert normalize_frequency(identifier) == identifier


@pytest.mark.parametrize(("alias", "identifier"), sorted(EXPECTED_ALIASES.items()))
def test_legacy_ids_become_current_ids(alias: str, identifier: str) -> None:
    assert normalize_frequency(alias) == identifier


@pytest.mark.parametrize("value", ["x", "Monthly", "fortnightly", "", " daily"])
def test_unknown_frequency_error_message(value: str) -> None:
    with pytest.raises(ValueError, match="no update frequency"):
        normalize_frequency(value)
    assert not_a_frequency(value) == f"'{value}' is not a valid UpdateFrequency"  # udata's words, in api/


def test_the_message_quotes_the_value_as_python_enum_does() -> None:
    assert not_a_frequency("it's") == """"it's" is not a valid UpdateFrequency"""


def test_reference_files_list_the_same_frequencies() -> None:
    english = refdata("frequencies.en.json")
    french = refdata("frequencies.json")
    assert [(item["id"], item["label"]) for item in english] == [(i, label) for i, label, _ in FREQUENCIES]
    assert [item["id"] for item in french] == list(PERIODS)
    assert all(item["label"] for item in french)
    aliases: dict[str, str] = json.loads(
        (files("opencat") / "refdata" / "frequency-aliases.json").read_text("utf-8")
    )
    assert aliases == EXPECTED_ALIASES
