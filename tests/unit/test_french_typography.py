"""French puts a no-break space before ``:`` ``;`` ``?`` ``!`` and inside guillemets: a plain space
lets a line break leave the mark alone at the start of the next line (40 messages had one)."""

import re
from importlib.resources import files

from babel.messages.pofile import read_po


def test_every_french_message_keeps_its_marks_with_their_words() -> None:
    catalog_file = files("opencat.web") / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    with catalog_file.open("rb") as po:
        catalog = read_po(po, locale="fr")
    loose = re.compile(r" [:;?!»]|« ")
    found = []
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [text for text in texts if text and loose.search(text)]
    assert found == []
