"""A remote dcat:Dataset read into a RemoteDataset: the inverse of ``graph.py``, tolerant of real portals."""

import calendar
import re
from collections.abc import Callable, Mapping
from datetime import date
from urllib.parse import unquote

from rdflib import URIRef

from opencat.dcat.namespaces import DCAT, DCT, EU_ACCESS_RIGHT, RDF, RDFS, SKOS
from opencat.dcat.remote_contacts import read_contacts
from opencat.dcat.remote_distributions import read_distribution
from opencat.dcat.remote_spatial import drawn_geometry
from opencat.dcat.remote_terms import (
    Facts,
    Term,
    Text,
    best_text,
    excerpt,
    first_day,
    first_reference,
    first_when,
    label,
    reference,
    texts_in_one_language,
)
from opencat.dcat.remote_vocabularies import frequency_of
from opencat.dcat.vocabularies import HVD_CATEGORIES, LIMITATIONS_ON_PUBLIC_ACCESS
from opencat.domain.dates import parse_datetime
from opencat.domain.harvest import ItemFailure, RemoteDataset, RemoteResource
from opencat.domain.html_markdown import html_as_markdown
from opencat.domain.links import is_web_link

SCHEMA = "http://schema.org/"
TIME = "http://www.w3.org/2006/time#"
_START = (DCAT.startDate, URIRef(f"{SCHEMA}startDate"), URIRef("https://schema.org/startDate"))
_END = (DCAT.endDate, URIRef(f"{SCHEMA}endDate"), URIRef("https://schema.org/endDate"))
# The zone URLs opencat and udata write when a zone has no URI of its own.
_ZONE_URL = re.compile(r"/spatial/zones?/([^/?#]+)/?$")
# A period spelled as one literal: ``start/end`` (ISO 8601, as gov.uk's DCAT), a year, a month.
_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
# time:DurationDescription unit → the udata frequency of "once per one of them" (datos.gob.es).
_DURATIONS = {"years": "annual", "months": "monthly", "weeks": "weekly", "days": "daily", "hours": "hourly"}

LicensePicker = Callable[[str], bool]


def read_dataset(
    graph: Facts, node: Term, *, known_license: LicensePicker, zone_uris: Mapping[str, str]
) -> RemoteDataset | ItemFailure:
    identifier = best_text(graph, node, DCT.identifier)
    remote_id = identifier or (str(node) if isinstance(node, URIRef) else None)
    # Where the dataset is (udata's remote_url): its landing page, else its IRI, the first that is
    # a valid web address (a GeoNetwork's IRI may hold a space: udata then keeps none).
    landing_page = first_reference(graph, node, DCAT.landingPage)
    iri = str(node) if isinstance(node, URIRef) else None
    remote_url = next((url for url in (landing_page, iri) if url and is_web_link(url)), None)
    remote_id = remote_id or landing_page
    title = best_text(graph, node, DCT.title)
    if remote_id is None:
        return ItemFailure(None, "The dataset has neither an identifier nor an IRI", excerpt(graph, [node]))
    if title is None:
        return ItemFailure(remote_id, "The dataset has no title", excerpt(graph, [node]))
    distributions = graph.ordered(graph.objects(node, DCAT.distribution))
    start, end = _temporal(graph, node)
    access_type, category = _access(graph, node, distributions)
    return RemoteDataset(
        remote_id=remote_id,
        title=title,
        # GeoDCAT-AP's records may give an abstract only (a GeoNetwork's), as udata reads them.
        # HTML (a GeoNetwork's abstract) is stored as the Markdown it says, as udata converts it.
        description=html_as_markdown(
            best_text(graph, node, DCT.description) or best_text(graph, node, DCT.abstract) or ""
        ),
        acronym=best_text(graph, node, SKOS.altLabel),
        tags=_tags(graph, node),
        license=_license(graph, node, distributions, known_license),
        frequency=_frequency(graph, node),
        temporal_start=start,
        temporal_end=end,
        zones=_zones(graph, node, zone_uris),
        geom=drawn_geometry(graph, node),
        resources=_resources(graph, distributions, graph.ordered(graph.objects(node, DCT.hasPart))),
        remote_url=remote_url,
        access_type=access_type,
        access_type_reason_category=category,
        uri=str(node) if isinstance(node, URIRef) else None,
        dct_identifier=identifier,
        issued_at=first_when(graph, node, DCT.issued),
        modified_at=first_when(graph, node, DCT.modified),
        created_at=first_when(graph, node, DCT.created),
        contacts=read_contacts(graph, node),
    )


def _resources(graph: Facts, distributions: list[Term], parts: list[Term]) -> tuple[RemoteResource, ...]:
    """The distributions, then the documents the dataset has as parts (``dct:hasPart``: udata keeps
    them as resources of type ``other``, linked by their IRI)."""
    read = [read_distribution(graph, distribution) for distribution in distributions]
    read += [read_distribution(graph, part, additional=True) for part in parts]
    return tuple(resource for resource in read if resource is not None)


def _license(graph: Facts, node: Term, distributions: list[Term], known: LicensePicker) -> str | None:
    """The first candidate the catalog knows, else the first one (the run reports it unmatched).

    Candidates, in order: the dataset's dct:license (its IRI, then its title), its distributions'
    ones, then rights statements (their label, or the IRI some portals put there)."""
    candidates: list[str] = []
    for owner in (node, *distributions):
        for value in graph.ordered(graph.objects(owner, DCT.license)):
            candidates += _names(graph, value)
    for owner in (node, *distributions):
        for value in graph.ordered(graph.objects(owner, DCT.rights)):
            candidates += _names(graph, value)
    unique = list(dict.fromkeys(candidates))
    return next((candidate for candidate in unique if known(candidate)), unique[0] if unique else None)


