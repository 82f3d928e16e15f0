"""One HTTP/1.1 GET with a wall-clock deadline over all of it, and an address guard, for AIA fetches.

Why not urllib: its timeout applies to each socket operation, so a server sending a byte now and then
keeps a request alive for ever, and it connects wherever the name resolves. Here:

- One deadline covers name resolution, connect, the TLS handshake, the request, the headers, the
  body and every redirect. Name resolution runs in a helper thread that is abandoned (it is a daemon)
  when the deadline passes. Before each socket call the socket's timeout is set to what is left of
  the deadline; a plain ``recv`` waits once and returns what has arrived, and CPython's TLS read,
  write and handshake count their timeout as a total, not per byte (Modules/_ssl.c,
  ``_ssl__SSLSocket_read_impl`` keeps a deadline; ssl docs for ``do_handshake``, changed in 3.5).
- Every address is checked with :mod:`tui.pki.netguard` after resolution, and the connection goes
  to exactly the address checked (the host name stays in the Host header and TLS SNI/verification).
  A redirect is a new request: its address is checked again.
- Only http and https, at most ``max_redirects`` redirects, at most ``max_bytes`` of body.

Proxies from the environment (``http_proxy``, ``https_proxy``, ``no_proxy``) are used, as people
behind corporate proxies need them: http URLs are sent to the proxy in absolute form, https URLs
through a CONNECT tunnel. The proxy is spoken to in plain HTTP whatever scheme its URL names, as
urllib does; SOCKS proxies are not supported (a fetch says so). The proxy itself is the user's choice
and is not checked. The proxy resolves the name, so the address cannot be pinned: a literal address
is checked as usual, and a name is resolved here first and refused if any of its addresses is not
allowed; a name that does not resolve here (networks where only the proxy resolves names) is left
to the proxy and its own policy.
"""

from __future__ import annotations

import base64
import functools
import http.client
import io
import ipaddress
import re
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import netguard
from .netguard import SCHEMES, AddressPolicy, Kind

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["GetError", "get", "proxy_for"]

REDIRECTS = (301, 302, 303, 307, 308)
_HEADROOM = 256 * 1024  # bytes of status line, headers and chunk framing read besides the body
_CHUNK = 64 * 1024
_MAX_ADDRESSES = 4  # addresses of one name tried in turn
_HOST = re.compile(r"[A-Za-z0-9_.-]+")
_SAFE_PATH = "!$&'()*+,;=:@/?%-._~"  # RFC 3986 pchar and query characters, kept as they are

_SockAddr = tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes]
"""A socket address as getaddrinfo gives it: (host, port) for IPv4, (host, port, flow, scope) for IPv6."""
_Address = tuple[int, _SockAddr]
"""(address family, socket address)."""


class GetError(Exception):
    """The request failed; the message is one plain line starting with the URL first asked for."""


class _Timeout(Exception):
    """The deadline passed."""


