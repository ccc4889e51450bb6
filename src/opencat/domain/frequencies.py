"""udata's 40 update frequencies, their legacy aliases and the period each one promises."""

from datetime import timedelta

_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)

# Declaration order is the order of GET /datasets/frequencies/ (udata: udata/core/dataset/constants.py, UpdateFrequency).
PERIODS: dict[str, timedelta | None] = {
    "continuous": None,
    "oneMinute": _MINUTE,
    "fiveMinutes": 5 * _MINUTE,
    "tenMinutes": 10 * _MINUTE,
    "fifteenMinutes": 15 * _MINUTE,
    "thirtyMinutes": 30 * _MINUTE,
    "hourly": _HOUR,
    "bihourly": 2 * _HOUR,
    "trihourly": 3 * _HOUR,
    "twelveHours": 12 * _HOUR,
    "severalTimesADay": _DAY,
    "threeTimesADay": _DAY,
    "semidaily": _DAY,
    "daily": _DAY,
    "fiveTimesAWeek": 7 * _DAY,
    "threeTimesAWeek": 7 * _DAY,
    "semiweekly": 7 * _DAY,
    "weekly": 7 * _DAY,
    "biweekly": 14 * _DAY,
    "threeTimesAMonth": 31 * _DAY,
    "semimonthly": 31 * _DAY,
    "monthly": 31 * _DAY,
    "bimonthly": 62 * _DAY,
    "quarterly": 93 * _DAY,
    "threeTimesAYear": 365 * _DAY,
    "semiannual": 365 * _DAY,
    "annual": 365 * _DAY,
    "biennial": 730 * _DAY,
    "triennial": 1095 * _DAY,
    "quadrennial": 1460 * _DAY,
    "quinquennial": 1825 * _DAY,
    "decennial": 3650 * _DAY,
    "bidecennial": 7300 * _DAY,
    "tridecennial": 10950 * _DAY,
    "punctual": None,
    "irregular": None,
    "never": None,
    "notPlanned": None,
    "other": None,
    "unknown": None,
}

# Legacy ids still accepted on input; ``fortnighly`` is spelled as in udata.
ALIASES = {
    "realtime": "continuous",
    "fourTimesADay": "severalTimesADay",
    "fourTimesAWeek": "other",
    "fortnighly": "biweekly",
    "biannual": "semiannual",
}

UNKNOWN = "unknown"


def normalize_frequency(value: str) -> str:
    """The current id for ``value``; ValueError when it is not one (the API words it as udata)."""
    if value in PERIODS:
        return value
    if value in ALIASES:
        return ALIASES[value]
    raise ValueError(f"no update frequency: {value!r}")
