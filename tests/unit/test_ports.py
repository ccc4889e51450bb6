"""The test servers' ports come from below the ephemeral range, distinct, each bindable."""

import socket

from tests.ports import _ephemeral_start, free_port


def test_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(50)]

    assert len(set(ports)) == 50
    assert all(1024 <= port < _ephemeral_start() for port in ports)
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_skipped() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        used = taken.getsockname()[1]
        assert used not in {free_port() for _ in range(1500)}
