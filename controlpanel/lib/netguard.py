"""Where notification receivers may send: public addresses, plus the private networks an operator
lists (``CP_NOTIFY_ALLOWED_NETWORKS``). Stops a receiver URL from probing the panel's own host or
network (SSRF): loopback, link-local (cloud metadata at 169.254.169.254), private ranges, and the
rest of the special-purpose space are refused unless listed.

``resolve()`` returns the checked addresses; callers connect to one of those (not to the name
again), so a DNS answer that changes between the check and the connection cannot redirect them.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(ValueError):
    """The destination is not one the panel sends to; the message says why."""


def networks(cidrs: Iterable[str]) -> list[Network]:
    """Parse CIDRs ("10.0.0.0/8", "127.0.0.1"); raises ValueError naming a bad one."""
    out = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"CP_NOTIFY_ALLOWED_NETWORKS: {cidr!r} is not a network (CIDR)") from None
    return out


def address_refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    """Why the panel will not send to ``address``, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in allowed):
        return None
    if address.is_multicast or address.is_unspecified:
        return f"{address} is not a host address"
    if not address.is_global:
        kind = (
            "loopback"
            if address.is_loopback
            else "link-local"
            if address.is_link_local
            else "private"
            if address.is_private
            else "reserved"
        )
        return (
            f"{address} is a {kind} address; the panel sends only to public addresses unless "
            "CP_NOTIFY_ALLOWED_NETWORKS lists it"
        )
    return None


def resolve(host: str, port: int, allowed: Sequence[Network]) -> list[str]:
    """Resolve ``host`` and check every address; returns them (all allowed) or raises."""
    if not host:
        raise DestinationRefused("the URL has no host")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DestinationRefused(f"{host}: cannot resolve ({exc})") from None
    addresses = sorted({info[4][0] for info in infos})
    for raw in addresses:
        reason = address_refusal(ipaddress.ip_address(raw.split("%")[0]), allowed)
        if reason:
            raise DestinationRefused(f"{host}: {reason}")
    return addresses
