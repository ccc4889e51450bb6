"""A page of a remote DCAT catalog read into RemoteDataset values and the link to its next page.

The entry point of the DCAT harvest backend: bytes in any RDF syntax we parse (``parsing.py``),
each dcat:Dataset mapped by ``remote_datasets.py``, and hydra's paging (udata's and opencat's
``/site/catalog``) followed by the caller.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from opencat.dcat.namespaces import DCAT, HYDRA, RDF
from opencat.dcat.parsing import parse_facts
from opencat.dcat.remote_datasets import LicensePicker, read_dataset
from opencat.dcat.remote_terms import Facts, Term, Text, ordered, reference
from opencat.domain.harvest import ItemFailure, RemoteDataset


@dataclass(frozen=True, slots=True)
class CatalogPage:
    items: tuple[RemoteDataset | ItemFailure, ...]
    next_url: str | None


def _any_license(_: str) -> bool:
    return False


def read_catalog_page(
    body: bytes,
    content_type: str | None,
    url: str,
    *,
    known_license: LicensePicker = _any_license,
    zone_uris: Mapping[str, str] | None = None,
) -> CatalogPage:
    """The datasets of one document, in a stable order; HarvestSourceError when it is not RDF.

    ``known_license`` says whether a license name matches one of the catalog's licenses (the
    first that does is kept when a dataset has several); ``zone_uris`` maps zone IRIs to ids.
    """
    facts = parse_facts(body, content_type, url)
    items = tuple(
        read_dataset(facts, node, known_license=known_license, zone_uris=zone_uris or {})
        for node in dataset_nodes(facts)
    )
    return CatalogPage(items, next_page(facts))


def dataset_nodes(facts: Facts) -> list[Term]:
    """Every node typed dcat:Dataset (or dcat:DatasetSeries), or listed by a catalog and described
    in the document, IRIs and blank nodes alike. A catalog's reference to a node the document
    says nothing of (a GeoNetwork's link to another address of its record) is no dataset: udata
    reads typed nodes only, and each run reported it as a failure."""
    listed = {
        node
        for node in facts.every_object(DCAT.dataset)
        if not isinstance(node, Text) and facts.predicate_objects(node)
    }
    typed = set(facts.subjects(RDF.type, DCAT.Dataset)) | set(facts.subjects(RDF.type, DCAT.DatasetSeries))
    return ordered(typed | listed)


def next_page(facts: Facts) -> str | None:
    """hydra:next (a PartialCollectionView's), else the older hydra:nextPage."""
    for predicate in (HYDRA.next, HYDRA.nextPage):
        found = sorted(filter(None, (reference(value) for value in facts.every_object(predicate))))
        if found:
            return found[0]
    return None