class _TooBig(Exception):
    """More bytes arrived than allowed."""


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # IDNA-encoded name, or an IP address without brackets
    port: int
    path: str  # path and query, percent-encoded

    @property
    def hostport(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def authority(self) -> str:
        """The Host header: the port only when it is not the scheme's default."""
        default = 443 if self.scheme == "https" else 80
        return self.hostport if self.port != default else self.hostport.rsplit(":", 1)[0]


def _target(url: str, origin: str) -> _Target:
    """Split ``url`` into what a request needs; raise GetError for anything unusable."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise GetError(f"{origin}: bad URL {url} ({err})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise GetError(f"unsupported URL scheme '{scheme or '(none)'}' in {url}" if url == origin
                       else f"{origin}: redirect to {url} refused (only http and https)")
    host = parts.hostname or ""
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = ""
        if not _HOST.fullmatch(host):
            raise GetError(f"{origin}: bad host name in {url}") from None
    path = urllib.parse.quote(parts.path or "/", safe=_SAFE_PATH)
    if parts.query:
        path += "?" + urllib.parse.quote(parts.query, safe=_SAFE_PATH)
    return _Target(url, scheme, host, port or (443 if scheme == "https" else 80), path)


class _Clock:
    """The deadline of one request; ``left()`` is what remains, raising _Timeout when nothing does."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise _Timeout
        return remaining


def _resolve(host: str, port: int, clock: _Clock) -> list[_Address]:
    """(family, sockaddr) for ``host``: a literal address as it is, a name through getaddrinfo in a thread."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [(socket.AF_INET6 if ip.version == 6 else socket.AF_INET, (host, port))]
    found: list[_Address] = []
    errors: list[OSError | UnicodeError] = []

    def work() -> None:
        try:
            found.extend((family, sockaddr) for family, _t, _p, _c, sockaddr in
                         socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as err:
            errors.append(err)

    thread = threading.Thread(target=work, name="chaindoctor-aia-dns", daemon=True)
    thread.start()
    thread.join(clock.left())
    if thread.is_alive():
        raise _Timeout
    if errors:
        raise errors[0]
    return found


def _refusal_text(origin: str, target: _Target, ip: str, kind: Kind) -> str:
    where = "" if target.url == origin else f"redirect to {target.url} "
    who = ip if target.host == ip else f"{target.host} ({ip})"
    why = ", allowed only with --aia-private" if netguard.may_be_allowed(kind) else ""
    return f"{origin}: {where}refused: {who} is a {kind} address{why}"


def _checked(addrs: list[_Address], origin: str, target: _Target, policy: AddressPolicy, *,
             every: bool) -> list[_Address]:
    """The addresses ``policy`` allows; GetError when none is (or, with ``every``, when any is not)."""
    allowed, first_refused = [], None
    for family, sockaddr in addrs:
        ip = ipaddress.ip_address(sockaddr[0])
        kind = netguard.refusal(ip, policy)
        if kind is None:
            allowed.append((family, sockaddr))
        elif first_refused is None:
            first_refused = (str(ip).split("%")[0], kind)
    if first_refused is not None and (every or not allowed):
        raise GetError(_refusal_text(origin, target, *first_refused))
    return allowed


def _connect(addrs: list[_Address], clock: _Clock) -> socket.socket:
    """A TCP connection to the first of ``addrs`` that answers (each one exactly as given)."""
    last: OSError | None = None
    for family, sockaddr in addrs[:_MAX_ADDRESSES]:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(clock.left())
            sock.connect(sockaddr)
            return sock
        except TimeoutError:
            sock.close()
            raise _Timeout from None
        except OSError as err:
            sock.close()
            last = err
        except BaseException:
            sock.close()
            raise
    raise last if last is not None else OSError("no address")


class _Reader(io.RawIOBase):
    """Reads a socket within the deadline and up to ``limit`` bytes in all."""

    def __init__(self, sock: socket.socket, clock: _Clock, limit: int) -> None:
        super().__init__()
        self.sock, self.clock, self.left = sock, clock, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        if self.left < 0:
            raise _TooBig
        self.sock.settimeout(self.clock.left())
        view = memoryview(buffer)
        try:
            n = self.sock.recv_into(view, min(len(view), self.left + 1))
        except TimeoutError:
            raise _Timeout from None
        self.left -= n
        if self.left < 0:
            raise _TooBig
        return n


class _Stream:
    """What http.client.HTTPResponse reads from: a socket behind a bounded reader."""

    def __init__(self, sock: socket.socket, clock: _Clock, limit: int) -> None:
        self.reader = io.BufferedReader(_Reader(sock, clock, limit))

    def makefile(self, mode: str) -> io.BufferedReader[_Reader]:
        return self.reader


def _response(stream: _Stream, method: str) -> http.client.HTTPResponse:
    """An HTTP response read from ``stream`` (HTTPResponse only calls its ``makefile("rb")``)."""
    return http.client.HTTPResponse(stream, method=method)  # type: ignore[arg-type]  # the stub wants a socket


def _send(sock: socket.socket, clock: _Clock, lines: list[str]) -> None:
    sock.settimeout(clock.left())
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
    except TimeoutError:
        raise _Timeout from None


def _proxy(target: _Target) -> urllib.parse.SplitResult | None:
    """The environment's proxy for ``target``, or None (no proxy, or ``no_proxy`` names the host)."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(target.scheme)
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # undocumented, not in typeshed
    if not proxy or bypass(target.host, proxies):
        return None
    return urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")


def proxy_for(url: str) -> str | None:
    """``host:port`` of the environment's proxy a fetch of ``url`` would go through, or None (no proxy,
    ``no_proxy`` names the host, or the URL is not one chaindoctor fetches)."""
    try:
        proxy = _proxy(_target(url, url))
    except (GetError, ValueError):
        return None
    if proxy is None:
        return None
    try:
        port = proxy.port
    except ValueError:
        port = None
    return f"{proxy.hostname or '(no host)'}:{port or 80}"


def _proxy_auth(proxy: urllib.parse.SplitResult) -> list[str]:
    if proxy.username is None:
        return []
    user = urllib.parse.unquote(proxy.username)
    password = urllib.parse.unquote(proxy.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return [f"Proxy-Authorization: Basic {token}"]


def _open_via_proxy(proxy: urllib.parse.SplitResult, origin: str, target: _Target, clock: _Clock,
                    policy: AddressPolicy) -> tuple[socket.socket, str, list[str]]:
    """A connection to the proxy (tunnelled for https); the request target and extra header lines."""
    if proxy.scheme.lower() not in SCHEMES or not proxy.hostname:
        where = f"{proxy.hostname or ''}:{proxy.port}" if proxy.port else proxy.hostname or "(no host)"
        raise GetError(f"{origin}: the {proxy.scheme} proxy {where} is not supported (only http:// proxies)")
    try:
        _checked(_resolve(target.host, target.port, clock), origin, target, policy, every=True)
    except OSError:
        pass  # this machine cannot resolve the name: only the proxy can, and it decides
    sock = _connect(_resolve(proxy.hostname, proxy.port or 80, clock), clock)
    if target.scheme == "http":
        return sock, f"http://{target.authority}{target.path}", _proxy_auth(proxy)
    try:
        _send(sock, clock, [f"CONNECT {target.hostport} HTTP/1.1", f"Host: {target.hostport}",
                            *_proxy_auth(proxy)])
        answer = _response(_Stream(sock, clock, _HEADROOM), "CONNECT")
        answer.begin()
        if answer.status != 200:
            raise GetError(f"{origin}: the proxy refused the tunnel (HTTP {answer.status})")
    except BaseException:
        sock.close()
        raise
    return sock, target.path, []


@functools.cache
def _default_tls() -> ssl.SSLContext:
    from .stores import system_bundle_path  # local import: stores is only needed for https

    return ssl.create_default_context(cafile=system_bundle_path())


def _request(origin: str, target: _Target, clock: _Clock, policy: AddressPolicy, max_bytes: int,
             tls: ssl.SSLContext | None, headers: tuple[str, ...]) -> tuple[int, str | None, bytes]:
    """One request: (status, Location header, body); the body only for a 2xx answer."""
    proxy = _proxy(target)
    extra: list[str] = []
    if proxy is None:
        addrs = _checked(_resolve(target.host, target.port, clock), origin, target, policy, every=False)
        sock, path = _connect(addrs, clock), target.path
    else:
        sock, path, extra = _open_via_proxy(proxy, origin, target, clock, policy)
    try:
        if target.scheme == "https":
            sock = (tls or _default_tls()).wrap_socket(sock, server_hostname=target.host,
                                                       do_handshake_on_connect=False)
            sock.settimeout(clock.left())
            try:
                sock.do_handshake()
            except TimeoutError:
                raise _Timeout from None
        _send(sock, clock, [f"GET {path} HTTP/1.1", f"Host: {target.authority}", *headers, *extra,
                            "Accept-Encoding: identity", "Connection: close"])
        response = _response(_Stream(sock, clock, max_bytes + _HEADROOM), "GET")
        response.begin()
        if not 200 <= response.status < 300:
            return response.status, response.getheader("Location"), b""
        if response.length is not None and response.length > max_bytes:  # the announced Content-Length
            raise _TooBig
        chunks: list[bytes] = []
        total = 0
        while chunk := response.read(min(_CHUNK, max_bytes - total + 1)):
            total += len(chunk)
            if total > max_bytes:
                raise _TooBig
            chunks.append(chunk)
        return response.status, None, b"".join(chunks)
    finally:
        sock.close()


def get(url: str, *, timeout: float, policy: AddressPolicy, max_bytes: int, max_redirects: int,
        headers: tuple[str, ...] = (), tls: ssl.SSLContext | None = None) -> bytes:
    """The body of ``url`` after at most ``max_redirects`` redirects, all within ``timeout`` seconds.

    ``headers`` are extra request header lines; ``tls`` replaces the default verifying context.
    Raises :class:`GetError` with one line for every failure.
    """
    clock = _Clock(timeout)
    late = f"{url}: timed out after {round(timeout, 2):g} s"
    current, redirects = url, 0
    try:
        while True:
            status, location, body = _request(url, _target(current, url), clock, policy, max_bytes, tls, headers)
            if status not in REDIRECTS or not location:
                break
            redirects += 1
            if redirects > max_redirects:
                raise GetError(f"{url}: too many redirects (more than {max_redirects})")
            current = urllib.parse.urljoin(current, location.strip())
    except (_Timeout, TimeoutError):
        raise GetError(late) from None
    except _TooBig:
        raise GetError(f"{url}: larger than {_size(max_bytes)}") from None
    except ssl.SSLCertVerificationError as err:
        raise GetError(f"{url}: TLS: {err.verify_message or err.reason}") from None
    except ssl.SSLError as err:
        raise GetError(f"{url}: TLS: {err.reason or err}") from None
    except http.client.HTTPException as err:
        raise GetError(f"{url}: bad HTTP response ({type(err).__name__})") from None
    except socket.gaierror as err:
        raise GetError(f"{url}: cannot resolve the host name: {err.strerror or err}") from None
    except (OSError, ValueError, UnicodeError) as err:
        raise GetError(f"{url}: cannot connect: {getattr(err, 'strerror', None) or err}") from None
    if not 200 <= status < 300:
        raise GetError(f"{url}: HTTP {status}")
    return body


def _size(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} bytes"
