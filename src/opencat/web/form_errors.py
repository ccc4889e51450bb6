"""The API's error messages in the page's language.

The forms are checked by the API's own parsing and use cases, which say each problem in udata's
English words (api/wording.py, api/bodies.py). A page shows them through gettext: fixed messages
are looked up as they are, and those that carry a value (a length, a tag, a zone) are matched by a
pattern and said again with that value, so that the French page never shows an English error."""

import re
from collections.abc import Callable

Gettext = Callable[[str], str]

# English messages with a variable part, and the gettext string that says each.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"Field cannot be longer than (?P<maximum>\d+) characters\."),
        "Field cannot be longer than %(maximum)s characters.",
    ),
    (
        re.compile(
            r'Tag "(?P<tag>.*)" must be between (?P<minimum>\d+) and (?P<maximum>\d+) characters long\.'
        ),
        "Tag “%(tag)s” must be between %(minimum)s and %(maximum)s characters long.",
    ),
    (
        re.compile(r"(?P<value>.*) is not a valid UpdateFrequency"),
        "%(value)s is not a valid update frequency.",
    ),
    (
        re.compile(r"Unknown geoid\(s\): (?P<zones>.*) and (?P<more>\d+) more"),
        "Unknown zone(s): %(zones)s and %(more)s more",
    ),
    (re.compile(r"Unknown geoid\(s\): (?P<zones>.*)"), "Unknown zone(s): %(zones)s"),
    (re.compile(r"At most (?P<limit>\d+) zones are allowed"), "At most %(limit)s zones are allowed."),
    (re.compile(r"At most (?P<limit>\d+) tags are allowed"), "At most %(limit)s tags are allowed."),
    (
        re.compile(r"A dataset cannot have more than (?P<limit>\d+) resources\."),
        "A dataset cannot have more than %(limit)s files.",
    ),
    (re.compile(r"Unsupported identifier: (?P<value>.*)"), "Unsupported identifier: %(value)s"),
    # api/urlcheck.py's refusals of a link
    (
        re.compile(r'Invalid URL "(?P<url>.*)": Invalid scheme (?P<scheme>[^,]*), allowed schemes: .*'),
        "The address “%(url)s” is refused: its scheme %(scheme)s is not allowed.",
    ),
    (
        re.compile(r'Invalid URL "(?P<url>.*)": is a local URL'),
        "The address “%(url)s” is refused: it is a local address.",
    ),
    (
        re.compile(r'Invalid URL "(?P<url>.*)": (?:is a private URL|\S+ is a (?:multicast|mask) IP)'),
        "The address “%(url)s” is refused: it is a private address.",
    ),
    (
        re.compile(r'Invalid URL "(?P<url>.*)": Invalid TLD .*'),
        "The address “%(url)s” is refused: its domain is not valid.",
    ),
    (re.compile(r'Invalid URL "(?P<url>.*)"'), "The address “%(url)s” is not valid."),
)


def in_language(text: str, gettext: Gettext) -> str:
    """``text`` (an English message of the API) as the page says it."""
    for pattern, wording in _PATTERNS:
        found = pattern.fullmatch(text)
        if found is not None:
            translated = gettext(wording)
            # Untranslated (English): the API's own words, as they were.
            return text if translated == wording else translated % found.groupdict()
    return gettext(text)
