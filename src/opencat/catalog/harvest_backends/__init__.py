"""The kinds of remote catalog opencat harvests, by the name a source gives as its backend."""

from opencat.catalog.harvest_backends.ckan import CkanBackend
from opencat.catalog.harvest_backends.datajson import DataJsonBackend
from opencat.catalog.harvest_backends.dcat import DcatBackend
from opencat.catalog.harvest_backends.udata import UdataBackend
from opencat.domain.harvest import Backend

BACKENDS: dict[str, Backend] = {
    "dcat": DcatBackend(),
    "ckan": CkanBackend(),
    "datajson": DataJsonBackend(),
    "udata": UdataBackend(),
}
