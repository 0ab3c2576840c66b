"""Where an address someone typed into Pulse points. Webhooks and chat alerts post only to
the internet: never to this machine or a private network, so that nobody can make the
server call inside its own walls (and a name is resolved again when posting, as it may
have been pointed inside since it was saved)."""

import ipaddress
import socket


def address_inside(host: str) -> bool:
    """A host name of this machine (localhost) or an IP address that is not a global unicast
    address: loopback, private, link-local, reserved or multicast. Other names: False (see
    `host_resolves_inside`)."""
    host = host.split("%")[0].rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global or address.is_multicast


def host_addresses(host: str, port: int | None = None) -> set[str] | None:
    """The addresses a host name resolves to now; None when it does not resolve."""
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, port)}
    except (OSError, UnicodeError):
        return None


def host_resolves_inside(host: str) -> bool:
    """The host is inside (address_inside), or a name with an address inside; a name that
    does not resolve is not (posting to it fails on its own, with a clearer error)."""
    return address_inside(host) or any(address_inside(address) for address in host_addresses(host) or ())
