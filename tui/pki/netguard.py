"""Which IP addresses an AIA fetch may connect to: one pure decision, no I/O.

A certificate names its caIssuers URLs, so whoever made the certificate chooses where chaindoctor
connects. By default only public unicast addresses are allowed; loopback, private (RFC 1918, shared
address space, unique local) and link-local addresses (the cloud metadata service at 169.254.169.254)
need the user's permission; multicast, reserved and unspecified addresses are never allowed.
IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by that address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

SCHEMES = ("http", "https")  # the only URL schemes chaindoctor fetches

__all__ = ["AddressPolicy", "IPAddress", "Kind", "PUBLIC_ONLY", "kind", "refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Kind(StrEnum):
    """What sort of address an IP address is, as far as fetching from it goes."""

    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link-local"
    MULTICAST = "multicast"
    UNSPECIFIED = "unspecified"
    RESERVED = "reserved"


def _nets(kind: Kind, *cidrs: str) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, Kind]]:
    return [(ipaddress.ip_network(c), kind) for c in cidrs]


# Special-purpose ranges (IANA IPv4 and IPv6 Special-Purpose Address Registries, RFC 6890 and updates).
_TABLE = [
    *_nets(Kind.UNSPECIFIED, "0.0.0.0/8", "::/128"),  # 0/8 is "this network": connecting there reaches this host
    *_nets(Kind.LOOPBACK, "127.0.0.0/8", "::1/128"),
    *_nets(Kind.PRIVATE, "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
           "100.64.0.0/10",  # RFC 6598 shared address space (carrier-grade NAT)
           "fc00::/7",  # RFC 4193 unique local
           "fec0::/10",  # RFC 3879 deprecated site-local
           "64:ff9b:1::/48"),  # RFC 8215 local-use NAT64
    *_nets(Kind.LINK_LOCAL, "169.254.0.0/16", "fe80::/10"),
    *_nets(Kind.MULTICAST, "224.0.0.0/4", "ff00::/8"),
    *_nets(Kind.RESERVED, "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15",
           "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",  # includes 255.255.255.255
           "::/96",  # deprecated IPv4-compatible addresses
           "100::/64", "2001::/23", "2001:db8::/32"),  # discard-only, IETF protocol assignments (Teredo), documentation
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the low 32 bits are the IPv4 address reached


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64 well-known prefix, 6to4)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def kind(ip: IPAddress) -> Kind:
    """Classify ``ip``; anything special-purpose that the table does not name counts as reserved."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return kind(inner)
        ip = ipaddress.IPv6Address(int(ip))  # drop a %scope: it does not change the range
    for net, k in _TABLE:
        if ip.version == net.version and ip in net:
            return k
    return Kind.PUBLIC if ip.is_global else Kind.RESERVED


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses the user allowed; public addresses are always allowed."""

    loopback: bool = False
    private: bool = False  # private and link-local

    @classmethod
    def everything_local(cls) -> AddressPolicy:
        """What ``--aia-private`` allows: loopback, private and link-local addresses too."""
        return cls(loopback=True, private=True)


PUBLIC_ONLY = AddressPolicy()


def refusal(ip: IPAddress, policy: AddressPolicy) -> Kind | None:
    """None when ``policy`` allows connecting to ``ip``, else the kind of address that is refused."""
    k = kind(ip)
    allowed = (k is Kind.PUBLIC or (k is Kind.LOOPBACK and policy.loopback)
               or (k in (Kind.PRIVATE, Kind.LINK_LOCAL) and policy.private))
    return None if allowed else k


def may_be_allowed(k: Kind) -> bool:
    """Whether some policy allows an address of kind ``k`` (multicast, reserved, unspecified: never)."""
    return k in (Kind.PUBLIC, Kind.LOOPBACK, Kind.PRIVATE, Kind.LINK_LOCAL)
