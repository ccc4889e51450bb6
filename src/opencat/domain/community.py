"""Community resources: files or links that any user proposes on someone else's dataset."""

from dataclasses import dataclass

from opencat.domain.accounts import Actor
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.permissions import can_edit, can_read

_EDITING_ROLES = ("admin", "editor")


@dataclass(frozen=True, slots=True)
class CommunityResource:
    resource: Resource
    dataset_id: str | None
    owner_id: str | None
    organization_id: str | None

    @property
    def id(self) -> str:
        return self.resource.id


def can_edit_community(actor: Actor, item: CommunityResource) -> bool:
    """Its owner, admins and editors of its organization, sysadmins; not the dataset's owner (udata: udata/core/dataset/api.py, community resources)."""
    if actor.user is None:
        return False
    if actor.is_sysadmin or (item.owner_id is not None and item.owner_id == actor.user.id):
        return True
    return actor.role_in(item.organization_id) in _EDITING_ROLES


def can_read_community(actor: Actor, item: CommunityResource, dataset: Dataset | None) -> bool:
    """Seen with its dataset: hidden with a private one, except from its own editors."""
    return dataset is None or can_read(actor, dataset) or can_edit_community(actor, item)


def can_remove_community(actor: Actor, item: CommunityResource, dataset: Dataset | None) -> bool:
    """Who may remove a proposal: whoever may edit it, and the editors of the dataset it was
    proposed on, who review what others add to their dataset (opencat's addition: udata's API
    rule for editing and deleting, above, is unchanged)."""
    return can_edit_community(actor, item) or (dataset is not None and can_edit(actor, dataset))