def _names(graph: Facts, value: Term) -> list[str]:
    names = [name for name in (reference(value), label(graph, value)) if name]
    if not isinstance(value, Text):
        names += [str(found) for found in graph.objects(value, RDFS.label) if str(found).strip()]
    return names


def _frequency(graph: Facts, node: Term) -> str | None:
    for value in graph.ordered(graph.objects(node, DCT.accrualPeriodicity)):
        text = reference(value)
        found = frequency_of(text) if text else None
        for inner in graph.objects(value, RDF.value):  # a frequency described by a duration
            found = found or _duration_frequency(graph, inner)
        if found:
            return found
    return None


def _duration_frequency(graph: Facts, node: Term) -> str | None:
    for unit, frequency in _DURATIONS.items():
        for amount in graph.objects(node, URIRef(f"{TIME}{unit}")):
            try:
                if float(str(amount)) == 1:
                    return frequency
            except ValueError:
                continue
    return None


def _temporal(graph: Facts, node: Term) -> tuple[date | None, date | None]:
    for period in graph.ordered(graph.objects(node, DCT.temporal)):
        if isinstance(period, Text):
            spelled = period_of_text(period.lexical)
            if spelled is not None:
                return spelled
            continue
        start = first_day(graph, period, _START)
        end = first_day(graph, period, _END)
        if start is not None or end is not None:
            return start, end
    return None, None


def period_of_text(text: str) -> tuple[date, date] | None:
    """A temporal coverage written as one literal, as udata reads one (``temporal_from_literal``);
    None when it is none of its spellings."""
    text = text.strip()
    try:
        if text.count("/") == 1:
            start, end = (_day_of(part) for part in text.split("/"))
            return (start, end) if start is not None and end is not None else None
        if _YEAR.fullmatch(text):
            year = int(text)
            return (date(year, 1, 1), date(year, 12, 31)) if year >= 1 else None
        if found := _MONTH.fullmatch(text):
            year, month = int(found.group(1)), int(found.group(2))
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:  # a 13th month, a year 0
        return None
    return None


def _day_of(text: str) -> date | None:
    try:
        return parse_datetime(text.strip()).date()
    except ValueError:
        return None


def _zones(graph: Facts, node: Term, zone_uris: Mapping[str, str]) -> tuple[str, ...]:
    zones: list[str] = []
    for value in graph.objects(node, DCT.spatial):
        text = str(value) if isinstance(value, URIRef) else None
        if text is None:
            continue
        if text in zone_uris:
            zones.append(zone_uris[text])
        elif found := _ZONE_URL.search(text):
            zones.append(unquote(found.group(1)))
    return tuple(sorted(set(zones)))


# udata's theme IRIs that name its tags (``HVD_SUPPORT``, ``INSPIRE_SUPPORT``: on by default).
_HVD_LABELS = dict(HVD_CATEGORIES.values())
_INSPIRE_THEMES = "http://inspire.ec.europa.eu/theme"
_INSPIRE_SCHEMES = (_INSPIRE_THEMES, "http://www.eionet.europa.eu/gemet/inspire_themes")
_INSPIRE_SCHEME_TITLE = "gemet - inspire themes, version 1.0"


def _tags(graph: Facts, node: Term) -> tuple[str, ...]:
    """The keywords, and the themes' labels (a literal theme, or a concept's preferred label), as
    udata adds them to the tags: an EU high-value category by udata's French name, with ``hvd``;
    an INSPIRE theme adds ``inspire`` (udata: udata/rdf.py, theme_labels_from_rdf)."""
    themes = set()
    for theme in graph.objects(node, DCAT.theme):
        if isinstance(theme, Text):
            label: str | None = str(theme).strip()
        else:
            label = best_text(graph, theme, SKOS.prefLabel)
            themes.update(_flag_tags(graph, theme))
            label = _HVD_LABELS.get(str(theme), label)
        if label:
            themes.add(label)
    return tuple(sorted({*texts_in_one_language(graph, node, DCAT.keyword), *themes}))


def _flag_tags(graph: Facts, theme: Term) -> set[str]:
    flags = {"hvd"} if str(theme) in _HVD_LABELS else set()
    if str(theme).startswith(_INSPIRE_THEMES):
        return flags | {"inspire"}
    for scheme in graph.objects(theme, SKOS.inScheme):
        title = best_text(graph, scheme, DCT.title) or label(graph, scheme) or ""
        if str(scheme) in _INSPIRE_SCHEMES or title.lower() == _INSPIRE_SCHEME_TITLE:
            return flags | {"inspire"}
    return flags


_RESTRICTED_RIGHTS = {str(EU_ACCESS_RIGHT.NON_PUBLIC), str(EU_ACCESS_RIGHT.RESTRICTED)}
_CATEGORIES = {uri: category for category, uri in LIMITATIONS_ON_PUBLIC_ACCESS.items()}


def _access(graph: Facts, node: Term, distributions: list[Term]) -> tuple[str | None, str | None]:
    """udata's reading of access: an INSPIRE limitation on the dataset or a distribution
    (``dct:rights``, ``dct:accessRights``) is a restricted access on that ground; an EU access
    right not public, a restricted one; else None (open, unless said otherwise here)."""
    for holder in (node, *distributions):
        for predicate in (DCT.accessRights, DCT.rights):
            for value in graph.objects(holder, predicate):
                category = _CATEGORIES.get(reference(value) or "")
                if category is not None:
                    return "restricted", category
    rights = {reference(value) for value in graph.objects(node, DCT.accessRights)}
    return ("restricted" if rights & _RESTRICTED_RIGHTS else None), None
