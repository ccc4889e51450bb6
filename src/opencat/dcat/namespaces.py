"""The RDF vocabularies of DCAT-AP 3 and the prefixes every serialization binds."""

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT as RDFLIB_DCAT
from rdflib.namespace import DCTERMS, NamespaceManager
from rdflib.namespace import FOAF as RDFLIB_FOAF
from rdflib.namespace import RDF as RDFLIB_RDF
from rdflib.namespace import RDFS as RDFLIB_RDFS
from rdflib.namespace import SKOS as RDFLIB_SKOS
from rdflib.namespace import XSD as RDFLIB_XSD


class Terms:
    """A vocabulary whose terms are built once. rdflib's namespaces build and validate a new URIRef
    at every ``DCAT.distribution`` (half a million times a minute when the catalog is exported),
    and, being strings, answer ``DCT.title`` or ``DCT.format`` with a ``str`` method."""

    def __init__(self, base: str) -> None:
        self._base = base

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):  # copy, pickle and friends probe dunder names
            raise AttributeError(name)
        term = URIRef(self._base + name)
        setattr(self, name, term)  # later lookups are plain attribute reads
        return term

    def __getitem__(self, name: str) -> URIRef:
        return getattr(self, name)  # type: ignore[no-any-return]

    def __str__(self) -> str:
        return self._base


ADMS = Terms("http://www.w3.org/ns/adms#")
DCAT = Terms(str(RDFLIB_DCAT))
DCATAP = Terms("http://data.europa.eu/r5r/")
DCT = Terms(str(DCTERMS))
ELI = Terms("http://data.europa.eu/eli/ontology#")
FOAF = Terms(str(RDFLIB_FOAF))
GEODCAT = Terms("http://data.europa.eu/930/")
GSP = Terms("http://www.opengis.net/ont/geosparql#")
HYDRA = Terms("http://www.w3.org/ns/hydra/core#")
LOCN = Terms("http://www.w3.org/ns/locn#")
RDF = Terms(str(RDFLIB_RDF))
RDFS = Terms(str(RDFLIB_RDFS))
SKOS = Terms(str(RDFLIB_SKOS))
SPDX = Terms("http://spdx.org/rdf/terms#")
VCARD = Terms("http://www.w3.org/2006/vcard/ns#")
XSD = Terms(str(RDFLIB_XSD))

# Authority tables of the EU Publications Office, the vocabularies DCAT-AP 3 asks for.
EU_ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA_MEDIA_TYPE = Namespace("https://www.iana.org/assignments/media-types/")

# Prefix → namespace, in the order serializers print them. ``dct`` as udata spells it.
PREFIXES: dict[str, Namespace] = {
    prefix: Namespace(str(terms))
    for prefix, terms in {
        "adms": ADMS,
        "dcat": DCAT,
        "dcatap": DCATAP,
        "dct": DCT,
        "eli": ELI,
        "foaf": FOAF,
        "geodcat": GEODCAT,
        "gsp": GSP,
        "hydra": HYDRA,
        "locn": LOCN,
        "rdf": RDF,
        "rdfs": RDFS,
        "skos": SKOS,
        "spdx": SPDX,
        "vcard": VCARD,
        "xsd": XSD,
    }.items()
}


def bind_prefixes(manager: NamespaceManager) -> None:
    for prefix, namespace in PREFIXES.items():
        manager.bind(prefix, namespace, override=True, replace=True)
