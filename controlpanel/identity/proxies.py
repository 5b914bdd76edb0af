"""Trusted proxy addresses: which peers may vouch for a user with a header. [pure]"""

from __future__ import annotations

import ipaddress
import re

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProxyAddressError(ValueError):
    """A malformed entry of CP_TRUSTED_PROXIES; the message names it."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.1.0.0/16 ::1"`` -> networks. Host bits set in a network are refused (a typo)."""
    networks = []
    for entry in (e for e in re.split(r"[,\s]+", text or "") if e):
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except ValueError as exc:
            raise ProxyAddressError(
                f"CP_TRUSTED_PROXIES: {entry!r} is not an address or network ({exc})"
            ) from exc
    return tuple(networks)


def is_trusted(address: str | None, networks: tuple[Network, ...]) -> bool:
    """Whether the peer ``address`` (REMOTE_ADDR) is one of the trusted proxies."""
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)
