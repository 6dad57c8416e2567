"""Which outbound targets a preview fetch may reach (the SSRF guard).

A link in a chat message is chosen by any user, so the server must never become a way
to reach its own network: only http(s), only allowed ports, and every address a host
resolves to must be public unless the admin listed that host or network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A host name the admin lists may resolve into these (their LAN), never to loopback,
# link-local or other special ranges: those need their network listed explicitly.
LAN_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_PORTS = frozenset({80, 443})
SCHEME_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048

Resolver = Callable[[str, int], Awaitable[list[str]]]


class PreviewRefusedError(Exception):
    """The target may not be fetched, or the fetch did not give anything usable."""


class MalformedLinkError(ValueError):
    """The text is not an absolute http(s) URL with a host."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    url: str
    """The URL to request: no user info, no fragment."""


def parse_link(text: str) -> SplitResult:
    """Split a link a user posted, or say why it is not one we could ever preview."""
    if not text or len(text) > MAX_URL_LENGTH or any(ch.isspace() for ch in text):
        raise MalformedLinkError("Send an absolute http or https URL (at most 2048 characters).")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as error:
        raise MalformedLinkError("That URL cannot be parsed.") from error
    if parts.scheme.lower() not in SCHEME_PORTS or not parts.hostname:
        raise MalformedLinkError("Only absolute http and https URLs have previews.")
    return parts


def target_of(url: str) -> Target:
    """The request target of a URL (also every redirect hop); raises PreviewRefusedError."""
    try:
        parts = parse_link(url)
    except MalformedLinkError as error:
        raise PreviewRefusedError(str(error)) from error
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" not in host:
        try:
            # The name as DNS and the HTTP client spell it, so the pinned answer matches.
            host = host.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise PreviewRefusedError("the host name is not valid") from error
    port = parts.port or SCHEME_PORTS[scheme]
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return Target(scheme, host, port, f"{scheme}://{netloc}{path}{query}")


def embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if int(address) >> 32 == 0:
            return ipaddress.IPv4Address(int(address))
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in NAT64_NETWORK:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.teredo is not None:
        return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class TargetPolicy:
    """Allowed ports, plus the admin's list of private hosts and networks."""

    ports: frozenset[int] = DEFAULT_PORTS
    private_hosts: frozenset[str] = frozenset()
    private_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_lists(cls, private_entries: Iterable[str], extra_ports: Iterable[int]) -> TargetPolicy:
        """Entries are host names (``*.lan`` for a whole domain) or IP networks."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in private_entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(DEFAULT_PORTS | frozenset(extra_ports), frozenset(hosts), tuple(networks))

    def host_listed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.private_hosts or any(
            entry.startswith("*.") and host.endswith(entry[1:]) for entry in self.private_hosts
        )

    def address_allowed(self, host: str, raw_address: str) -> bool:
        """Whether ``host`` may be reached at this resolved address."""
        try:
            address = ipaddress.ip_address(raw_address)
        except ValueError:
            return False
        effective = embedded_ipv4(address)
        if any(ip.is_unspecified or ip.is_multicast for ip in (address, effective)):
            return False
        if any(ip in network for ip in (address, effective) for network in self.private_networks):
            return True
        if is_public(effective):
            return True
        return self.host_listed(host) and any(effective in net for net in LAN_NETWORKS)

    def check_target(self, target: Target) -> None:
        if target.port not in self.ports:
            raise PreviewRefusedError(f"port {target.port} is not allowed")


async def system_resolve(host: str, port: int) -> list[str]:
    """All addresses the system resolver gives for ``host``."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def checked_addresses(policy: TargetPolicy, resolve: Resolver, target: Target) -> list[str]:
    """Resolve once and return the addresses, or refuse if any of them is not allowed.

    Every address must pass, as a name that answers one public and one private address
    could otherwise be steered to the private one at connect time.
    """
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = await resolve(target.host, target.port)
        except OSError as error:
            raise PreviewRefusedError(f"cannot resolve {target.host}") from error
    if not addresses:
        raise PreviewRefusedError(f"{target.host} has no address")
    for address in addresses:
        if not policy.address_allowed(target.host, address):
            raise PreviewRefusedError(f"{target.host} resolves to a non-public address")
    return list(dict.fromkeys(addresses))
