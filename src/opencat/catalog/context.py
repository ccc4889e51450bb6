"""What every use case needs: the database and the sources of time and identity."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from opencat.db.engine import Database
from opencat.domain import ids
from opencat.domain.dates import utc_now


@dataclass(frozen=True)
class Catalog:
    db: Database
    clock: Callable[[], datetime] = field(default=utc_now)
    new_object_id: Callable[[], str] = field(default=ids.new_object_id)
    new_resource_id: Callable[[], str] = field(default=ids.new_resource_id)
