"""Who may read and change what (udata: udata/core/dataset/permissions.py, udata: udata/core/dataset/models.py, visible_by_user)."""

from opencat.domain.accounts import Actor
from opencat.domain.datasets import Dataset

_EDITING_ROLES = ("admin", "editor")


def is_member_or_owner(actor: Actor, dataset: Dataset) -> bool:
    """Owners and members of the owning organization (any role) see the dataset's hidden states."""
    if actor.user is None:
        return False
    if dataset.owner_id is not None and dataset.owner_id == actor.user.id:
        return True
    return actor.role_in(dataset.organization_id) is not None


def can_read(actor: Actor, dataset: Dataset) -> bool:
    if not dataset.private and dataset.deleted is None:
        return True
    return actor.is_sysadmin or is_member_or_owner(actor, dataset)


def can_edit(actor: Actor, dataset: Dataset) -> bool:
    """Sysadmins, the owner, and admins or editors of the organization.

    A partial editor may only edit the datasets assigned to them; assignments are not
    modelled yet, so a partial editor edits nothing.
    """
    if actor.user is None:
        return False
    if actor.is_sysadmin:
        return True
    if dataset.owner_id is not None and dataset.owner_id == actor.user.id:
        return True
    return actor.role_in(dataset.organization_id) in _EDITING_ROLES


def can_publish_in(actor: Actor, organization_id: str) -> bool:
    """Publishing a community resource in an organization's name needs any membership there (or
    sysadmin); datasets ask for more (``can_place_dataset_in``)."""
    return actor.is_sysadmin or actor.role_in(organization_id) is not None


def can_place_dataset_in(actor: Actor, organization_id: str) -> bool:
    """Creating a dataset in an organization, or moving one there: its admins and editors (or a
    sysadmin). udata lets a partial editor create one too and assigns it to them so that they can
    edit it; assignments are not modelled here, so such a dataset would be one its author could
    neither edit nor delete: they are refused instead (docs/compatibility.md)."""
    return actor.is_sysadmin or actor.role_in(organization_id) in _EDITING_ROLES


def organization_permissions(actor: Actor, organization_id: str) -> dict[str, bool]:
    """The ``permissions`` object of an organization reference, for this caller."""
    role = actor.role_in(organization_id)
    admin = actor.is_sysadmin or role == "admin"
    # udata's OrganizationPrivatePermission: every member but a plain one sees the private datasets.
    member = admin or role in ("editor", "partial_editor")
    # udata's order, which API v2 keeps (udata-responses call 101)
    return {"edit": admin, "delete": admin, "members": admin, "harvest": admin, "private": member}
