# ruff: noqa: RUF001, RUF002, RUF003  (a table of look-alike characters, on purpose)
"""Unicode to ASCII, for slugs, file names and search folding.

udata transliterates with Unidecode (GPL); we get the same output on the Latin script and the
punctuation of French titles from the standard library: NFKD splits the accents off (é → e + ´),
we drop them, and a small table of our own covers what NFKD cannot decompose (ß, æ, œ, ø, the
typographic quotes and dashes, a few symbols). Other scripts (Greek, Cyrillic, CJK...) go through
anyascii (ISC). Symbols outside the table, emoji among them, are dropped, as Unidecode drops them.
"""

import unicodedata
from functools import cache

from anyascii import anyascii

# What NFKD leaves non-ASCII (or turns into something else than udata's output).
_TABLE = {
    # Latin letters without a decomposition.
    "ß": "ss", "ẞ": "Ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ł": "l", "Ł": "L",
    "ħ": "h", "Ħ": "H", "ı": "i", "ŋ": "ng", "Ŋ": "NG", "ŧ": "t", "Ŧ": "T", "ĸ": "k",
    "ƒ": "f", "ſ": "s", "µ": "u",
    # Quotes, apostrophes, dashes: an apostrophe stays one, so "l’eau" slugs as "l'eau" does.
    "‘": "'", "’": "'", "‚": ",", "‛": "'", "′": "'", "´": "'",
    "“": '"', "”": '"', "„": ",,", "‟": '"', "″": "''", "¨": '"',
    "«": "<<", "»": ">>", "‹": "<", "›": ">",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "--", "―": "--", "˗": "-", "−": "-", "¯": "-",
    "•": "*", "·": "*", "‣": "*>", "►": ">", "→": "-", "…": "...", "¸": ",",
    "¡": "!", "¿": "?", "§": "SS", "¶": "P", "†": "+", "‡": "++", "¦": "|", "¬": "!",
    # Spaces and invisible marks.
    "\u00a0": " ", "\u200b": " ", "\u2028": "\n", "\u2029": "\n", "\u00ad": "", "\ufeff": "",
    # Symbols that read as words or numbers.
    "€": "EUR", "£": "PS", "¥": "Y=", "¢": "C/", "°": "deg", "℃": "degC", "℉": "degF",
    "©": "(c)", "®": "(r)", "℗": "(p)", "™": "(tm)", "№": "No. ", "‰": "%0", "‱": "%00",
    "×": "x", "÷": "/", "±": "+-", "⁄": "/",
    "¼": " 1/4", "½": " 1/2", "¾": " 3/4", "⅓": " 1/3 ", "⅔": " 2/3 ",
    "🆕": "[NEW]",
}  # fmt: skip


def to_ascii(text: str) -> str:
    """``text`` in ASCII, character by character (no context, as Unidecode does)."""
    if text.isascii():
        return text
    return "".join(map(_character, text))


@cache
def _character(char: str) -> str:
    if char.isascii():
        return char
    if char in _TABLE:
        return _TABLE[char]
    bare = "".join(part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part))
    if bare.isascii():
        return bare
    if unicodedata.category(char)[0] in "LN":  # a letter or digit of another script
        return anyascii(char)
    return ""
