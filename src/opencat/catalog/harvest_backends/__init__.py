"""The kinds of remote catalogs opencat harvests, by name."""

from opencat.catalog.harvest_backends.ckan import CkanBackend
from opencat.catalog.harvest_backends.datajson import DataJsonBackend
from opencat.catalog.harvest_backends.dcat import DcatBackend
from opencat.domain.harvest import Backend

BACKENDS: dict[str, Backend] = {
    "dcat": DcatBackend(),
    "ckan": CkanBackend(),
    "datajson": DataJsonBackend(),
}
