"""The dataset form's completions, on both databases: contact points chosen among the user's and
their organizations' (the API's rule, checked by its use case), and the API's errors in French on
a French page."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import get_dataset
from opencat.db import accounts as db_accounts
from opencat.domain.accounts import ContactPoint
from tests.factories import make_org, make_user
from tests.web.publishing import sign_in
from tests.web.test_dataset_forms import EN, NEW, _error_beside, _fields


def _contact(catalog: Catalog, name: str, owner_id: str | None = None, org_id: str | None = None) -> str:
    contact = ContactPoint(
        catalog.new_object_id(), name, f"{name.lower()}@example.org", None, "contact", owner_id, org_id
    )
    with catalog.db.write() as conn:
        db_accounts.insert_contact_point(conn, contact)
    return contact.id


def test_contact_points_are_chosen_among_the_users_and_organizations(
    client: TestClient, catalog: Catalog
) -> None:
    me = sign_in(client, catalog)
    mine_org = make_org(catalog, "Métropole", **{me.user.id: "editor"})
    other_org = make_org(catalog, "Ailleurs")
    stranger = make_user(catalog)
    mine = _contact(catalog, "Paula", owner_id=me.user.id)
    of_org = _contact(catalog, "Accueil", org_id=mine_org.id)
    foreign = _contact(catalog, "Autre", org_id=other_org.id)
    strangers = _contact(catalog, "Inconnu", owner_id=stranger.user.id)
    page = client.get(NEW, headers=EN).text
    for shown in (mine, of_org):
        assert f'value="{shown}"' in page
    for hidden_id in (foreign, strangers):
        assert f'value="{hidden_id}"' not in page
    form = _fields(client, NEW) | {"title": "Comptages", "description": "D", "action": "save"}
    created = client.post(NEW, data={**form, "contact_points": [mine]})
    assert created.status_code == 303, created.text
    slug = created.headers["location"].split("/")[2]
    dataset = get_dataset(catalog, me.actor(catalog), slug).dataset
    assert dataset.contact_point_ids == (mine,)
    edit = client.get(f"/datasets/{slug}/edit/", headers=EN).text
    assert f'value="{mine}" checked' in edit
    assert f'value="{of_org}" checked' not in edit
    # The API's rule: a contact point of the dataset's owner (here: me), not my organization's.
    refused = client.post(NEW, data={**form, "contact_points": [of_org]})
    assert refused.status_code == 400
    assert _error_beside(refused.text, "f-contact-points") == (
        "Point de contact inconnu, ou qui n\u2019appartient pas au producteur du jeu de données"
    )
    forged = client.post(NEW, data={**form, "contact_points": [foreign]}, headers=EN)
    assert forged.status_code == 400
    assert "contact point ownership mismatch" in _error_beside(forged.text, "f-contact-points")
    in_org = client.post(NEW, data={**form, "organization": mine_org.id, "contact_points": [of_org]})
    assert in_org.status_code == 303
    # Unticking every box removes them.
    path = f"/datasets/{slug}/edit/"
    edited = client.post(path, data=_fields(client, path) | {"title": "Comptages", "description": "D"})
    assert edited.status_code == 303
    assert get_dataset(catalog, me.actor(catalog), slug).dataset.contact_point_ids == ()


def test_the_apis_errors_are_french_on_a_french_page(client: TestClient, catalog: Catalog) -> None:
    sign_in(client, catalog)
    form = _fields(client, NEW) | {
        "title": "T" * 351,
        "description": "D",
        "tags": "a, vélo",
        "action": "save",
    }
    french = client.post(NEW, data=form)
    assert french.status_code == 400
    assert _error_beside(french.text, "f-title") == "Ce champ ne peut dépasser 350 caractères."
    english = client.post(NEW, data=form, headers=EN)
    assert _error_beside(english.text, "f-title") == "Field cannot be longer than 350 characters."
    form["title"] = "T"
    french = client.post(NEW, data=form)
    assert _error_beside(french.text, "f-tags").startswith("Le mot-clé «\u00a0a\u00a0» doit compter entre")
    form |= {"tags": "", "zones": "nowhere:at-all"}
    french = client.post(NEW, data=form)
    assert _error_beside(french.text, "f-zones") == "Zone(s) inconnue(s)\u00a0: nowhere:at-all"
    form |= {"zones": "", "frequency": "every blue moon"}
    french = client.post(NEW, data=form)
    assert _error_beside(french.text, "f-frequency") == (
        "&#39;every blue moon&#39; n\u2019est pas une fréquence de mise à jour valide."
    )
    english = client.post(NEW, data=form, headers=EN)
    assert (
        _error_beside(english.text, "f-frequency")
        == "&#39;every blue moon&#39; is not a valid UpdateFrequency"
    )
    form |= {"frequency": "", "tags": ", ".join(f"t{n:04d}" for n in range(1001))}
    french = client.post(NEW, data=form)
    assert _error_beside(french.text, "f-tags") == "1000 mots-clés au plus sont acceptés."
    form |= {"tags": "", "organization": "zzz"}  # only a crafted form sends it
    french = client.post(NEW, data=form)
    assert "Identifiant non reconnu\u00a0: zzz" in french.text
    # A granularity's error is said beside the granularity, not the zones.
    form |= {"organization": "", "granularity": "planet"}
    french = client.post(NEW, data=form)
    assert french.status_code == 400
    assert _error_beside(french.text, "f-granularity")
    assert 'id="f-zones-error"' not in french.text


def test_the_form_runs_its_suggestion_script_and_nothing_else(client: TestClient, catalog: Catalog) -> None:
    sign_in(client, catalog)
    page = client.get(NEW)
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert '<script src="/static/suggest.js" defer></script>' in page.text
    assert 'data-suggest="tags"' in page.text
    assert 'data-suggest="zones"' in page.text
    script = client.get("/static/suggest.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/api/1/tags/suggest/" in script.text
    assert "script-src" not in client.get("/").headers["content-security-policy"]


def test_every_contact_point_ticked_is_kept(client: TestClient, catalog: Catalog) -> None:
    """The form offered every contact point a publisher may use, but kept the first 100 ticked."""
    me = sign_in(client, catalog)
    many = [_contact(catalog, f"Guichet {number}", owner_id=me.user.id) for number in range(130)]
    form = _fields(client, NEW) | {"title": "Guichets", "description": "D", "action": "save"}
    created = client.post(NEW, data={**form, "contact_points": many})
    assert created.status_code == 303, created.text
    slug = created.headers["location"].split("/")[2]
    assert set(get_dataset(catalog, me.actor(catalog), slug).dataset.contact_point_ids) == set(many)
