"""Fetch missing issuers from AIA caIssuers URLs, with hard bounds.

A certificate chooses the URLs, so everything here assumes a hostile certificate and server:

- one fetch (name resolution, connect, TLS, headers, body, redirects) ends within its timeout;
- one walk (every fetch of one repair) ends within :data:`WALK_BUDGET` seconds, tries at most
  :data:`MAX_URLS_PER_CERT` URLs of one certificate and :data:`MAX_URLS` in all, and climbs at most
  :data:`MAX_DEPTH` certificates;
- bodies are capped at :data:`MAX_BYTES`, redirects at :data:`MAX_REDIRECTS`, only http and https;
- loopback, private and link-local addresses are refused unless allowed (:mod:`tui.pki.netguard`);
- a fetched certificate is kept only if it really signed the one below it.

A cap that stops the walk is said in the walk's notes. The HTTP client, its deadline and its proxy
support are in :mod:`tui.pki.httpget`.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID

from .netguard import PUBLIC_ONLY, SCHEMES, AddressPolicy

if TYPE_CHECKING:
    import ssl

__all__ = ["AIAError", "FETCH_TIMEOUT", "MAX_BYTES", "MAX_DEPTH", "MAX_REDIRECTS", "MAX_URLS", "MAX_URLS_PER_CERT",
           "WALK_BUDGET", "Walk", "aia_urls", "certificates", "fetch_issuers", "follow_chain", "hosts",
           "planned_urls"]

FETCH_TIMEOUT = 5.0  # seconds for one fetch, redirects included (front ends may pass less)
WALK_BUDGET = 15.0  # seconds for all AIA fetches of one repair or check
MAX_URLS_PER_CERT = 4  # caIssuers URLs tried for one certificate
MAX_URLS = 12  # URLs tried in one walk
MAX_DEPTH = 8  # certificates fetched one above the other
MAX_REDIRECTS = 3  # per fetch
MAX_BYTES = 1 << 20  # body of one response

_HEADERS = ("User-Agent: chaindoctor (AIA issuer fetch)",
            "Accept: application/pkix-cert, application/pkcs7-mime, application/x-x509-ca-cert, "
            "application/x-pem-file, */*;q=0.5")


class AIAError(Exception):
    """A fetch failed; the message is one plain line starting with the URL."""


def aia_urls(cert: x509.Certificate) -> list[str]:
    """The caIssuers URLs of *cert*, in order, without duplicates ([] if none or malformed)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    except Exception:  # noqa: BLE001 - absent, duplicated or malformed extensions all mean "no URL"
        return []
    return list(dict.fromkeys(
        desc.access_location.value for desc in ext.value
        if desc.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        and isinstance(desc.access_location, x509.UniformResourceIdentifier)))


def _fetchable(url: str) -> bool:
    try:
        return urllib.parse.urlsplit(url).scheme.lower() in SCHEMES
    except ValueError:
        return False


