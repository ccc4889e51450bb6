"""RDF terms made from user text and URLs, safe for every serializer (udata: udata/core/dataset/rdf.py).

udata replaces XML-illegal characters by ``?`` and lets a URL with a space break some serializers;
here text loses those characters and a URL is percent-escaped into a valid IRI, or dropped.
"""

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit

from rdflib import Literal, URIRef

from opencat.dcat.namespaces import XSD
from opencat.domain.dates import as_utc, parse_datetime
from opencat.domain.links import LINK_SCHEMES
from opencat.domain.xml import xml_safe

# XML 1.0 §2.11: a parser reads CR LF and a lone CR as LF, so RDF/XML could not round-trip them.
_CARRIAGE_RETURN = re.compile("\r\n?")

# RFC 3987: a scheme, then unreserved and reserved ASCII characters, well-formed percent escapes,
# at most one "#", and the Basic Multilingual Plane part of ``ucschar``. Anything else is escaped.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_VALID_IRI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?:[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef]|%[0-9A-Fa-f]{2})*"
    r"(?:#(?:[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef]|%[0-9A-Fa-f]{2})*)?"
)
_ASCII_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?[]@!$&'()*+,;=")
_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}")
_HEX_BINARY = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def clean_text(value: str) -> str:
    """Text any serialization can carry and any parser gives back unchanged."""
    value = xml_safe(value)
    if "\r" in value:
        value = _CARRIAGE_RETURN.sub("\n", value)
    return value


def text(value: str) -> Literal:
    return Literal(clean_text(value))


def iri(value: str | None) -> URIRef | None:
    """``value`` as an absolute IRI, escaped where needed; None when it is not an absolute URL
    (a web address without a host, or with a port that is no number, is none)."""
    if not value:
        return None
    value = value.strip()
    if not _VALID_IRI.fullmatch(value) or _BIDI.search(value):
        if not _SCHEME.match(value):
            return None
        value = _escape(value)
    if "[" in value or "]" in value or "@" in value:
        # Brackets stand only around an IP address, the whole host (``http://[::1`` is none, nor
        # ``/[1]/`` in a path), and one ``@`` ends the user part: RDF/XML parsers resolve every
        # IRI and fail the whole document on such a one, and strict IRI checkers refuse it.
        value = _authority_escaped(value)
    parts = _split(value)
    if parts is None:
        return None
    if parts.scheme.lower() in _WEB_SCHEMES and not _well_formed_host(parts):
        return None
    return URIRef(value)


# Schemes whose IRIs name a host: one without it, or with a port that is no number, is no address.
_WEB_SCHEMES = frozenset({"http", "https", "ftp", "ftps"})
# RFC 3987 §4.1: bidirectional formatting characters must not appear in an IRI (they make it read
# otherwise than it is): escaped.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_AUTHORITY = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#]*)(.*)", re.DOTALL)


def _bracketless(text: str) -> str:
    return text.replace("[", "%5B").replace("]", "%5D")


# A host that is an IP literal, whole, with its port: the one place brackets stand as they are.
_IP_LITERAL_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\](?::[0-9]*)?")


def _authority_escaped(value: str) -> str:
    """Brackets escaped but around a host that is an IP literal (``http://[::1]:8080/``), and
    every ``@`` of the user part but the one that ends it."""
    found = _AUTHORITY.fullmatch(value)
    if found is None:
        return _bracketless(value)
    scheme, authority, rest = found.groups()
    user, at, host = authority.rpartition("@")
    if ("[" in host or "]" in host) and not _IP_LITERAL_HOST.fullmatch(host):
        host = _bracketless(host)
    return scheme + _bracketless(user).replace("@", "%40") + at + host + _bracketless(rest)


def _well_formed_host(parts: SplitResult) -> bool:
    if parts.netloc and ":" not in parts.netloc and "@" not in parts.netloc:
        return True  # a bare host name: the common case, read no further (the export's path)
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is no number
    except ValueError:
        return False
    return bool(parts.hostname)


def _split(value: str) -> SplitResult | None:
    try:
        return urlsplit(value)
    except ValueError:
        return None


def web_iri(value: str | None) -> URIRef | None:
    """``iri`` of a web or FTP address only: a page, a download or a service a reader follows
    (a ``javascript:`` one a load of documents or a remote catalog stored is none)."""
    found = iri(value)
    if found is None or str(found).split(":", 1)[0].lower() not in LINK_SCHEMES:
        return None
    return found


def own(url: str) -> URIRef:
    """One of our URLs: ids and slugs in it may come from imported data, so it is escaped too."""
    return iri(url) or URIRef(url)


def _escape(value: str) -> str:
    escaped: list[str] = []
    fragment = False
    for index, char in enumerate(value):
        if char == "%" and _HEX_PAIR.match(value, index + 1):
            escaped.append(char)
        elif char == "#" and not fragment:
            fragment = True
            escaped.append(char)
        elif char in _ASCII_SAFE or (_is_ucschar(ord(char)) and not _BIDI.match(char)):
            escaped.append(char)
        elif not 0xD800 <= ord(char) <= 0xDFFF:  # a lone surrogate has no UTF-8 form: dropped
            escaped.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
    return "".join(escaped)


def _is_ucschar(code: int) -> bool:
    if 0xA0 <= code <= 0xD7FF or 0xF900 <= code <= 0xFDCF or 0xFDF0 <= code <= 0xFFEF:
        return True
    # RFC 3987's ucschar leaves out plane 14's tags (U+E0000 to U+E0FFF).
    in_planes = 0x10000 <= code <= 0xDFFFD or 0xE1000 <= code <= 0xEFFFD
    return in_planes and code & 0xFFFF <= 0xFFFD


def mailto(email: str | None) -> URIRef | None:
    return iri(f"mailto:{email.strip()}") if email and email.strip() else None


def date_time(value: datetime) -> Literal:
    """An ``xsd:dateTime`` in UTC (naive values are UTC in udata, udata: udata/mongo/datetime_fields.py)."""
    return Literal(as_utc(value).isoformat(), datatype=XSD.dateTime)


def day(value: date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


def hex_binary(value: str) -> Literal | None:
    """An ``xsd:hexBinary`` literal, or None when ``value`` is not one (the shapes check it)."""
    value = value.strip()
    return Literal(value, datatype=XSD.hexBinary) if _HEX_BINARY.fullmatch(value) else None


def parse_when(value: Any) -> datetime | None:
    """A date of harvest metadata, kept as a string or a datetime; None when unreadable."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return parse_datetime(value)
        except ValueError:
            return None
    return None
