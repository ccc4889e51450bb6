"""Network addresses: which ones a link check may reach, and the system's ways to find and reach them."""

import ipaddress
import socket
from collections.abc import Callable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# The two seams of check_link. Resolve maps an ASCII host name and a port to IP address strings and
# raises OSError (socket.gaierror) when it cannot; Connect opens a TCP connection to one IP address
# with a timeout. Tests pass fakes to reach a local server under a public-looking name.
Resolve = Callable[[str, int], Sequence[str]]
Connect = Callable[[str, int, float], socket.socket]


def is_public_address(address: Address) -> bool:
    """Whether a check may connect to ``address``: it and any IPv4 address it carries are global."""
    if isinstance(address, ipaddress.IPv6Address) and not all(
        is_public_address(inner) for inner in _embedded_ipv4(address)
    ):
        return False
    # is_global alone is not enough: it is true for multicast and for the reserved ::/8 forms such as
    # ::127.0.0.1; and it is what excludes shared address space (100.64.0.0/10, carrier-grade NAT).
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 hosts that IPv4-mapped, 6to4 and Teredo addresses lead to.

    Only 6to4 (2002::/16) looks global by itself; the mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96)
    forms lie in the reserved ::/8 and Teredo in 2001::/23, but judging the carried host costs nothing.
    """
    embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    return [inner for inner in embedded if inner is not None]


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (the default ``resolve``)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def connect_tcp(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to one IP address (the default ``connect``); no name is looked up here."""
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except OSError:
        sock.close()
        raise
    return sock
