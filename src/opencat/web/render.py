"""Templates and the helpers they use: one Jinja environment per language, autoescaped."""

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any, cast

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, get_group_symbol
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from opencat.catalog.accounts import API_KEY_NAME_MAX
from opencat.domain.datasets import (
    ACRONYM_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    FORMAT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)
from opencat.domain.dates import utc_now
from opencat.web.i18n import field_label, license_title, translations
from opencat.web.markdown import plain_text

# No script runs on these pages; styles and images come only from this server. JSON-LD blocks are
# data, not scripts: a CSP does not apply to them.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The pages that need a script (a dataset's files page) run this site's scripts and call this site.
SCRIPTED_CSP = CSP.replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';"
)
# French counts bytes in octets.
# The history records dates and times as ISO text (``2026-12-05T17:48:34.058000+00:00``).
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?")
LIMITS = {
    "title": TITLE_MAX_LENGTH,
    "acronym": ACRONYM_MAX_LENGTH,
    "description": DESCRIPTION_MAX_LENGTH,
    "format": FORMAT_MAX_LENGTH,
    "key_name": API_KEY_NAME_MAX,
}
_UNITS = {"en": ("B", "kB", "MB", "GB", "TB"), "fr": ("o", "ko", "Mo", "Go", "To")}


def file_size(size: int | None, language: str) -> str:
    """Decimal units, as file managers show them: 1 500 000 bytes is 1.5 MB."""
    if size is None:
        return ""
    units = _UNITS.get(language, _UNITS["en"])
    value = float(size)
    unit = 0
    while value >= 1000 and unit < len(units) - 1:
        value /= 1000
        unit += 1
    shown = format_decimal(value, format="#,##0" if unit == 0 else "#,##0.#", locale=language)
    return f"{shown}\u00a0{units[unit]}"


_WEB = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)
# A host written without its scheme (``www.datainfogreffe.fr``, as imported records hold).
_BARE_HOST = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?:[/?#]\S*)?", re.IGNORECASE)


def web_link(value: object) -> str | None:
    """A website as a link: an http(s) URL as it is, a bare host with ``https://``, anything else
    (a relative path, ``javascript:``) none: the page would have linked to a path of its own."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if _WEB.fullmatch(value):
        return value
    return f"https://{value}" if _BARE_HOST.fullmatch(value) else None


# Unicode's explicit direction controls: embeddings, overrides and isolates, opened or closed.
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def isolated(value: Any) -> Any:
    """A text holding direction controls between an isolate's marks (FSI ... PDI), which end what
    it opened: a title's right-to-left override (U+202E) turned the sentence around it (the
    heading's closing quote and words, the tab's " · opencat"). Other values as they are."""
    if isinstance(value, str) and _DIRECTION_CONTROLS.search(value):
        opened, closed = "\u2068", "\u2069"
        return (
            Markup(opened) + value + Markup(closed) if isinstance(value, Markup) else opened + value + closed
        )
    return value


# A French word starting with a vowel sound takes "d'" (U+2019), not "de" ("Membres d'ADEME"). An
# initial h is left alone: whether it elides depends on the word (l'hôpital, le hameau); a y only
# before a consonant (d'Yves, de Yaoundé).
_ELIDED_DE = "d\u2019"
_FRENCH_VOWEL = re.compile(r"[AEIOUÀÂÄÆÉÈÊËÎÏÔŒÖÙÛÜaeiouàâäæéèêëîïôœöùûü]|[Yy](?![aeiouyéèêAEIOUYÉÈÊ])")


def elided(sentence: str, marks: Mapping[str, str], values: Mapping[str, Any]) -> str:
    """A French sentence whose values stand as ``marks`` (by name), each put in its place, the
    "de" written before one that starts with a vowel elided: only the "de" before the value's
    place, never a "de" of the value's own text or of another value's."""
    text = str(sentence)
    for name, mark in marks.items():  # every "de" first, while no value's text is in place
        if _FRENCH_VOWEL.match(str(values[name]).removeprefix("\u2068")):
            text = re.sub(r"(?<![^\s(])de " + re.escape(mark), _ELIDED_DE + mark, text)
    for name, mark in marks.items():
        value = values[name]
        text = text.replace(mark, str(escape(value)) if isinstance(sentence, Markup) else str(value))
    return type(sentence)(text) if isinstance(sentence, Markup) else text


def _sentences(function: Callable[..., str], language: str) -> Callable[..., str]:
    """The pages' gettext: the values it puts in a sentence isolated (``isolated``), and French's
    "de" elided before them (``elided``)."""

    @pass_context
    def call(context: Context, *args: Any, **variables: Any) -> str:
        values = {name: isolated(value) for name, value in variables.items()}
        if language != "fr":
            return function(context, *args, **values)
        # Each text value first stands as a mark no sentence holds, so that the "de" before its
        # place is told from a "de" inside a value.
        marks = {
            name: f"\x00{index}\x00" for index, name in enumerate(values) if isinstance(values[name], str)
        }
        return elided(function(context, *args, **{**values, **marks}), marks, values)

    return call


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("opencat.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    for name in ("gettext", "ngettext"):
        env.globals[name] = _sentences(cast(Callable[..., str], env.globals[name]), language)
    env.filters["isolate"] = isolated
    env.filters["date"] = lambda value: _date(value, language)
    env.filters["datetime"] = lambda value: _datetime(value, language)
    env.filters["number"] = _numbers(language)
    env.filters["about"] = _estimates(env.filters["number"])
    env.filters["filesize"] = lambda value: file_size(value, language)
    env.filters["plain"] = plain_text
    # A dataset's update date as its page and the lists' order read it (``last_update``).
    env.filters["updated"] = lambda view: view.last_update(utc_now())
    env.filters["web_link"] = web_link
    env.filters["change_value"] = lambda value, field=None, names=None: change_value(
        value, language, field, names
    )
    env.filters["license_title"] = lambda title: license_title(title, language)
    env.filters["field_label"] = lambda name: field_label(name, language)
    # A list of resource ids as their titles (the history's order of files), unknown ids as they are.
    env.filters["titled"] = lambda ids, titles: (
        [titles.get(i, i) for i in ids] if isinstance(ids, list) else ids
    )
    env.globals["lang"] = language
    # The forms' bounds are the domain's, which the API applies: a copy in a template drifts.
    env.globals["limits"] = LIMITS
    return env


def _numbers(language: str) -> Callable[[Any], str]:
    """Babel's numbers; whole numbers (the counts, dozens a page) by the locale's grouping symbol
    directly, read once: format_decimal parses its locale and pattern on every call."""
    group = get_group_symbol(language)

    def number(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}".replace(",", group)
        return format_decimal(value, locale=language)

    return number


def _estimates(number: Callable[[Any], str]) -> Callable[[int], str]:
    """An estimated count (facets counted on a sample): two significant digits, after "≈"."""

    def about(value: int) -> str:
        digits = len(str(abs(value)))
        return f"≈\u202f{number(round(value, 2 - digits) if digits > 2 else value)}"

    return about


def _date(value: date | datetime | None, language: str) -> str:
    if value is None:
        return ""
    return _long_date(value.date() if isinstance(value, datetime) else value, language)


@lru_cache(maxsize=4096)
def _long_date(day: date, language: str) -> str:
    """A day in words, written once per language: Babel finds the locale and its pattern on
    every call, a twentieth of a search page's rendering (some 40 dates, often the same days)."""
    said = format_date(day, "long", locale=language)
    # French says the first of a month "1er" (Babel's long pattern writes "1").
    return f"1er{said[1:]}" if language == "fr" and day.day == 1 and said.startswith("1 ") else said


