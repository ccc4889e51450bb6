"""Ports for the servers the tests start (opencat, PostgreSQL, SMTP, proxies).

A port the kernel hands out for ``bind(0)`` comes from its ephemeral range, the range every
outgoing connection's local port comes from too: between the probe and the server's own bind,
another test's connection could take it ("already in use", seen in a CI run). These ports come
from below that range instead, a block per pytest-xdist worker so that two workers never pick
the same one, each probed before it is handed out."""

import itertools
import os
import random
import socket
from pathlib import Path

_BLOCK = 1500  # ports per xdist worker
_BLOCKS = 8  # workers with a block of their own; more share them (and still probe)
# From a random place in the block: two runs on one machine at once do not walk it in step.
_handed_out = itertools.count(random.randrange(_BLOCK))


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _worker_index() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # "gw3"
    digits = name.removeprefix("gw")
    return int(digits) % _BLOCKS if digits.isdigit() else 0


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nothing listens on, outside the ephemeral range when the machine leaves room for it."""
    first = _ephemeral_start() - _BLOCKS * _BLOCK
    if first >= 1024:
        block = first + _worker_index() * _BLOCK
        for _ in range(_BLOCK):
            port = block + next(_handed_out) % _BLOCK
            if _bindable(port):
                return port
    with socket.socket() as probe:  # no room below the range (or the block is full): the kernel's
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
