"""Controlled vocabularies: udata's codes mapped to the EU authority tables DCAT-AP 3 expects.

Tables are data, looked up by the graph builders; a code missing from a table is simply not emitted.
"""

from opencat.dcat.namespaces import EU_ACCESS_RIGHT, EU_FILE_TYPE, EU_FREQUENCY, EU_LANGUAGE, SPDX
from opencat.domain.datasets import ACCESS_TYPE_REASON_CATEGORIES

# udata's 40 frequencies (udata: udata/core/dataset/constants.py, UpdateFrequency) → the EU frequency table
# (http://publications.europa.eu/resource/authority/frequency), term for term as udata's own table
# (``EUFREQ_TERM_TO_UDATA``), so that udata's harvester reads each one back as the same frequency.
# udata's RDF prefers Dublin Core ``freq:`` terms where one exists (udata: udata/core/dataset/rdf.py); DCAT-AP 3 wants a
# dct:Frequency from the EU table, so we always use it.
FREQUENCIES: dict[str, str] = {
    "continuous": "UPDATE_CONT",  # "Real time": continuously updated
    "oneMinute": "1MIN",
    "fiveMinutes": "5MIN",
    "tenMinutes": "10MIN",
    "fifteenMinutes": "15MIN",
    "thirtyMinutes": "30MIN",
    "hourly": "HOURLY",
    "bihourly": "BIHOURLY",
    "trihourly": "TRIHOURLY",
    "twelveHours": "12HRS",
    "severalTimesADay": "CONT",  # as udata maps it (core/dataset/rdf.py)
    "threeTimesADay": "DAILY",  # udata writes DAILY_3, which the EU table does not have
    "semidaily": "DAILY_2",
    "daily": "DAILY",
    "fiveTimesAWeek": "WEEKLY_5",
    "threeTimesAWeek": "WEEKLY_3",
    "semiweekly": "WEEKLY_2",
    "weekly": "WEEKLY",
    "biweekly": "BIWEEKLY",
    "threeTimesAMonth": "MONTHLY_3",
    "semimonthly": "MONTHLY_2",
    "monthly": "MONTHLY",
    "bimonthly": "BIMONTHLY",
    "quarterly": "QUARTERLY",
    "threeTimesAYear": "ANNUAL_3",
    "semiannual": "ANNUAL_2",
    "annual": "ANNUAL",
    "biennial": "BIENNIAL",
    "triennial": "TRIENNIAL",
    "quadrennial": "QUADRENNIAL",
    "quinquennial": "QUINQUENNIAL",
    "decennial": "DECENNIAL",
    "bidecennial": "BIDECENNIAL",
    "tridecennial": "TRIDECENNIAL",
    "punctual": "AS_NEEDED",  # as udata maps it, and reads it back
    "irregular": "IRREG",
    "never": "NEVER",
    "notPlanned": "NOT_PLANNED",
    "other": "OTHER",
    "unknown": "UNKNOWN",
}
FREQUENCY_URIS = {udata_id: EU_FREQUENCY[code] for udata_id, code in FREQUENCIES.items()}

# access_type (udata: udata/core/access_type/) → EU access-right, as udata maps it (udata: udata/core/dataset/rdf.py).
ACCESS_RIGHTS = {
    "open": EU_ACCESS_RIGHT.PUBLIC,
    "open_with_account": EU_ACCESS_RIGHT.PUBLIC,
    "restricted": EU_ACCESS_RIGHT.NON_PUBLIC,
}

# access_type_reason_category (udata: udata/core/access_type/) lists the eight grounds of the INSPIRE directive's article
# 13(1), in order: each is a concept of the INSPIRE LimitationsOnPublicAccess code list.
_INSPIRE_LIMITATIONS = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
LIMITATIONS_ON_PUBLIC_ACCESS = {
    category: f"{_INSPIRE_LIMITATIONS}INSPIRE_Directive_Article13_1{letter}"
    for letter, category in zip(
        "abcdefgh",
        ACCESS_TYPE_REASON_CATEGORIES,
        strict=True,
    )
}

