"""What the graph builders need to describe one dataset, gathered by the caller in one value."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from opencat.domain.accounts import ContactPoint, Organization, User
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.references import License
from opencat.domain.spatial import Zone


@dataclass(frozen=True, slots=True)
class DcatInput:
    """A dataset with its resources, owner, contact points and the reference data they point to.

    ``licenses`` and ``zones`` are looked up by id (a missing entry is simply not described);
    ``now`` is the request's clock, which keeps a harvested modification date set in the future
    out of the resources' ``dct:modified`` as in the JSON API (without it those dates are trusted).
    """

    dataset: Dataset
    resources: Sequence[Resource]
    organization: Organization | None
    owner: User | None
    contact_points: Sequence[ContactPoint]
    licenses: Mapping[str, License]
    zones: Mapping[str, Zone] = field(default_factory=dict)
    now: datetime | None = None
    # Codes of the EU data-theme vocabulary (``TRAN``, ``ENVI``…) the operator mapped its tags to.
    themes: Sequence[str] = ()
