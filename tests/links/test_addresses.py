"""The SSRF guard's address rule: only globally routable addresses may be reached."""

import ipaddress

import pytest

from opencat.links.addresses import is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2606:2800:220:1:248:1893:25c8:1946",
        "2a00:1450:4007:80e::2004",
        "2002:5db8:d822::",  # 6to4 of 93.184.216.34
    ],
)
def test_global_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "127.255.255.254",
        "::1",
        "10.0.0.1",  # private
        "172.16.0.1",
        "192.168.1.1",
        "fc00::1",  # unique local
        "169.254.169.254",  # link-local, cloud metadata
        "fe80::1",
        "fe80::1%eth0",
        "224.0.0.1",  # multicast: is_global is true for it
        "ff02::1",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "0.0.0.0",  # unspecified
        "::",
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible: is_global is true for it
        "2002:7f00:1::",  # 6to4 of 127.0.0.1: is_global is true for it
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo of 127.0.0.1
    ],
)
def test_local_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


def test_6to4_addresses_are_judged_by_the_ipv4_address_they_carry() -> None:
    # The 6to4 prefix alone looks global, so only the carried address can refuse it.
    assert ipaddress.ip_address("2002:7f00:1::").is_global
    assert not is_public_address(ipaddress.ip_address("2002:7f00:1::"))
    assert is_public_address(ipaddress.ip_address("2002:5db8:d822::"))
