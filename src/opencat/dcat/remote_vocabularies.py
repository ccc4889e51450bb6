"""The writer's vocabularies read backwards: EU and Dublin Core terms back to udata's codes."""

import re
from urllib.parse import unquote

from opencat.dcat.namespaces import EU_FILE_TYPE, EU_FREQUENCY, IANA_MEDIA_TYPE
from opencat.dcat.vocabularies import FILE_TYPE_FORMATS, FREQUENCIES
from opencat.domain.frequencies import ALIASES, PERIODS

# EU frequency code → udata id. Where two udata ids share a code (DAILY), the later one in
# ``FREQUENCIES`` is the plain one and wins.
_EU_FREQUENCIES = {code: udata_id for udata_id, code in FREQUENCIES.items()}
# EU codes the writer never emits but portals do.
_EU_FREQUENCIES |= {"DAILY_3": "threeTimesADay", "OP_DATPRO": "unknown", "BIMONTHLY": "bimonthly"}
_DUBLIN_CORE_FREQUENCY = "http://purl.org/cld/freq/"

_IANA_PREFIXES = (str(IANA_MEDIA_TYPE), "http://www.iana.org/assignments/media-types/")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*")


def frequency_of(value: str) -> str | None:
    """A udata frequency id from an EU frequency IRI, a Dublin Core ``freq:`` term, an EU code or
    a udata id written as a literal; None when it names none of them."""
    text = value.strip()
    for prefix in (str(EU_FREQUENCY), _DUBLIN_CORE_FREQUENCY):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if text in PERIODS:
        return text
    if text in ALIASES:
        return ALIASES[text]
    upper = text.upper()
    if upper in _EU_FREQUENCIES:
        return _EU_FREQUENCIES[upper]
    lower = {name.lower(): name for name in PERIODS}
    return lower.get(text.lower())


def format_of(value: str) -> str | None:
    """A resource format (udata's lower-case spelling) from an EU file-type IRI, or a literal."""
    text = value.strip()
    if text.startswith(str(EU_FILE_TYPE)):
        code = text[len(str(EU_FILE_TYPE)) :]
        return FILE_TYPE_FORMATS.get(code, code.lower())
    if "://" in text:
        return None  # another vocabulary's IRI: its label, if any, says more
    return text.lower() or None


def media_type_of(value: str) -> str | None:
    """A media type from an IANA IRI or a literal; None when it does not look like one."""
    text = value.strip()
    for prefix in _IANA_PREFIXES:
        if text.startswith(prefix):
            text = unquote(text[len(prefix) :])
            break
    essence = text.split(";", 1)[0].strip().lower()
    return essence if _MEDIA_TYPE.fullmatch(essence) else None
