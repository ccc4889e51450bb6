"""Text that any XML document can carry (XML 1.0 §2.2), for the Atom feed and RDF alike."""

import re

# C0 controls other than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """``value`` with each character XML cannot hold replaced by ``?``, as udata does: the reader
    sees that something was there."""
    if _XML_ILLEGAL.search(value):
        return _XML_ILLEGAL.sub("?", value)
    return value