# A resource's ``format`` (free text, lower-cased by udata) → the EU file-type table. Spellings seen
# in data.gouv.fr's real catalogue are included (``shp (wgs84)``, ``csv/utf8``, ``dbase``…).
_FILE_TYPE_CODES: dict[str, tuple[str, ...]] = {
    "7Z": ("7z",),
    "ATOM": ("atom",),
    "BIN": ("bin",),
    "BMP": ("bmp",),
    "BZIP2": ("bz2", "bzip2"),
    "CSV": ("csv", "csv/utf8", "text/csv"),
    "DBF": ("dbf", "dbase"),
    "DGN": ("dgn",),
    "DOC": ("doc",),
    "DOCX": ("docx",),
    "DWG": ("dwg",),
    "DXF": ("dxf",),
    "ECW": ("ecw",),
    "EPUB": ("epub",),
    "GDB": ("gdb",),
    "GEOJSON": ("geojson",),
    "GEOTIFF": ("geotiff",),
    "GIF": ("gif",),
    "GML": ("gml",),
    "GPKG": ("gpkg", "geopackage"),
    "GPX": ("gpx",),
    "GTFS": ("gtfs",),
    "GZIP": ("gz", "gzip"),
    "HDF": ("hdf", "hdf5"),
    "HTML": ("html", "htm"),
    "ICS": ("ics",),
    "JPEG": ("jpeg", "jpg"),
    "JPEG2000": ("jp2", "jpeg2000"),
    "JSON": ("json",),
    "JSON_LD": ("jsonld", "json-ld"),
    "KML": ("kml",),
    "KMZ": ("kmz",),
    "LAS": ("las",),
    "LAZ": ("laz",),
    "MARKDOWN": ("md", "markdown"),
    "MDB": ("mdb",),
    "MIF_MID": ("mif", "mid", "mif/mid"),
    "N3": ("n3",),
    "NETCDF": ("netcdf", "nc"),
    "ODP": ("odp",),
    "ODS": ("ods",),
    "ODT": ("odt",),
    "PARQUET": ("parquet",),
    "PDF": ("pdf",),
    "PNG": ("png",),
    "PPT": ("ppt",),
    "PPTX": ("pptx",),
    "RAR": ("rar",),
    "RDF": ("rdf",),
    "RDF_N_QUADS": ("nq", "nquads"),
    "RDF_N_TRIPLES": ("nt", "ntriples", "n-triples"),
    "RDF_TRIG": ("trig",),
    "RDF_TURTLE": ("ttl", "turtle"),
    "RDF_XML": ("rdf/xml", "rdf+xml", "owl"),
    "RSS": ("rss",),
    "RTF": ("rtf",),
    "SHP": ("shp", "shp (wgs84)", "shp (lambert93)", "shapefile", "esri shapefile"),
    "SQL": ("sql",),
    "SVG": ("svg",),
    "TAB": ("tab",),
    "TAR": ("tar",),
    "TAR_GZ": ("tar.gz", "tgz"),
    "TIFF": ("tif", "tiff"),
    "TSV": ("tsv",),
    "TXT": ("txt", "text"),
    "WCS_SRVC": ("wcs", "ogc:wcs"),
    "WFS_SRVC": ("wfs", "ogc:wfs"),
    "WMS_SRVC": ("wms", "ogc:wms"),
    "WMTS_SRVC": ("wmts", "ogc:wmts"),
    "XLS": ("xls", "excel"),
    "XLSX": ("xlsx",),
    "XML": ("xml",),
    "XSLT": ("xslt", "xsl"),
    "XZ": ("xz",),
    "YAML": ("yaml", "yml"),
    "ZIP": ("zip",),
}
FILE_TYPES = {spelling: EU_FILE_TYPE[code] for code, names in _FILE_TYPE_CODES.items() for spelling in names}
# EU file-type code → the spelling a harvester reads back (the first one above: ``SHP`` → ``shp``).
FILE_TYPE_FORMATS = {code: names[0] for code, names in _FILE_TYPE_CODES.items()}

# ISO 639-1 codes, ISO 639-2/3 codes and a few names seen in real ``extras`` → EU language table.
_LANGUAGE_CODES: dict[str, tuple[str, ...]] = {
    "FRA": ("fr", "fre", "fra", "french", "français", "francais"),
    "ENG": ("en", "eng", "english", "anglais"),
    "DEU": ("de", "ger", "deu", "german", "allemand", "deutsch"),
    "SPA": ("es", "spa", "spanish", "espagnol", "español"),
    "ITA": ("it", "ita", "italian", "italien", "italiano"),
    "NLD": ("nl", "dut", "nld", "dutch", "néerlandais"),
    "POR": ("pt", "por", "portuguese", "portugais", "português"),
    "BRE": ("br", "bre", "breton"),
    "OCI": ("oc", "oci", "occitan"),
    "COS": ("co", "cos", "corse", "corsican"),
    "CAT": ("ca", "cat", "catalan", "català"),
    "EUS": ("eu", "baq", "eus", "basque"),
}
LANGUAGES = {name: EU_LANGUAGE[code] for code, names in _LANGUAGE_CODES.items() for name in names}
# ``extras`` keys that carry a dataset's language in harvested or imported data.gouv.fr records.
LANGUAGE_EXTRAS = ("dct:language", "language", "langue", "Langue", "lang")

