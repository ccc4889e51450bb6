"""The kinds of remote catalog opencat harvests, by the name a source gives as its backend."""

from opencat.catalog.harvest_backends.udata import UdataBackend
from opencat.domain.harvest import Backend

BACKENDS: dict[str, Backend] = {
    "udata": UdataBackend(),
}
