"""Who owns a dataset, and the checks that depend on its owner (contact points, custom extras)."""

from opencat.db import accounts as db_accounts
from opencat.db.engine import Connection
from opencat.domain import permissions
from opencat.domain.accounts import Actor
from opencat.domain.datasets import Dataset
from opencat.domain.errors import Invalid, Reason, problem

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list,),
}


def _organization_target(conn: Connection, actor: Actor, organization_id: str) -> str:
    if db_accounts.find_organization(conn, organization_id) is None:
        raise Invalid({"organization": [problem(Reason.ORGANIZATION_DOES_NOT_EXIST)]})
    if not permissions.can_place_dataset_in(actor, organization_id):
        raise Invalid({"organization": [problem(Reason.ORGANIZATION_DENIED)]})
    return organization_id


def owner_target(
    conn: Connection, actor: Actor, owner_id: str | None, current_owner: str | None = None
) -> str:
    """The owner an ``owner`` sent names: the caller (sent or not), or any existing user for a
    sysadmin; 400 otherwise, as udata's owner field. ``current_owner``: the user an edited
    object has, whom only a sysadmin replaces (udata asks for a transfer)."""
    caller = actor.user_id or ""
    if owner_id is None:
        return caller
    # udata's field reads the user before it checks who may name them: naming no user is said
    # so to anyone.
    if owner_id != caller and db_accounts.find_user(conn, owner_id) is None:
        raise Invalid({"owner": [problem(Reason.OWNER_UNKNOWN)]})
    if actor.is_sysadmin:
        return owner_id
    if current_owner is not None and owner_id != current_owner:
        raise Invalid({"owner": [problem(Reason.NO_TRANSFER)]})
    if owner_id != caller:
        raise Invalid({"owner": [problem(Reason.OWNER_SELF_ONLY)]})
    return caller


def resolve_ownership(
    conn: Connection,
    actor: Actor,
    owner_id: str | None,
    organization_id: str | None,
    current: Dataset | None,
    organization_cleared: bool = False,
) -> tuple[str | None, str | None]:
    """The new (owner, organization) of a dataset, from the sent ``owner`` and ``organization``
    (None when not sent; ``organization_cleared``: sent as null). An organization replaces the
    owner; only a sysadmin may move an organization's dataset elsewhere, to another organization
    or to a user (``organization: null`` with an ``owner``); a personal dataset may join the
    caller's organization."""
    current_owner = current.owner_id if current is not None else None
    if owner_id is not None:
        # udata's owner field checks it whatever else is sent
        owner_target(conn, actor, owner_id, current_owner)
    if current is None:
        if organization_id is not None:
            return None, _organization_target(conn, actor, organization_id)
        return owner_target(conn, actor, owner_id), None
    if organization_id is not None and organization_id != current.organization_id:
        if current.organization_id is not None and not actor.is_sysadmin:
            raise Invalid({"organization": [problem(Reason.NO_TRANSFER)]})
        return None, _organization_target(conn, actor, organization_id)
    if current.organization_id is not None and organization_cleared:
        # Out of the organization: a transfer (it was a 200 that changed nothing); a sysadmin's
        # names the user it goes to, else the dataset stays where it is.
        if not actor.is_sysadmin:
            raise Invalid({"organization": [problem(Reason.NO_TRANSFER)]})
        if owner_id is not None:
            return owner_target(conn, actor, owner_id), None
    if current.organization_id is None and owner_id is not None:
        return owner_target(conn, actor, owner_id, current_owner), None
    return current.owner_id, current.organization_id


def check_contact_points(conn: Connection, dataset: Dataset) -> None:
    if not dataset.contact_point_ids:
        return
    found = db_accounts.fetch_contact_points(conn, dataset.contact_point_ids)
    for contact_id in dataset.contact_point_ids:
        contact = found.get(contact_id)
        owned = contact is not None and (
            (dataset.organization_id is not None and contact.organization_id == dataset.organization_id)
            or (dataset.owner_id is not None and contact.owner_id == dataset.owner_id)
        )
        if not owned:
            raise Invalid({"contact_points": [problem(Reason.CONTACT_POINT_MISMATCH)]})


def _custom_error(dataset_id: str | None, reason: Reason) -> Invalid:
    # udata reports these from MongoEngine's model validation, a whole-model error.
    return Invalid({"__all__": problem(reason)}, Reason.MODEL_VALIDATION, model="Dataset", id=dataset_id)


def check_custom_extras(conn: Connection, dataset: Dataset, saved: bool = True) -> None:
    """``custom:*`` extras must be declared by the organization, with the declared type."""
    custom = {k[len("custom:") :]: v for k, v in dataset.extras.items() if k.startswith("custom:")}
    if not custom:
        return
    dataset_id = dataset.id if saved else None
    if dataset.organization_id is None:
        raise _custom_error(dataset_id, Reason.CUSTOM_NO_ORGANIZATION)
    organization = db_accounts.find_organization(conn, dataset.organization_id)
    declared = {
        str(spec.get("title")): spec
        for spec in (organization.extras.get("custom") if organization else None) or []
        if isinstance(spec, dict)
    }
    for title, value in custom.items():
        spec = declared.get(title)
        if spec is None:
            raise _custom_error(dataset_id, Reason.CUSTOM_UNDEFINED)
        if spec.get("type") == "choice":
            if value not in (spec.get("choices") or []):
                raise _custom_error(dataset_id, Reason.CUSTOM_CHOICE)
        elif not isinstance(value, _PYTHON_TYPES.get(str(spec.get("type")), (object,))):
            raise _custom_error(dataset_id, Reason.CUSTOM_TYPE)