# Organization badges (udata: udata/core/organization/constants.py) → ADMS publisher types, for the agent's dct:type.
_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
PUBLISHER_TYPE_SCHEME = "http://purl.org/adms/publishertype/1.0"
PUBLISHER_TYPES: dict[str, tuple[str, str]] = {
    "local-authority": (f"{_PUBLISHER_TYPE}LocalAuthority", "Local Authority"),
    "company": (f"{_PUBLISHER_TYPE}Company", "Company"),
    "association": (f"{_PUBLISHER_TYPE}NonProfitOrganisation", "Non-Profit Organisation"),
}
PERSON_PUBLISHER_TYPE = (f"{_PUBLISHER_TYPE}PrivateIndividual(s)", "Private Individual(s)")

# Licenses of data.gouv.fr's list (refdata/licenses.json) → ADMS licence types, for the license
# document's dct:type. A license another list adds is described without a type.
_LICENCE_TYPE = "http://purl.org/adms/licencetype/"
LICENCE_TYPE_SCHEME = "http://purl.org/adms/licencetype/1.0"
_ATTRIBUTION = (f"{_LICENCE_TYPE}Attribution", "Attribution")
_SHARE_ALIKE = (f"{_LICENCE_TYPE}ViralEffect-ShareAlike", "Viral effect (a.k.a. Share-alike)")
_PUBLIC_DOMAIN = (f"{_LICENCE_TYPE}PublicDomain", "Public domain")
LICENCE_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "cc-by": (_ATTRIBUTION,),
    "cc-by-sa": (_ATTRIBUTION, _SHARE_ALIKE),
    "cc-zero": (_PUBLIC_DOMAIN,),
    "fr-lo": (_ATTRIBUTION,),
    "lov2": (_ATTRIBUTION,),
    "odc-by": (_ATTRIBUTION,),
    "odc-odbl": (_ATTRIBUTION, _SHARE_ALIKE),
    "odc-pddl": (_PUBLIC_DOMAIN,),
}

# Checksum types (udata: udata/core/dataset/models.py, Checksum) → SPDX algorithms. ``sha2`` names a family: the digest
# length tells which member. ``crc`` has no SPDX term, so its checksum is not emitted (udata
# invents ``spdx:checksumAlgorithm_crc``).
CHECKSUM_ALGORITHMS = {
    ("sha1", 40): SPDX.checksumAlgorithm_sha1,
    ("md5", 32): SPDX.checksumAlgorithm_md5,
    ("sha256", 64): SPDX.checksumAlgorithm_sha256,
    ("sha2", 56): SPDX.checksumAlgorithm_sha224,
    ("sha2", 64): SPDX.checksumAlgorithm_sha256,
    ("sha2", 96): SPDX.checksumAlgorithm_sha384,
    ("sha2", 128): SPDX.checksumAlgorithm_sha512,
}

# High-value datasets (udata: udata/core/dataset/rdf.py): the implementing regulation, and the EU HVD categories
# udata recognises from a tag equal to the slug of the category's French label (udata/rdf.py).
HVD_LEGISLATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"
HVD_CATEGORIES: dict[str, tuple[str, str]] = {
    "meteorologiques": ("http://data.europa.eu/bna/c_164e0bf5", "Météorologiques"),
    "entreprises-et-propriete-d-entreprises": (
        "http://data.europa.eu/bna/c_a9135398",
        "Entreprises et propriété d'entreprises",
    ),
    "geospatiales": ("http://data.europa.eu/bna/c_ac64a52d", "Géospatiales"),
    "mobilite": ("http://data.europa.eu/bna/c_b79e35eb", "Mobilité"),
    "observation-de-la-terre-et-environnement": (
        "http://data.europa.eu/bna/c_dd313021",
        "Observation de la terre et environnement",
    ),
    "statistiques": ("http://data.europa.eu/bna/c_e1da4e07", "Statistiques"),
}

# OGC web services udata describes as a dcat:DataService (udata: udata/core/dataset/rdf.py).
OGC_SERVICES = ("wms", "wfs", "wmts")
OGC_STANDARD = "http://www.opengeospatial.org/standards/"

# The EU data-theme authority list (http://publications.europa.eu/resource/authority/data-theme),
# with its English labels: DCAT-AP wants a skos:prefLabel on every concept it receives.
DATA_THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "OP_DATPRO": "Provisional data",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
