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


def test_every_french_message_writes_its_apostrophes_curly() -> None:
    """The French catalog writes U+2019 (the right single quotation mark) for an apostrophe: one message had a straight one."""
    catalog_file = files("opencat.web") / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    with catalog_file.open("rb") as po:
        catalog = read_po(po, locale="fr")
    found = []
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [text for text in texts if text and "'" in re.sub(r"<[^>]*>", "", text)]
    assert found == []


def _french(sentence: str, **values: object) -> str:
    """The sentence with its values in place, as the pages' gettext gives it in French."""
    from opencat.web.render import elided

    marks = {name: f"\x00{index}\x00" for index, name in enumerate(values) if isinstance(values[name], str)}
    return elided(sentence % {**values, **marks}, marks, values)


def test_french_elides_de_before_a_value_starting_with_a_vowel() -> None:
    from markupsafe import Markup

    assert _french("Membres de %(name)s", name="ADEME") == "Membres d\u2019ADEME"
    assert _french("Changer le rôle de %(name)s", name="Élise") == "Changer le rôle d\u2019Élise"
    # Consonants, an initial h (which elides only in some words) and numbers keep "de".
    assert _french("Membres de %(name)s", name="Rennes") == "Membres de Rennes"
    assert _french("Membres de %(name)s", name="Hautes-Alpes") == "Membres de Hautes-Alpes"
    assert _french("plus de %(limit)s fichiers", limit=8) == "plus de 8 fichiers"
    assert _french("Membres de %(name)s", name="Yaoundé") == "Membres de Yaoundé"
    assert _french("Membres de %(name)s", name="Yvelines") == "Membres d\u2019Yvelines"
    # Only the "de" written before the value's place: not one of another value's text, nor one
    # of the sentence elsewhere ("Club de" then "Orange Fans" was "Club d'Orange Fans").
    assert _french(
        "Retirer %(name)s de %(organization)s", name="Club de Orange Fans", organization="Orange"
    ) == ("Retirer Club de Orange Fans d\u2019Orange")
    assert _french("Retirer %(name)s %(other)s", name="Club de", other="Orange") == "Retirer Club de Orange"
    assert _french("Monde %(name)s", name="Alice") == "Monde Alice"
    # The pages' sentences are escaped markup: the value is escaped in place.
    sentence = Markup("Membres de %(name)s")
    assert _french(sentence, name="A&B") == Markup("Membres d\u2019A&amp;B")
    assert isinstance(_french(sentence, name="A&B"), Markup)
    # A value isolated for its direction controls starts after the isolate's mark.
    assert (
        _french("Membres de %(name)s", name="\u2068A\u202eB\u2069") == "Membres d\u2019\u2068A\u202eB\u2069"
    )
