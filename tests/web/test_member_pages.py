"""An organization's members managed from the browser (``/organizations/{slug}/members/``), on
both databases: only its admins and sysadmins reach the page, the forms' CSRF tokens, adding by
email, changing a role, removing, the last admin kept, the history of each change."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from opencat.catalog import accounts, history, members
from opencat.catalog.context import Catalog
from opencat.domain.errors import Conflict, PermissionDenied
from opencat.domain.history import Key
from opencat.domain.queries import ActivityQuery
from tests.factories import Account, make_org, make_user
from tests.web.publishing import hidden, sign_in

EN = {"Accept-Language": "en"}


def _roles(catalog: Catalog, org_id: str) -> dict[str, str]:
    return {member.user.id: member.role for member in accounts.get_organization(catalog, org_id).members}


def _post(client: TestClient, path: str, page: str, **form: str) -> int:
    csrf = hidden(client.get(page).text, "csrf_token")
    return client.post(path, data={"csrf_token": csrf, **form}, headers=EN).status_code


def test_only_admins_and_sysadmins_reach_the_page(client: TestClient, catalog: Catalog) -> None:
    editor, stranger = make_user(catalog), make_user(catalog)
    org = make_org(catalog, "Métropole", **{editor.user.id: "editor"})
    path = f"/organizations/{org.slug}/members/"
    assert client.get(path).headers["location"] == f"/login?next={path}"
    sign_in(client, catalog, editor)
    forbidden = client.get(path, headers=EN)
    assert forbidden.status_code == 403
    assert "manage its members" in forbidden.text
    assert _post(client, path, "/logout", user=editor.user.email, role="admin") == 403
    assert _roles(catalog, org.id) == {editor.user.id: "editor"}
    other = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(other, catalog, stranger)
    assert other.get(path).status_code == 403
    boss = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(boss, catalog, sysadmin=True)
    page = boss.get(path, headers=EN)
    assert page.status_code == 200
    assert editor.user.email in page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert boss.get("/organizations/no-such-org/members/").status_code == 404


def test_an_admin_adds_changes_and_removes_members(client: TestClient, catalog: Catalog) -> None:
    admin = make_user(catalog, first_name="Ada")
    org = make_org(catalog, "Métropole", **{admin.user.id: "admin"})
    newcomer = make_user(catalog, first_name="Noé")
    sign_in(client, catalog, admin)
    path = f"/organizations/{org.slug}/members/"
    assert f'href="{path}"' in client.get("/account/").text  # the dashboard links to it
    assert _post(client, path, path, user=newcomer.user.email.upper(), role="editor") == 303
    assert _roles(catalog, org.id) == {admin.user.id: "admin", newcomer.user.id: "editor"}
    page = client.get(path, headers=EN).text
    assert "2 members" in page
    assert f'id="role-{newcomer.user.id}"' in page
    assert _post(client, path, path, user=newcomer.user.id, role="admin") == 303
    assert _roles(catalog, org.id)[newcomer.user.id] == "admin"
    assert _post(client, f"{path}{newcomer.user.id}/remove", path) == 303
    assert _roles(catalog, org.id) == {admin.user.id: "admin"}
    # Each change is in the organization's history, by whom.
    entries = history.list_activity(catalog, admin.actor(catalog), ActivityQuery(organization=org.id))
    changes = [e for e in entries.items if e.activity.key == Key.ORGANIZATION_UPDATED]
    assert len(changes) == 3 + 1  # the factory's own membership, then the page's three
    assert {e.actor.id for e in changes[:3] if e.actor is not None} == {admin.user.id}


def test_bad_input_is_refused_beside_its_field(client: TestClient, catalog: Catalog) -> None:
    admin = make_user(catalog)
    org = make_org(catalog, **{admin.user.id: "admin"})
    sign_in(client, catalog, admin)
    path = f"/organizations/{org.slug}/members/"
    csrf = hidden(client.get(path).text, "csrf_token")
    unknown = client.post(path, data={"csrf_token": csrf, "user": "nobody@example.org", "role": "editor"})
    assert unknown.status_code == 400
    assert "Aucun compte n\u2019utilise cette adresse" in unknown.text
    assert 'value="nobody@example.org"' in unknown.text
    other = make_user(catalog)
    for role in ("owner", "partial_editor", ""):
        answer = client.post(
            path, data={"csrf_token": csrf, "user": other.user.email, "role": role}, headers=EN
        )
        assert answer.status_code == 400
        assert "Choose a role in the list." in answer.text
    assert other.user.id not in _roles(catalog, org.id)
    nul = client.post(path, data={"csrf_token": csrf, "user": "a\x00@example.org", "role": "editor"})
    assert nul.status_code == 400  # said beside the field (it was the generic "unreadable form" page)
    assert "Ce champ ne peut contenir de caractère nul." in nul.text
    assert "\x00" not in nul.text
    gone = make_user(catalog)
    accounts.delete_user(catalog, gone.user.id)
    assert (
        client.post(path, data={"csrf_token": csrf, "user": gone.user.email, "role": "editor"}).status_code
        == 400
    )


def test_the_last_admin_stays(client: TestClient, catalog: Catalog) -> None:
    admin, editor = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{admin.user.id: "admin", editor.user.id: "editor"})
    sign_in(client, catalog, admin)
    path = f"/organizations/{org.slug}/members/"
    csrf = hidden(client.get(path).text, "csrf_token")
    demoted = client.post(
        path, data={"csrf_token": csrf, "user": admin.user.id, "role": "editor"}, headers=EN
    )
    assert demoted.status_code == 409
    assert "keeps at least one admin" in demoted.text
    removed = client.post(f"{path}{admin.user.id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 409
    assert _roles(catalog, org.id)[admin.user.id] == "admin"
    # Once someone else is an admin, the first may leave.
    assert (
        client.post(path, data={"csrf_token": csrf, "user": editor.user.id, "role": "admin"}).status_code
        == 303
    )
    assert client.post(f"{path}{admin.user.id}/remove", data={"csrf_token": csrf}).status_code == 303
    assert _roles(catalog, org.id) == {editor.user.id: "admin"}
    assert client.get(path).status_code == 403  # no longer an admin of it
    # Removing someone who is not a member changes nothing.
    stranger = make_user(catalog)
    sysadmin = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(sysadmin, catalog, sysadmin=True)
    token = hidden(sysadmin.get(path).text, "csrf_token")
    assert sysadmin.post(f"{path}{stranger.user.id}/remove", data={"csrf_token": token}).status_code == 303


def test_forms_without_their_csrf_token_are_refused(client: TestClient, catalog: Catalog) -> None:
    admin, editor = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{admin.user.id: "admin", editor.user.id: "editor"})
    sign_in(client, catalog, admin)
    path = f"/organizations/{org.slug}/members/"
    form = {"user": editor.user.id, "role": "admin"}
    assert client.post(path, data=form).status_code == 403
    assert client.post(path, data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post(f"{path}{editor.user.id}/remove", data={"csrf_token": "forged"}).status_code == 403
    assert _roles(catalog, org.id) == {admin.user.id: "admin", editor.user.id: "editor"}


def test_two_admins_removing_each_other_at_once_leave_one(catalog: Catalog) -> None:
    """The organization's row is locked for the change (SQLite serializes writes anyway): of two
    admins removing each other concurrently, exactly one succeeds."""
    first, second = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{first.user.id: "admin", second.user.id: "admin"})
    start = threading.Barrier(2)

    def remove(actor: Account, other: Account) -> str:
        start.wait()
        try:
            members.remove_member(catalog, actor.actor(catalog), org.id, other.user.id)
        except Conflict:
            return "refused"
        except PermissionDenied:
            return "no longer admin"
        return "removed"

    for _ in range(3):
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(lambda pair: remove(*pair), [(first, second), (second, first)]))
        assert outcomes[1] == "removed"
        assert outcomes[0] in ("refused", "no longer admin")
        assert list(_roles(catalog, org.id).values()) == ["admin"]
        # Put the removed admin back for the next round.
        survivor = next(iter(_roles(catalog, org.id)))
        back = second if survivor == first.user.id else first
        accounts.add_member(catalog, org.id, back.user.id, "admin")


def test_a_role_change_keeps_the_date_the_membership_began(catalog: Catalog) -> None:
    admin, member = make_user(catalog), make_user(catalog)
    org = make_org(catalog, "Métropole", **{admin.user.id: "admin", member.user.id: "editor"})

    def since() -> object:
        found = accounts.get_organization(catalog, org.id).members
        return next(m.since for m in found if m.user.id == member.user.id)

    began = since()
    time.sleep(0.01)  # a date written again would be later
    changed = members.set_role(catalog, admin.actor(catalog), org.id, member.user.id, "admin")
    assert (changed.role, changed.since) == ("admin", began)
    assert (
        members.set_role(catalog, admin.actor(catalog), org.id, member.user.email, "editor").role == "editor"
    )
    assert since() == began
    assert _roles(catalog, org.id) == {admin.user.id: "admin", member.user.id: "editor"}


def test_adding_a_member_again_says_so_instead_of_changing_their_role(
    client: TestClient, catalog: Catalog
) -> None:
    """The "Add a member" form changed an existing member's role without a word (udata refuses:
    "User is already member"); a role is changed in the members' list."""
    admin, editor = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{admin.user.id: "admin", editor.user.id: "editor"})
    sign_in(client, catalog, admin)
    path = f"/organizations/{org.slug}/members/"
    csrf = hidden(client.get(path).text, "csrf_token")
    again = client.post(
        path,
        data={"csrf_token": csrf, "user": editor.user.email.upper(), "role": "admin", "adding": "1"},
        headers=EN,
    )
    assert again.status_code == 400
    assert "already a member" in again.text
    assert _roles(catalog, org.id)[editor.user.id] == "editor"
    assert 'name="adding" value="1"' in client.get(path).text  # the add form says it adds


