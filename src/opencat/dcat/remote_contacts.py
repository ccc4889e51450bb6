"""Whom a remote dcat:Dataset names to contact, read as udata's harvester reads them
(udata/rdf.py, ``contact_points_from_rdf``): each agent predicate of ``agents.ROLE_PREDICATES`` is a
role, a ``vcard:Kind`` or a ``foaf`` agent its name, email and contact form. The inverse of
``agents.add_contact_points``."""

from rdflib import URIRef

from opencat.dcat.agents import ROLE_PREDICATES
from opencat.dcat.namespaces import DCAT, FOAF, SKOS, VCARD
from opencat.dcat.remote_terms import Facts, Term, Text, best_text, first_reference
from opencat.domain.harvest import RemoteContact

_ORG = "http://www.w3.org/ns/org#"
_MEMBER_OF = URIRef(f"{_ORG}memberOf")
# Emails and forms as real portals spell them (older udata wrote ``vcard:hasUrl``).
_VCARD_EMAILS = (VCARD.hasEmail, VCARD.email)
_VCARD_FORMS = (VCARD.hasURL, VCARD.url, VCARD.hasUrl)
# vcard:organization-name on the kind, or on a (deprecated) vcard:org node; GeoNetwork spells it the British way.
_VCARD_ORG_NAMES = (VCARD["organization-name"], VCARD["organisation-name"])


def read_contacts(graph: Facts, node: Term) -> tuple[RemoteContact, ...]:
    found: list[RemoteContact] = []
    for role, predicate in ROLE_PREDICATES.items():
        for agent in graph.ordered(graph.objects(node, predicate)):
            contact = _contact(graph, agent, role, vcard_first=predicate == DCAT.contactPoint)
            if contact is not None and contact not in found:
                found.append(contact)
    return tuple(found)


def _contact(graph: Facts, agent: Term, role: str, vcard_first: bool) -> RemoteContact | None:
    if isinstance(agent, Text):  # a name where an agent was expected
        name = str(agent).strip()
        return RemoteContact(role, name) if name else None
    readers = (_from_vcard, _from_foaf) if vcard_first else (_from_foaf, _from_vcard)
    for read in readers:
        name, email, form = read(graph, agent)
        if name or email or form:
            return RemoteContact(role, name, email, form)
    return None


def _value(graph: Facts, node: Term, predicates: tuple[URIRef, ...]) -> str | None:
    """The first predicate's text (best language), else its IRI (``vcard:hasEmail <mailto:…>``)."""
    for predicate in predicates:
        found = best_text(graph, node, predicate) or first_reference(graph, node, predicate)
        if found:
            return found
    return None


def _one(graph: Facts, node: Term, predicate: URIRef) -> Term | None:
    nodes = [value for value in graph.ordered(graph.objects(node, predicate)) if not isinstance(value, Text)]
    return nodes[0] if nodes else None


def _named(person: str | None, organization: str | None) -> str:
    """udata's name of a contact: ``person (organization)``, or whichever is given."""
    if person and organization:
        return f"{person} ({organization})"
    return person or organization or ""


def _email(value: str | None) -> str | None:
    if not value:
        return None
    email = value.removeprefix("mailto:").strip()
    return email or None


def _from_vcard(graph: Facts, kind: Term) -> tuple[str, str | None, str | None]:
    organization = _value(graph, kind, _VCARD_ORG_NAMES[:1])
    org_node = _one(graph, kind, VCARD.org)
    if organization is None and org_node is not None:
        organization = _value(graph, org_node, _VCARD_ORG_NAMES)
    name = _named(_value(graph, kind, (VCARD.fn,)), organization)
    return name, _email(_value(graph, kind, _VCARD_EMAILS)), _value(graph, kind, _VCARD_FORMS)


def _from_foaf(graph: Facts, agent: Term) -> tuple[str, str | None, str | None]:
    own_name = _value(graph, agent, (FOAF.name, SKOS.prefLabel))
    own_email = _value(graph, agent, (FOAF.mbox,))
    organization = _one(graph, agent, _MEMBER_OF)
    member = _one(graph, agent, FOAF.member)
    if organization is not None:  # a person of an organization
        name = _named(own_name, _value(graph, organization, (FOAF.name,)))
        email = own_email or _value(graph, organization, (FOAF.mbox,))
    elif member is not None:  # an organization through one of its people
        name = _named(_value(graph, member, (FOAF.name,)), own_name)
        email = _value(graph, member, (FOAF.mbox,)) or own_email
    else:
        name, email = own_name or "", own_email
    # Its form, as udata's writer and ours give an agent's (foaf:page): udata does not read it back.
    return name, _email(email), _value(graph, agent, (FOAF.page,))
