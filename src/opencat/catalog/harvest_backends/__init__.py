"""The kinds of remote catalog opencat harvests, by the name a source gives as its backend."""

from opencat.catalog.harvest_backends.ckan import CkanBackend
from opencat.catalog.harvest_backends.datajson import DataJsonBackend
from opencat.catalog.harvest_backends.dcat import DcatBackend
from opencat.catalog.harvest_backends.udata import UdataBackend
from opencat.domain.harvest import DELAY_CONFIG, Backend, ConfigKey

BACKENDS: dict[str, Backend] = {
    "dcat": DcatBackend(),
    "ckan": CkanBackend(),
    "datajson": DataJsonBackend(),
    "udata": UdataBackend(),
}

# The ``config`` keys each backend reads, then the run's own (``delay``, every backend).
EXTRA_CONFIGS: dict[str, tuple[ConfigKey, ...]] = {
    backend.name: (*backend.extra_configs, DELAY_CONFIG)
    for backend in (DcatBackend, CkanBackend, DataJsonBackend, UdataBackend)
}
