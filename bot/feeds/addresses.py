"""Which hosts feeds may be fetched from: public addresses only, unless the operator allows more.

Feeds are added from Discord by any server's managers. Without this, a feed URL such as
`http://127.0.0.1:8080/admin` or `http://169.254.169.254/latest/meta-data/` would make the bot
fetch from its own machine or network (SSRF) and show the answer's status and errors in
`/announce status`. Two layers:

- `url_problem()` at `/announce add`: a clear answer at once for literal addresses and local names;
- `public_socket()` at connect time, for every address a name resolves to, after redirects too,
  so a public name that resolves (or later re-resolves) to a private address gets nowhere.

`FEED_ALLOW_PRIVATE=1` turns both off (a feed on the bot's own network; the tests' feed server).

May import: bot.archive, bot.feeds; never discord.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# Names that only mean something inside a network (RFC 6761, RFC 6762, RFC 8375, common use).
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".lan", ".home.arpa")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(host: str) -> IPAddress | None:
    """The address a host names literally (IPv4-mapped IPv6 unwrapped), or None for a name."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def describe(ip: IPAddress) -> str | None:
    """Why an address is not public ("a loopback address", ...), or None when it is public."""
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None


def url_problem(url: str) -> str | None:
    """Why a feed URL points inside a network (a sentence for the user), or None if it does not."""
    host = (urlsplit(url).hostname or "").lower()
    ip = parse_ip(host)
    if ip is not None:
        reason = describe(ip)
        return None if reason is None else f"{host} is {reason}"
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(LOCAL_SUFFIXES):
        return f"{host} is a local host name"
    if "." not in name:
        return f"{host} is not a public host name (it has no domain)"
    return None


def public_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """aiohttp's socket_factory: a socket, unless the address to connect to is not public."""
    family, type_, proto, _, address = addr_info
    ip = parse_ip(str(address[0]).split("%", 1)[0])
    reason = "not an IP address" if ip is None else describe(ip)
    if reason is not None:
        log.warning("refused to fetch a feed from %s: %s", address[0], reason)
        # errno + message: aiohttp shows the message (strerror) in its connection error.
        raise OSError(errno.EACCES, f"refused: {address[0]} is {reason}")
    return socket.socket(family=family, type=type_, proto=proto)