def _datetime(value: datetime | None, language: str) -> str:
    if value is None:
        return ""
    # The server does not know the visitor's time zone: the time says which one it is in.
    return f"{format_datetime(value, 'medium', tzinfo=value.tzinfo, locale=language)} UTC"


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def change_value(
    value: Any, language: str, field: str | None = None, names: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """A value of a dataset's history as the page's language says it: yes or no, a date and time
    in words, a license, frequency, owner or organization by its name (``names``: by field, id to
    name), a coverage as its dates or zones; anything else as it was recorded."""
    named = (names or {}).get(field or "")
    if named is not None and isinstance(value, str):
        return named.get(value, value)
    if named is not None and isinstance(value, list):  # contact points by their ids, badges by kind
        return ", ".join(_named_item(item, named) for item in value)
    if isinstance(value, dict) and set(value) <= {"start", "end"} and "start" in value:  # a period
        start, end = (_day_of(value.get(name), language) for name in ("start", "end"))
        return f"{start} \u2013 {end}" if end else f"{start} \u2013"
    if isinstance(value, dict) and set(value) <= {"zones", "granularity", "geom"}:  # a coverage
        zone_names = (names or {}).get("zones", {})
        zones = ", ".join(zone_names.get(str(zone), str(zone)) for zone in value.get("zones") or ())
        drawn = translations(language).gettext("a drawn area") if value.get("geom") else ""
        granularity = value.get("granularity")
        level = (
            (names or {}).get("granularity", {}).get(str(granularity), str(granularity))
            if granularity
            else ""
        )
        return " ; ".join(part for part in (zones, drawn, level) if part)
    if isinstance(value, bool):
        gettext = translations(language).gettext
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        try:
            return _datetime(datetime.fromisoformat(value), language)
        except ValueError:
            return value
    if isinstance(value, dict) and set(value) == {"type", "value"}:  # a checksum
        return f"{value['value']} ({value['type']})"
    if isinstance(value, list):  # tags, badges (their kinds), the files' order
        return ", ".join(
            str(item["kind"]) if isinstance(item, dict) and "kind" in item else change_value(item, language)
            for item in value
        )
    if isinstance(value, dict):  # extras, a schema: its keys and values, not Python's spelling
        return "; ".join(f"{key}: {change_value(item, language)}" for key, item in value.items())
    return str(value)


def _named_item(item: Any, named: Mapping[str, str]) -> str:
    """An id (a contact point's) or a badge (its kind) of a list the history names."""
    if isinstance(item, dict) and "kind" in item:
        item = item["kind"]
    return named.get(item, str(item)) if isinstance(item, str) else str(item)


def _day_of(value: Any, language: str) -> str:
    """An ISO day of the history (a coverage's bound) in words; anything else as it is."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return _long_date(date.fromisoformat(value), language)
        except ValueError:  # shaped like a day, but none ("2020-13-45", an imported entry): as it is
            return value
    return "" if value is None else str(value)


def render(language: str, template: str, **context: Any) -> str:
    return environment(language).get_template(template).render(**context)