def planned_urls(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """(the URLs of ``cert`` a walk tries, in order; those it leaves out): http(s) first, at most
    :data:`MAX_URLS_PER_CERT`."""
    urls = sorted(aia_urls(cert), key=lambda u: not _fetchable(u))
    return urls[:MAX_URLS_PER_CERT], urls[MAX_URLS_PER_CERT:]


def hosts(urls: list[str]) -> list[str]:
    """The distinct ``host`` or ``host:port`` of the http(s) ``urls``, in order."""
    out: dict[str, None] = {}
    for url in urls:
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError:
            continue
        if parts.scheme.lower() in SCHEMES and parts.hostname:
            out[parts.hostname + (f":{port}" if port is not None else "")] = None
    return list(out)


def _parse(body: bytes) -> list[x509.Certificate]:
    """Certificates from a DER/PEM certificate or a DER/PEM PKCS#7 bundle."""
    certs: list[x509.Certificate] = []
    if b"-----BEGIN" in body:
        try:
            certs.extend(x509.load_pem_x509_certificates(body))
        except (ValueError, x509.InvalidVersion):  # InvalidVersion is not a ValueError
            pass
        if b"PKCS7" in body:
            try:
                certs.extend(_pkcs7_certificates(body, pem=True))
            except (ValueError, UnsupportedAlgorithm):
                pass
        return certs
    try:
        return [x509.load_der_x509_certificate(body)]
    except (ValueError, x509.InvalidVersion):
        pass
    try:
        return _pkcs7_certificates(body, pem=False)
    except (ValueError, UnsupportedAlgorithm):
        return []


def certificates(url: str, body: bytes) -> list[x509.Certificate]:
    """The certificates in a body fetched from ``url``; :class:`AIAError` when there is none."""
    certs = _parse(body)
    if not certs:
        raise AIAError(f"{url}: not a certificate")
    return certs


def fetch_issuers(
    url: str,
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    addresses: AddressPolicy = PUBLIC_ONLY,
    tls: ssl.SSLContext | None = None,
) -> list[x509.Certificate]:
    """Download *url* and return the certificate(s) in it; raise :class:`AIAError`.

    ``timeout`` bounds the whole fetch, redirects included; ``addresses`` says which non-public
    addresses may be contacted; ``tls`` replaces the default verifying TLS context.
    """
    from . import httpget  # the HTTP client (socket, ssl, http.client) only when something is fetched

    try:
        body = httpget.get(url, timeout=timeout, policy=addresses, max_bytes=max_bytes,
                           max_redirects=max_redirects, headers=_HEADERS, tls=tls)
    except httpget.GetError as err:
        raise AIAError(str(err)) from None
    return certificates(url, body)


def _pkcs7_certificates(body: bytes, *, pem: bool) -> list[x509.Certificate]:
    """The certificates of a PKCS#7 bundle; the module loads only for one (it imports email)."""
    from cryptography.hazmat.primitives.serialization import pkcs7

    return pkcs7.load_pem_pkcs7_certificates(body) if pem else pkcs7.load_der_pkcs7_certificates(body)


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def _signed_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer and _signed_by(cert, cert)


class Walk:
    """What one walk may still spend: a wall-clock budget and a number of URLs, shared by every
    :func:`follow_chain` call of one repair. ``stopped`` says why it stopped early, once it has."""

    def __init__(self, *, timeout: float = FETCH_TIMEOUT, seconds: float = WALK_BUDGET, urls: int = MAX_URLS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout, self.seconds, self.urls = timeout, seconds, urls
        self._clock = clock
        self._end = clock() + seconds
        self.tried = 0
        self.stopped: str | None = None

    def stop(self, reason: str) -> None:
        """Spend the walk: nothing more is fetched, and ``reason`` is the note that says why."""
        if self.stopped is None:
            self.stopped = reason

    def take(self, url: str) -> float | None:
        """The timeout for fetching ``url`` now, or None when the walk may fetch nothing more."""
        if self.tried >= self.urls:
            self.stop(f"AIA: stopped after {self.urls} URLs, the most one run fetches; "
                      f"{url} and any further ones were not fetched")
        self.check_time(f"; {url} and any further ones were not fetched")
        if self.stopped is not None:
            return None
        self.tried += 1
        return min(self.timeout, self._end - self._clock())

    def check_time(self, more: str = "") -> None:
        """Stop the walk if its time is up."""
        if self._clock() >= self._end:
            self.stop(f"AIA: stopped after {self.seconds:g} s, the time allowed for all AIA fetches of one run{more}")


def _name(cert: x509.Certificate) -> str:
    try:
        return cert.subject.rfc4514_string() or "the certificate below"
    except ValueError:  # a name cryptography cannot render
        return "the certificate below"


def _issuer_of(current: x509.Certificate, fetch: Callable[..., list[x509.Certificate]], walk: Walk,
               notes: list[str]) -> tuple[list[x509.Certificate], str]:
    """The fetched certificates that signed ``current`` (from its first URL that has any), and that URL."""
    urls, left_out = planned_urls(current)
    for url in urls:
        timeout = walk.take(url)
        if timeout is None:
            break
        try:
            candidates = fetch(url, timeout=timeout)
        except AIAError as err:
            notes.append(str(err))
            walk.check_time()  # say so when this fetch spent the walk's last seconds
            continue
        signers = [c for c in candidates if _signed_by(current, c)]
        if signers:
            return signers, url
        notes.append(f"{url}: the certificate there did not sign {_name(current)}")
    if left_out:
        notes.append(f"AIA: {_name(current)} names {len(urls) + len(left_out)} caIssuers URLs; only the first "
                     f"{MAX_URLS_PER_CERT} were tried")
    return [], ""


def follow_chain(
    cert: x509.Certificate,
    *,
    fetch: Callable[..., list[x509.Certificate]] = fetch_issuers,
    max_depth: int = MAX_DEPTH,
    is_known: Callable[[x509.Certificate], bool] = lambda c: False,
    walk: Walk | None = None,
) -> tuple[list[tuple[x509.Certificate, str]], list[str]]:
    """Walk up from *cert* through AIA URLs; return ([(issuer, url), ...], notes).

    ``fetch(url, timeout=...)`` gets what is left of the per-fetch timeout and of ``walk``'s budget.
    Each level keeps only a fetched certificate that really signed the one below. The walk stops
    after a self-signed or ``is_known`` certificate (which is still returned; callers filter), at a
    certificate without AIA, after ``max_depth`` fetched certificates, when it would loop, or when
    ``walk`` is spent. http(s) URLs are tried before others; a level stops at its first good URL.
    The notes hold every failed fetch and each cap that stopped the walk.
    """
    walk = walk if walk is not None else Walk()
    was_stopped = walk.stopped is not None
    found: list[tuple[x509.Certificate, str]] = []
    notes: list[str] = []
    seen = {_fingerprint(cert)}
    current = cert
    while walk.stopped is None and not _self_signed(current) and aia_urls(current):
        if len(found) >= max_depth:
            walk.stop(f"AIA: stopped at the limit of {max_depth} certificates fetched one above the other")
            break
        signers, source = _issuer_of(current, fetch, walk, notes)
        fresh = [c for c in signers if _fingerprint(c) not in seen]
        if not fresh:  # nothing found, or a loop: every signer found is already on the path
            break
        seen.add(_fingerprint(fresh[0]))
        found.append((fresh[0], source))
        if is_known(fresh[0]):
            break
        current = fresh[0]
    if walk.stopped is not None and not was_stopped:
        notes.append(walk.stopped)
    return found, notes
