"""Who publishes a dataset and whom to contact: foaf agents and vcard kinds (udata: udata/core/dataset/rdf.py)."""

from collections.abc import Sequence

from rdflib import Literal, URIRef

from opencat.dcat.namespaces import DCAT, DCT, FOAF, GEODCAT, RDF, RDFS, SKOS, VCARD
from opencat.dcat.sink import Triples
from opencat.dcat.terms import iri, mailto, own, text
from opencat.dcat.vocabularies import PERSON_PUBLISHER_TYPE, PUBLISHER_TYPE_SCHEME, PUBLISHER_TYPES
from opencat.domain.accounts import ContactPoint, Organization, User
from opencat.domain.urls import Urls

# Contact point roles (udata: udata/core/contact_point/) → the dataset's property, as udata/core/dataset/rdf.py maps them.
ROLE_PREDICATES = {
    "contact": DCAT.contactPoint,
    "creator": DCT.creator,
    "publisher": DCT.publisher,
    "rightsHolder": DCT.rightsHolder,
    **{
        role: GEODCAT[role]
        for role in (
            "custodian",
            "distributor",
            "originator",
            "principalInvestigator",
            "processor",
            "resourceProvider",
            "user",
        )
    },
}


def add_agent(graph: Triples, node: URIRef, kind: URIRef, name: str) -> None:
    """An agent of a foaf subclass, also typed foaf:Agent: the shapes check classes without inference."""
    graph.add((node, RDF.type, kind))
    graph.add((node, RDF.type, FOAF.Agent))
    label = text(name)
    graph.add((node, FOAF.name, label))
    graph.add((node, RDFS.label, label))


def add_organization(graph: Triples, organization: Organization, urls: Urls) -> URIRef:
    # udata: udata/core/dataset/rdf.py; an identifier, like the dataset's (graph._permalink)
    node = own(
        urls.organization_page(organization.id) if urls.front else urls.organization_uri(organization.id)
    )
    add_agent(graph, node, FOAF.Organization, organization.name)
    homepage = iri(organization.url)
    if homepage is not None:
        graph.add((node, FOAF.homepage, homepage))
    kinds = [PUBLISHER_TYPES[badge] for badge in organization.badges if badge in PUBLISHER_TYPES]
    if kinds:  # dct:type is at most one per agent (DCAT-AP shapes.ttl, Agent)
        _add_publisher_type(graph, node, *kinds[0])
    return node


def add_user(graph: Triples, user: User, urls: Urls) -> URIRef:
    # udata: udata/core/dataset/rdf.py: the page by id; an identifier, like the dataset's
    node = own(urls.user_page(user.id) if urls.front else urls.user_uri(user.id))
    name = f"{user.first_name} {user.last_name}".strip() or user.slug
    add_agent(graph, node, FOAF.Person, name)
    homepage = iri(user.website)
    if homepage is not None:
        graph.add((node, FOAF.homepage, homepage))
    _add_publisher_type(graph, node, *PERSON_PUBLISHER_TYPE)
    return node


def _add_publisher_type(graph: Triples, node: URIRef, uri: str, label: str) -> None:
    concept = URIRef(uri)
    graph.add((node, DCT.type, concept))
    graph.add((concept, RDF.type, SKOS.Concept))
    graph.add((concept, SKOS.prefLabel, Literal(label, lang="en")))
    graph.add((concept, SKOS.inScheme, URIRef(PUBLISHER_TYPE_SCHEME)))


def add_owner(
    graph: Triples, dataset: URIRef, organization: Organization | None, owner: User | None, urls: Urls
) -> None:
    """The owner publishes, unless a contact point does: then the owner distributes (udata: udata/core/dataset/rdf.py)."""
    if organization is not None:
        agent = add_organization(graph, organization, urls)
    elif owner is not None:
        agent = add_user(graph, owner, urls)
    else:
        return
    if graph.value(dataset, DCT.publisher) is None:
        graph.add((dataset, DCT.publisher, agent))
    else:
        graph.add((dataset, GEODCAT.distributor, agent))


def add_contact_points(graph: Triples, dataset: URIRef, contacts: Sequence[ContactPoint], urls: Urls) -> None:
    publishers = 0
    for contact in contacts:
        predicate = ROLE_PREDICATES.get(contact.role)
        if predicate is None:
            continue
        if predicate == DCT.publisher:
            publishers += 1
            if publishers > 1:  # a dataset has at most one publisher (DCAT-AP shapes.ttl, Dataset)
                continue
        node = own(urls.api(f"contacts/{contact.id}/"))
        if predicate == DCAT.contactPoint:
            _add_vcard(graph, node, contact)
        else:
            _add_contact_agent(graph, node, contact)
        graph.add((dataset, predicate, node))


def _add_vcard(graph: Triples, node: URIRef, contact: ContactPoint) -> None:
    graph.add((node, RDF.type, VCARD.Kind))
    if contact.name:
        graph.add((node, VCARD.fn, text(contact.name)))
    email = mailto(contact.email)
    if email is not None:
        graph.add((node, VCARD.hasEmail, email))
    form = iri(contact.contact_form)
    if form is not None:
        graph.add((node, VCARD.hasURL, form))


def _add_contact_agent(graph: Triples, node: URIRef, contact: ContactPoint) -> None:
    # foaf:name is mandatory on an agent (DCAT-AP shapes.ttl): fall back on what identifies it.
    name = contact.name or contact.email or contact.contact_form or contact.id
    add_agent(graph, node, FOAF.Agent, name)
    email = mailto(contact.email)
    if email is not None:
        graph.add((node, FOAF.mbox, email))
    form = iri(contact.contact_form)
    if form is not None:
        graph.add((node, FOAF.page, form))
