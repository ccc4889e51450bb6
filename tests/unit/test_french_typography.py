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


def test_french_elides_de_before_a_value_starting_with_a_vowel() -> None:
    from markupsafe import Markup

    from opencat.web.render import elided

    assert elided("Membres de ADEME", {"name": "ADEME"}) == "Membres d\u2019ADEME"
    assert elided("Changer le rôle de Élise", {"name": "Élise"}) == "Changer le rôle d\u2019Élise"
    # Consonants, an initial h (which elides only in some words) and numbers keep "de".
    assert elided("Membres de Rennes", {"name": "Rennes"}) == "Membres de Rennes"
    assert elided("Membres de Hautes-Alpes", {"name": "Hautes-Alpes"}) == "Membres de Hautes-Alpes"
    assert elided("plus de 8 fichiers", {"limit": 8}) == "plus de 8 fichiers"
    assert elided("Membres de Yaoundé", {"name": "Yaoundé"}) == "Membres de Yaoundé"
    assert elided("Membres de Yvelines", {"name": "Yvelines"}) == "Membres d\u2019Yvelines"
    # Only the "de" written before the value, as a word of its own.
    assert elided("Retirer Alice de Orléans", {"name": "Alice", "organization": "Orléans"}) == (
        "Retirer Alice d\u2019Orléans"
    )
    assert elided("Monde Alice", {"name": "Alice"}) == "Monde Alice"
    # The pages' sentences are escaped markup: the value is matched as the page holds it.
    sentence = Markup("Membres de ") + "A&B"
    assert elided(sentence, {"name": "A&B"}) == Markup("Membres d\u2019A&amp;B")
    assert isinstance(elided(sentence, {"name": "A&B"}), Markup)
    # A value isolated for its direction controls starts after the isolate's mark.
    assert elided("Membres de \u2068A\u202eB\u2069", {"name": "\u2068A\u202eB\u2069"}) == (
        "Membres d\u2019\u2068A\u202eB\u2069"
    )
