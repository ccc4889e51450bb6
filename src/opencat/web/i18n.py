"""Languages of the pages: which one a request gets, and its gettext catalog (read from the .po
file at first use, so a clean ``pip install -e .`` needs no compile step)."""

from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from opencat.domain.datasets import BADGE_LABELS

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
COOKIE = "lang"


def _quality(part: str) -> tuple[str, float]:
    tag, _, params = part.strip().partition(";")
    weight = 1.0
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
    return tag.strip().lower(), weight


def from_accept_language(header: str) -> str | None:
    """The first supported language of an ``Accept-Language`` header, by weight."""
    ranked = sorted((_quality(part) for part in header.split(",") if part.strip()), key=lambda x: -x[1])
    for tag, weight in ranked:
        primary = tag.split("-")[0]
        if weight > 0 and primary in LANGUAGES:
            return primary
    return None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """``?lang=`` first, then the switch's cookie, then the browser's preference."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return str(candidate)
    return from_accept_language(accept_language or "") or DEFAULT


@cache
def translations(language: str) -> NullTranslations:
    """English is the source language: its catalog is the identity."""
    if language == "en":
        return NullTranslations()
    source = files("opencat.web").joinpath(f"locale/{language}/LC_MESSAGES/messages.po")
    with source.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


# udata's generic license titles (English in its reference list), said in the page's language; the
# others are the licenses' own names (Licence Ouverte, Creative Commons...), said as they are.
GENERIC_LICENSE_TITLES = frozenset(
    {"License Not Specified", "Other (Attribution)", "Other (Open)", "Other (Public Domain)"}
)


# The history's field names (the stored ones) as the forms label them; the others are shown as stored.
FIELD_LABELS = {
    "title": "Title",
    "slug": "Address",
    "acronym": "Acronym",
    "description": "Description",
    "tags": "Tags",
    "license": "License",
    "frequency": "Update frequency",
    "temporal_coverage": "Temporal coverage",
    "spatial": "Zones",
    "private": "Private",
    "archived": "Archived",
    "deleted": "Deleted",
    "owner": "Owner",
    "organization": "Organization",
    "contact_points": "Contact points",
    "owner_id": "Owner",  # as entries recorded before 6 December 2026 name them
    "organization_id": "Organization",
    "contact_point_ids": "Contact points",
    "badges": "Badges",
    "featured": "Featured",
    "url": "Address (URL)",
    "type": "Kind",
    "format": "Format",
    "filetype": "File or link",
    "filesize": "Size",
    "mime": "Media type",
    "checksum": "Checksum",
    "schema": "Schema",
    "resources": "Files",
}


def field_label(name: str, language: str) -> str:
    label = FIELD_LABELS.get(name)
    return translations(language).gettext(label) if label else name


def license_title(title: str, language: str) -> str:
    return translations(language).gettext(title) if title in GENERIC_LICENSE_TITLES else title


def badge_label(kind: str, language: str) -> str:
    """A badge's name in the page's language (udata's English names, translated in the catalog)."""
    label = BADGE_LABELS.get(kind)
    return translations(language).gettext(label) if label else kind
