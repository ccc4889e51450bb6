"""Contact points read from a remote dcat:Dataset, in the shapes real portals give them (udata's
reading: udata/rdf.py, ``contact_points_from_rdf``)."""

from dataclasses import replace

from opencat.catalog.harvest_backends.udata import _item
from opencat.catalog.harvest_mapping import checked_fingerprint
from opencat.dcat.reading import read_catalog_page
from opencat.domain.harvest import RemoteContact, RemoteDataset, RemoteResource

PREFIXES = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> . @prefix geodcat: <http://data.europa.eu/930/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def _contacts(body: str) -> tuple[RemoteContact, ...]:
    items = read_catalog_page(PREFIXES + body.encode(), "text/turtle", "http://catalog.test/").items
    assert len(items) == 1
    assert isinstance(items[0], RemoteDataset), items
    return items[0].contacts


def test_a_vcard_contact_point_with_its_email_and_form() -> None:
    contacts = _contacts("""<http://catalog.test/d/1> a dcat:Dataset ; dct:title "T" ;
        dcat:contactPoint [ a vcard:Organization ; vcard:fn "Service SIG" ;
            vcard:organization-name "Ville de Lyon" ; vcard:hasEmail <mailto:sig@lyon.fr> ;
            vcard:hasURL <https://lyon.fr/contact> ] .""")
    assert contacts == (
        RemoteContact("contact", "Service SIG (Ville de Lyon)", "sig@lyon.fr", "https://lyon.fr/contact"),
    )


def test_vcard_spellings_of_real_portals() -> None:
    # GeoNetwork: a vcard:org node with the British spelling, an email literal; older udata: hasUrl.
    contacts = _contacts("""<http://catalog.test/d/1> a dcat:Dataset ; dct:title "T" ;
        dcat:contactPoint [ a vcard:Kind ; vcard:fn "Jean Dupont" ;
            vcard:org [ vcard:organisation-name "DDT 69" ] ; vcard:hasEmail "mailto:jean@ddt.fr" ;
            vcard:hasUrl "https://ddt.fr/form" ] .""")
    assert contacts == (
        RemoteContact("contact", "Jean Dupont (DDT 69)", "jean@ddt.fr", "https://ddt.fr/form"),
    )


def test_foaf_agents_for_each_role() -> None:
    contacts = _contacts("""<http://catalog.test/d/1> a dcat:Dataset ; dct:title "T" ;
        dct:publisher [ a foaf:Organization ; foaf:name "Région" ; foaf:mbox <mailto:data@region.fr> ] ;
        dct:creator [ a foaf:Person ; foaf:name "Ana" ; org:memberOf [ foaf:name "Labo" ; foaf:mbox "labo@x.fr" ] ] ;
        geodcat:custodian [ a foaf:Organization ; skos:prefLabel "Archives" ;
            foaf:member [ foaf:name "Paul" ; foaf:mbox "paul@archives.fr" ] ] ;
        dct:rightsHolder "Etat" ;
        geodcat:distributor [ a foaf:Agent ; foaf:name "Diffusion" ; foaf:page <https://diffusion.example/form> ] .""")
    assert contacts == (
        RemoteContact("creator", "Ana (Labo)", "labo@x.fr"),
        RemoteContact("publisher", "Région", "data@region.fr"),
        RemoteContact("rightsHolder", "Etat"),
        RemoteContact("custodian", "Paul (Archives)", "paul@archives.fr"),
        # its form as udata's writer (and ours) gives an agent's, read back
        RemoteContact("distributor", "Diffusion", None, "https://diffusion.example/form"),
    )


def test_a_contact_point_given_as_foaf_and_an_empty_one() -> None:
    contacts = _contacts("""<http://catalog.test/d/1> a dcat:Dataset ; dct:title "T" ;
        dcat:contactPoint [ a foaf:Agent ; foaf:name "Accueil" ; foaf:mbox "accueil@x.fr" ] , [ a vcard:Kind ] .""")
    assert contacts == (RemoteContact("contact", "Accueil", "accueil@x.fr"),)


def test_udatas_embedded_contact_points() -> None:
    entry = {
        "id": "abc",
        "title": "T",
        "contact_points": [
            {"id": "x", "name": "SIG", "email": "sig@x.fr", "contact_form": None, "role": "contact"},
            {"name": "Prod", "role": "publisher"},
            {"role": "creator"},  # nothing to contact
            "not an object",
        ],
    }
    remote = _item(entry)
    assert isinstance(remote, RemoteDataset)
    assert remote.contacts == (
        RemoteContact("contact", "SIG", "sig@x.fr"),
        RemoteContact("publisher", "Prod"),
    )


def test_contacts_are_part_of_the_fingerprint() -> None:
    plain = RemoteDataset("a", "T", tags=("x",), resources=(RemoteResource("http://x/y.csv", "Y"),))
    with_contact = replace(plain, contacts=(RemoteContact("publisher", "P"),))
    assert checked_fingerprint(with_contact) != checked_fingerprint(plain)
