"""A license as a source or a document names it, matched to one of the catalog's licenses (harvesting,
``load-fixtures``).

Sources name licenses by id (``cc-by``, SPDX's ``CC-BY-4.0``), by URL (with or without scheme,
``www.`` or trailing slash; opendefinition.org, creativecommons.org, etalab.gouv.fr, the EU and
dcat-ap.de vocabularies) or by title (``Licence Ouverte v2.0``). Pure: the licenses come in.
"""

import json
import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from importlib.resources import files

from opencat.domain.references import License

# Common names of the licenses of data.gouv.fr's list (refdata/licenses.json), compacted as
# ``_compact`` does; a name whose license the catalog does not have matches nothing.
_ALIASES: dict[str, tuple[str, ...]] = {
    "cc-by": (
        "ccby", "ccby40", "ccby30", "ccby20", "ccattribution", "creativecommonsattribution40",
        "creativecommonsattribution40international", "creativecommonsorglicensesby40",
        "creativecommonsorglicensesby30", "creativecommonsorglicensesby40legalcode",
    ),
    "cc-by-sa": (
        "ccbysa", "ccbysa40", "ccbysa30", "creativecommonsattributionsharealike40",
        "creativecommonsorglicensesbysa40", "creativecommonsorglicensesbysa30",
    ),
    "cc-zero": (
        "cc0", "cc010", "cczero", "creativecommonszero", "cc0publicdomaindedication",
        "creativecommonsorgpublicdomainzero10", "creativecommonsorgpublicdomainzero10legalcode",
    ),
    "lov2": (
        "etalab20", "etalab2", "lo20", "lov20", "licenceouverte20", "licenceouvertev20",
        "licenceouverteversion20", "etalabgouvfrlicenceouverteopenlicence",
        "etalabgouvfrlicenceouverteopenlicence20",
    ),
    "fr-lo": ("etalab10", "lo10", "lov1", "licenceouverte10", "licenceouvertev10", "licenceouverte"),
    "odc-odbl": ("odbl", "odbl10", "opendatacommonsorglicensesodbl", "opendatacommonsorglicensesodbl10"),
    "odc-by": ("odcby", "odcby10", "opendatacommonsorglicensesby", "opendatacommonsorglicensesby10"),
    "odc-pddl": ("pddl", "pddl10", "opendatacommonsorglicensespddl", "opendatacommonsorglicensespddl10"),
    "notspecified": (
        "licensenotspecified", "notspecified", "unknownlicense", "projectopendataciogovunknownlicense",
    ),
}  # fmt: skip
_ALIAS_IDS = {alias: license_id for license_id, aliases in _ALIASES.items() for alias in aliases}

# Vocabularies whose IRIs end with a license's short name (``.../licenses/cc-zero``, ``.../CC_BY_4_0``).
_VOCABULARIES = (
    "dcat-ap.de/def/licenses/",
    "publications.europa.eu/resource/authority/licence/",
    "spdx.org/licenses/",
    "opendefinition.org/licenses/",
)
_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)


def match_license(name: str | None, licenses: Sequence[License]) -> License | None:
    """The catalog's license that ``name`` means, by id, URL, title or common alias; else None."""
    if not name or not name.strip():
        return None
    text = name.strip()
    by_id = {license.id.lower(): license for license in licenses}
    if text.lower() in by_id:
        return by_id[text.lower()]
    if _URL.match(text) or text.lower().startswith("www."):
        found = _by_url(text, licenses)
        if found is not None:
            return found
    compact = _compact(text)
    for license in licenses:
        if compact in {_compact(title) for title in (license.title, *license.alternate_titles)}:
            return license
    alias = _ALIAS_IDS.get(compact)
    return by_id.get(alias) if alias else None


def _by_url(url: str, licenses: Sequence[License]) -> License | None:
    wanted = _bare_url(url)
    for license in licenses:
        if wanted in {_bare_url(known) for known in _urls(license)}:
            return license
    by_id = {license.id.lower(): license for license in licenses}
    for vocabulary in _VOCABULARIES:
        if wanted.startswith(vocabulary):
            short = wanted[len(vocabulary) :].strip("/").lower()
            return by_id.get(short) or by_id.get(_ALIAS_IDS.get(_compact(short), ""))
    alias = _ALIAS_IDS.get(_compact(wanted))
    return by_id.get(alias) if alias else None


def _urls(license: License) -> Iterable[str]:
    return ([license.url] if license.url else []) + list(license.alternate_urls)


def _bare_url(url: str) -> str:
    """A URL without its scheme, ``www.``, query or trailing slash, lower-cased."""
    bare = _URL.sub("", url.strip().lower()).removeprefix("www.")
    return bare.split("#", 1)[0].split("?", 1)[0].rstrip("/")


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@cache
def shipped_licenses() -> tuple[License, ...]:
    """The licenses opencat ships (data.gouv.fr's list): what a backend matches against when it
    picks one of several; the run matches the result against the catalog's own list."""
    records = json.loads((files("opencat") / "refdata" / "licenses.json").read_text("utf-8"))
    return tuple(
        License(
            id=record["id"],
            title=record["title"],
            url=record.get("url"),
            maintainer=record.get("maintainer"),
            flags=tuple(record.get("flags") or ()),
            alternate_urls=tuple(record.get("alternate_urls") or ()),
            alternate_titles=tuple(record.get("alternate_titles") or ()),
        )
        for record in records
    )


@lru_cache(maxsize=4096)  # a source names the same few licenses on every dataset
def is_known_license(name: str) -> bool:
    return match_license(name, shipped_licenses()) is not None
