"""Guarding outbound fetches: scheme check, DNS resolution, private-address refusal.

Algorithm:
1. Only ``http`` and ``https`` URLs with a host are accepted.
2. The host is resolved once (``getaddrinfo``); if any address is private,
   loopback, link-local, multicast, reserved or unspecified (IPv4-mapped
   IPv6 addresses are unwrapped first), the URL is refused unless private
   addresses are allowed.
3. The caller connects to the checked address itself (``pinned``), sending
   the original host name in ``Host`` and for TLS (SNI and certificate
   checks), so a second DNS answer cannot point the request elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from silcrow.tools.base import ToolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Target:
    url: httpx.URL
    host: str
    address: str


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified
    )  # fmt: skip


def parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ToolError(f"{url!r} is not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise ToolError(f"{url!r}: only http and https URLs can be fetched")
    if not parsed.host:
        raise ToolError(f"{url!r} has no host name")
    return parsed


async def resolve_target(url: str, *, allow_private: bool) -> Target:
    """The URL plus one checked address to connect to, or ``ToolError``."""
    parsed = parse_url(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(parsed.host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ToolError(f"cannot resolve {parsed.host}: {exc.strerror or exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise ToolError(f"{parsed.host} has no addresses")
    if not allow_private:
        blocked = [str(a) for a in addresses if not is_public(a)]
        if blocked:
            raise ToolError(
                f"{parsed.host} resolves to a private or local address ({blocked[0]}); "
                "fetching it is refused (a person can allow private addresses in the settings)"
            )
    return Target(parsed, parsed.host, str(addresses[0]))


def pinned_request(client: httpx.AsyncClient, target: Target) -> httpx.Request:
    """A GET to the checked address, keeping the original host for Host and TLS."""
    url = target.url.copy_with(host=target.address)
    headers = {
        "Host": target.url.netloc.decode("ascii"),
        "Accept": "text/html,text/plain;q=0.9,*/*;q=0.5",
    }
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    return client.build_request("GET", url, headers=headers, extensions=extensions)
