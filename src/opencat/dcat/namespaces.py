"""The RDF vocabularies of DCAT-AP 3 and the prefixes every serialization binds."""

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD, NamespaceManager

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
GEODCAT = Namespace("http://data.europa.eu/930/")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCT = DCTERMS

# Authority tables of the EU Publications Office, the vocabularies DCAT-AP 3 asks for.
EU_ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA_MEDIA_TYPE = Namespace("https://www.iana.org/assignments/media-types/")

# Prefix → namespace, in the order serializers print them. ``dct`` as udata spells it.
PREFIXES: dict[str, Namespace] = {
    "adms": ADMS,
    "dcat": Namespace(str(DCAT)),
    "dcatap": DCATAP,
    "dct": Namespace(str(DCT)),
    "eli": ELI,
    "foaf": Namespace(str(FOAF)),
    "geodcat": GEODCAT,
    "gsp": GSP,
    "hydra": HYDRA,
    "locn": LOCN,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "skos": Namespace(str(SKOS)),
    "spdx": SPDX,
    "vcard": VCARD,
    "xsd": Namespace(str(XSD)),
}


def bind_prefixes(manager: NamespaceManager) -> None:
    for prefix, namespace in PREFIXES.items():
        manager.bind(prefix, namespace, override=True, replace=True)
