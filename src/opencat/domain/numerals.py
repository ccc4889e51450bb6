"""Whole numbers written by clients: ASCII digits only."""

# Python refuses to read longer numbers from text (sys.int_max_str_digits, 4300 by default): a
# ValueError, a 500 for a page=999… of 5,000 digits. No number a client sends is near as long.
MAX_DIGITS = 1000
# What MongoDB's 64-bit integers hold (udata's IntField): a size, a status.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def is_digits(text: str) -> bool:
    """Whether ``int(text)`` reads ``text`` as written: ASCII digits, nothing else, and not more
    than ``MAX_DIGITS``. ``str.isdigit`` also holds for "²" or "①", which ``int`` refuses (a 500
    where a 400 or a default was meant)."""
    return len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def whole_number(value: object) -> int | None:
    """A count or size as udata stores it (an integer); exports and hand-made documents also give
    it as text (``"12"``) or a float: anything else is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and is_digits(value.strip()):
        return int(value.strip())
    return None
