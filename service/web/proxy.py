"""Which reverse proxy the app believes: the client's address, scheme and host it forwards.

The app decides this itself, the same way under every WSGI server: `tthc-monitor serve` tells
waitress to hand the X-Forwarded-* headers over untouched (waitress would otherwise drop them,
and trusting them in both places would count the proxies twice), and gunicorn never rewrites
REMOTE_ADDR. A request whose peer is [security] trusted_proxy takes each value `proxy_hops`
entries from the right of its header, since every proxy appends what it saw (nginx's
$proxy_add_x_forwarded_for); fewer entries than hops means the request skipped the outer
proxies, and the leftmost entry is then the farthest address known. Every other request has
the headers removed, so a client talking to the server directly claims no address and no HTTPS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import BadRequest

# Forwarding headers as WSGI keys: read from a trusted proxy, removed from every request.
FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
FORWARDED_PROTO = "HTTP_X_FORWARDED_PROTO"
FORWARDED_HOST = "HTTP_X_FORWARDED_HOST"
FORWARDING_HEADERS = (FORWARDED_FOR, FORWARDED_PROTO, FORWARDED_HOST, "HTTP_X_FORWARDED_PORT",
                      "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def peer_address(text: str | None) -> IPAddress | None:
    """An address as a socket reports it; an IPv4 peer of a dual-stack socket as IPv4."""
    try:
        address = ipaddress.ip_address((text or "").strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def hop_value(header: str, hops: int) -> str | None:
    """The entry `hops` places from the right of a comma-separated header (or its leftmost)."""
    entries = [entry.strip() for entry in header.split(",") if entry.strip()]
    if not entries:
        return None
    return entries[-min(hops, len(entries))]


class TrustedProxy:
    """WSGI middleware: believe the forwarding headers of one proxy (address or network)."""

    def __init__(self, app: WSGIApp, proxy: str, hops: int) -> None:
        self.app = app
        self.proxy: Network | None = ipaddress.ip_network(proxy) if proxy else None
        self.hops = hops

    def trusts(self, peer: str | None) -> bool:
        """Whether the connection comes from the configured proxy."""
        address = peer_address(peer)
        return self.proxy is not None and address is not None and address in self.proxy

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        forwarded = {key: environ.pop(key) for key in FORWARDING_HEADERS if key in environ}
        if self.trusts(environ.get("REMOTE_ADDR")):
            try:
                self.apply(environ, forwarded)
            except BadRequest as refused:
                return refused(environ, start_response)
        return self.app(environ, start_response)

    def apply(self, environ: dict[str, Any], forwarded: dict[str, str]) -> None:
        """Set the client's address, scheme and host from the proxy's headers."""
        client = hop_value(forwarded.get(FORWARDED_FOR, ""), self.hops)
        if client is not None:
            address = peer_address(client)
            if address is None:
                # Keeping the proxy's own address would hand this client the proxy's rights
                # (/metrics, one shared rate-limit bucket).
                raise BadRequest("X-Forwarded-For from the proxy names no IP address.")
            environ["REMOTE_ADDR"] = str(address)
        scheme = (hop_value(forwarded.get(FORWARDED_PROTO, ""), self.hops) or "").lower()
        if scheme in ("http", "https"):
            environ["wsgi.url_scheme"] = scheme
        host = hop_value(forwarded.get(FORWARDED_HOST, ""), self.hops)
        if host:
            # Werkzeug reads the host from HTTP_HOST whenever it is present.
            environ["HTTP_HOST"] = host