def test_an_admin_who_steps_down_lands_on_the_organizations_page(
    client: TestClient, catalog: Catalog
) -> None:
    """Making oneself an editor was saved, then answered by the members' page's 403."""
    admin, other = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{admin.user.id: "admin", other.user.id: "admin"})
    sign_in(client, catalog, admin)
    path = f"/organizations/{org.slug}/members/"
    csrf = hidden(client.get(path).text, "csrf_token")
    stepped = client.post(path, data={"csrf_token": csrf, "user": admin.user.id, "role": "editor"})
    assert (stepped.status_code, stepped.headers["location"]) == (303, f"/organizations/{org.slug}/")
    assert _roles(catalog, org.id)[admin.user.id] == "editor"


def test_removing_a_member_is_asked_again_on_a_page_of_its_own(client: TestClient, catalog: Catalog) -> None:
    """The list's "Remove" removed at once: one slip took a colleague out of the organization."""
    admin = make_user(catalog, first_name="Ada")
    org = make_org(catalog, "Métropole", **{admin.user.id: "admin"})
    editor = make_user(catalog, first_name="Noé")
    sign_in(client, catalog, admin)
    path = f"/organizations/{org.slug}/members/"
    assert _post(client, path, path, user=editor.user.id, role="editor") == 303
    listed = client.get(path, headers=EN).text
    asking = f"{path}{editor.user.id}/remove"
    assert f'href="{asking}"' in listed
    page = client.get(asking, headers=EN)
    assert page.status_code == 200
    assert f"Remove Noé {editor.user.last_name} from Métropole" in page.text
    assert f'action="{asking}" method="post"' in page.text
    assert _roles(catalog, org.id)[editor.user.id] == "editor"  # asking changed nothing
    french = client.get(asking, headers={"Accept-Language": "fr"}).text
    assert f"Retirer Noé {editor.user.last_name} de Métropole" in french
    assert _post(client, asking, path) == 303
    assert editor.user.id not in _roles(catalog, org.id)
    assert client.get(asking).status_code == 303  # no longer a member: back to the list
    client.cookies.clear()
    assert client.get(asking).status_code == 303  # signed out: to the sign-in page


def test_french_pages_elide_de_before_an_organization_starting_with_a_vowel(
    client: TestClient, catalog: Catalog
) -> None:
    org = make_org(catalog, "ADEME")
    sign_in(client, catalog, sysadmin=True)
    page = client.get(f"/organizations/{org.slug}/members/", headers={"Accept-Language": "fr"}).text
    assert "<h1>Membres d\u2019ADEME</h1>" in page
    assert "de ADEME" not in page
    assert "<h1>Members of ADEME</h1>" in client.get(f"/organizations/{org.slug}/members/", headers=EN).text
