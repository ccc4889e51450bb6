"""The contact points a harvest run gives its datasets: each one a source names becomes a contact
point of the dataset's owner (the source's organization, else its owner), found again by its name,
email, form and role rather than made twice, as udata's harvester does (``get_or_create``). One that
udata's model would refuse (a ``contact`` without email or form, a bad email, a URL in its name) is
left out, as udata leaves it out."""

from collections.abc import Callable, Iterable

from opencat.catalog.contact_points import problems
from opencat.db import accounts as db_accounts
from opencat.db.engine import Connection
from opencat.domain.accounts import ContactPoint
from opencat.domain.harvest import RemoteContact

_Key = tuple[str, str | None, str | None, str]


def acceptable(contact: RemoteContact) -> bool:
    """Whether udata's model would save it."""
    return not problems(contact.name, contact.email, contact.contact_form, contact.role, name_required=False)


class ContactPoints:
    """The contact points of one owner, made on demand within the caller's transaction."""

    def __init__(
        self, conn: Connection, owner_id: str | None, organization_id: str | None, new_id: Callable[[], str]
    ) -> None:
        self.conn = conn
        self.owner_id = None if organization_id else owner_id
        self.organization_id = organization_id
        self.new_id = new_id
        self._known: dict[_Key, str] | None = None

    def ids(self, contacts: Iterable[RemoteContact]) -> tuple[str, ...]:
        """The ids of these contacts' points (made if new), in their order, each once; none when
        the source has no owner to hold them."""
        if self.owner_id is None and self.organization_id is None:
            return ()
        found: list[str] = []
        for contact in contacts:
            if not acceptable(contact):
                continue
            found.append(self._id(contact))
        return tuple(dict.fromkeys(found))

    def _id(self, contact: RemoteContact) -> str:
        known = self._existing()
        key = (contact.name, contact.email, contact.contact_form, contact.role)
        if key not in known:
            made = ContactPoint(
                self.new_id(),
                contact.name,
                contact.email,
                contact.contact_form,
                contact.role,
                self.owner_id,
                self.organization_id,
            )
            db_accounts.insert_contact_point(self.conn, made)
            known[key] = made.id
        return known[key]

    def _existing(self) -> dict[_Key, str]:
        """The owner's contact points, read once (the oldest of equal ones wins)."""
        if self._known is None:
            db_accounts.lock_contact_points(self.conn, self.organization_id or self.owner_id or "")
            orgs = [self.organization_id] if self.organization_id else []
            points = db_accounts.contact_points_of(self.conn, self.owner_id or "", orgs)
            self._known = {}
            for point in sorted(points, key=lambda point: point.id):
                if point.owner_id == self.owner_id and point.organization_id == self.organization_id:
                    key = (point.name or "", point.email, point.contact_form, point.role)
                    self._known.setdefault(key, point.id)
        return self._known
