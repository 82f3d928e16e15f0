"""The address decision for AIA fetches: every non-public range refused unless the policy allows it."""

from __future__ import annotations

import ipaddress

import pytest

from tui.pki.netguard import PUBLIC_ONLY, AddressPolicy, Kind, kind, may_be_allowed, refusal

LOOPBACK_ONLY = AddressPolicy(loopback=True)
LOCAL = AddressPolicy.everything_local()  # what --aia-private allows

# address -> its kind; each range of the guard with its first, a middle and its last address where it matters
TABLE = {
    # public
    "1.1.1.1": Kind.PUBLIC, "8.8.8.8": Kind.PUBLIC, "93.184.216.34": Kind.PUBLIC, "172.15.255.255": Kind.PUBLIC,
    "172.32.0.0": Kind.PUBLIC, "100.63.255.255": Kind.PUBLIC, "100.128.0.0": Kind.PUBLIC, "11.0.0.1": Kind.PUBLIC,
    "2606:4700:4700::1111": Kind.PUBLIC, "2001:4860:4860::8888": Kind.PUBLIC,
    "::ffff:8.8.8.8": Kind.PUBLIC, "64:ff9b::808:808": Kind.PUBLIC, "2002:808:808::1": Kind.PUBLIC,
    # loopback
    "127.0.0.1": Kind.LOOPBACK, "127.255.255.254": Kind.LOOPBACK, "127.1.2.3": Kind.LOOPBACK, "::1": Kind.LOOPBACK,
    "::ffff:127.0.0.1": Kind.LOOPBACK, "64:ff9b::7f00:1": Kind.LOOPBACK, "2002:7f00:1::1": Kind.LOOPBACK,
    # private
    "10.0.0.1": Kind.PRIVATE, "10.255.255.255": Kind.PRIVATE, "172.16.0.1": Kind.PRIVATE,
    "172.31.255.255": Kind.PRIVATE, "192.168.0.1": Kind.PRIVATE, "192.168.255.255": Kind.PRIVATE,
    "100.64.0.1": Kind.PRIVATE, "100.127.255.255": Kind.PRIVATE, "fc00::1": Kind.PRIVATE, "fd00::1": Kind.PRIVATE,
    "fdff:ffff::1": Kind.PRIVATE, "fec0::1": Kind.PRIVATE, "64:ff9b:1::a00:1": Kind.PRIVATE,
    "::ffff:10.0.0.1": Kind.PRIVATE, "::ffff:192.168.1.1": Kind.PRIVATE, "64:ff9b::a00:1": Kind.PRIVATE,
    "2002:a00:1::1": Kind.PRIVATE,
    # link-local (169.254.169.254 is the cloud metadata service)
    "169.254.169.254": Kind.LINK_LOCAL, "169.254.0.1": Kind.LINK_LOCAL, "fe80::1": Kind.LINK_LOCAL,
    "febf:ffff::1": Kind.LINK_LOCAL, "fe80::1%1": Kind.LINK_LOCAL, "::ffff:169.254.169.254": Kind.LINK_LOCAL,
    "64:ff9b::a9fe:a9fe": Kind.LINK_LOCAL,
    # multicast
    "224.0.0.1": Kind.MULTICAST, "239.255.255.250": Kind.MULTICAST, "ff02::1": Kind.MULTICAST,
    "ff05::1:3": Kind.MULTICAST, "::ffff:224.0.0.1": Kind.MULTICAST,
    # unspecified and "this network"
    "0.0.0.0": Kind.UNSPECIFIED, "0.1.2.3": Kind.UNSPECIFIED, "::": Kind.UNSPECIFIED,
    "::ffff:0.0.0.0": Kind.UNSPECIFIED,
    # reserved, documentation, benchmarking, broadcast, deprecated and special-purpose
    "240.0.0.1": Kind.RESERVED, "255.255.255.255": Kind.RESERVED, "192.0.2.1": Kind.RESERVED,
    "198.51.100.1": Kind.RESERVED, "203.0.113.1": Kind.RESERVED, "198.18.0.1": Kind.RESERVED,
    "192.0.0.1": Kind.RESERVED, "192.88.99.1": Kind.RESERVED, "2001:db8::1": Kind.RESERVED,
    "100::1": Kind.RESERVED, "2001::1": Kind.RESERVED, "::10.0.0.1": Kind.RESERVED, "::8.8.8.8": Kind.RESERVED,
}


@pytest.mark.parametrize(("address", "expected"), sorted(TABLE.items()))
def test_kind(address: str, expected: Kind) -> None:
    assert kind(ipaddress.ip_address(address)) is expected


@pytest.mark.parametrize(("address", "expected"), sorted(TABLE.items()))
def test_refusal_by_policy(address: str, expected: Kind) -> None:
    ip = ipaddress.ip_address(address)
    public = expected is Kind.PUBLIC
    assert refusal(ip, PUBLIC_ONLY) is (None if public else expected)
    assert (refusal(ip, LOOPBACK_ONLY) is None) == (expected in (Kind.PUBLIC, Kind.LOOPBACK))
    assert (refusal(ip, LOCAL) is None) == may_be_allowed(expected)
    assert (refusal(ip, AddressPolicy(private=True)) is None) == (expected in (Kind.PUBLIC, Kind.PRIVATE,
                                                                                Kind.LINK_LOCAL))


def test_never_allowed_kinds() -> None:
    assert {k for k in Kind if not may_be_allowed(k)} == {Kind.MULTICAST, Kind.UNSPECIFIED, Kind.RESERVED}


def test_policies() -> None:
    assert PUBLIC_ONLY == AddressPolicy(loopback=False, private=False)
    assert LOCAL == AddressPolicy(loopback=True, private=True)
