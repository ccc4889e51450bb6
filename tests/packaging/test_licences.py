"""No dependency that opencat installs (with its postgres and s3 extras) is under the GPL: an MIT
project cannot ship it. Weak copyleft (LGPL, MPL) is fine for libraries used unchanged."""

import re
from importlib.metadata import Distribution, PackageNotFoundError, distribution

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

EXTRAS = ("postgres", "s3")
_STRONG_COPYLEFT = re.compile(r"(?<![L])(A?GPL)|General Public License", re.IGNORECASE)
_WEAK = re.compile(r"LGPL|Lesser General Public License|Library General Public License", re.IGNORECASE)


def _licence(dist: Distribution) -> str:
    metadata = dist.metadata
    classifiers = [c for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    expression = metadata.get("License-Expression") or ""
    # The free-text License field sometimes holds the whole licence text: its first line names it.
    text = (metadata.get("License") or "").strip().splitlines()[:1]
    return " | ".join([expression, *text, *classifiers])


def _closure() -> dict[str, str]:
    """Every distribution installed for opencat at runtime (its extras included), with its licence."""
    environment = default_environment()
    licences: dict[str, str] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    pending: list[tuple[str, frozenset[str]]] = [("opencat", frozenset(EXTRAS))]
    while pending:
        name, extras = pending.pop()
        if (name, extras) in visited:
            continue
        visited.add((name, extras))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # a dependency of another platform or Python
        if name != "opencat":
            licences[name] = _licence(dist)
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({**environment, "extra": e}) for e in ("", *extras)):
                pending.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return licences


def test_no_runtime_dependency_is_under_the_gpl() -> None:
    licences = _closure()
    assert {"starlette", "anyascii", "psycopg", "boto3"} <= set(licences)
    strong = {
        name: licence for name, licence in licences.items() if _STRONG_COPYLEFT.search(_WEAK.sub("", licence))
    }
    assert strong == {}


def test_the_check_recognises_the_gpl() -> None:
    assert _STRONG_COPYLEFT.search(
        _WEAK.sub(
            "",
            "GPL-2.0-or-later | License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
        )
    )
    assert not _STRONG_COPYLEFT.search(_WEAK.sub("", "LGPL-3.0-only"))
    assert not _STRONG_COPYLEFT.search(
        _WEAK.sub("", "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)")
    )
