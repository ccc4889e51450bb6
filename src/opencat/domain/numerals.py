"""Whole numbers written by clients: ASCII digits only."""


def is_digits(text: str) -> bool:
    """Whether ``int(text)`` reads ``text`` as written: ASCII digits, nothing else. ``str.isdigit``
    also holds for "²" or "①", which ``int`` refuses (a 500 where a 400 or a default was meant)."""
    return text.isascii() and text.isdigit()
