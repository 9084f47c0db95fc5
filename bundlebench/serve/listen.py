"""The listening socket of `bundlebench serve`: bound before anything is served, so that
a port in use or a bad host is one sentence, and port 0 tells the real port."""

from __future__ import annotations

import errno
import ipaddress
import socket

from bundlebench.errors import BundlebenchError


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it is written in a URL (an IPv6 address goes in brackets)."""
    return f"[{host}]" if ":" in host else host


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: a free port), or BundlebenchError."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise BundlebenchError(f"cannot serve on host {host!r}: it is not an address of this "
                               f"machine ({error}); leave out --host for 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    try:
        # A port left in TIME_WAIT by the last run may be reused; one that is listening
        # is still refused (EADDRINUSE).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise BundlebenchError(_bind_sentence(error, host, port)) from None
    sock.setblocking(False)
    return sock


def _bind_sentence(error: OSError, host: str, port: int) -> str:
    if error.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use: stop what listens there, or pick "
                "another port with --port (--port 0 picks a free one)")
    if error.errno == errno.EACCES:
        return (f"port {port} on {host} needs more privileges: pick a port above 1023 with "
                "--port (--port 0 picks a free one)")
    if error.errno == errno.EADDRNOTAVAIL:
        return f"cannot serve on {host}: it is not an address of this machine; check --host"
    return f"cannot listen on {host} port {port}: {error.strerror or error}"
