"""Whole numbers written by clients: ASCII digits only."""


def is_digits(text: str) -> bool:
    """Whether ``int(text)`` reads ``text`` as written: ASCII digits, nothing else. ``str.isdigit``
    also holds for "²" or "①", which ``int`` refuses (a 500 where a 400 or a default was meant)."""
    return text.isascii() and text.isdigit()


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
