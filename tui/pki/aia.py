"""Fetch missing issuers from AIA caIssuers URLs, with hard bounds.

Only http and https are fetched (redirects too); bodies are capped in size,
redirects in number, and every connect and read has a timeout. Proxies from
the environment (``http_proxy``, ``https_proxy``, ``no_proxy``) are honoured,
as people behind corporate proxies need them.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID

__all__ = ["AIAError", "aia_urls", "fetch_issuers", "follow_chain"]

_SCHEMES = ("http", "https")
_USER_AGENT = "chaindoctor (AIA issuer fetch)"
_ACCEPT = ("application/pkix-cert, application/pkcs7-mime, "
           "application/x-x509-ca-cert, application/x-pem-file, */*;q=0.5")
_CHUNK = 64 * 1024
# A server trickling bytes cannot hold one fetch longer than this many timeouts.
_TOTAL_TIMEOUTS = 3


class AIAError(Exception):
    """A fetch failed; the message is one plain line starting with the URL."""


def aia_urls(cert: x509.Certificate) -> list[str]:
    """The caIssuers URLs of *cert*, in order, without duplicates ([] if none or malformed)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    except Exception:  # noqa: BLE001 - absent, duplicated or malformed extensions all mean "no URL"
        return []
    urls: list[str] = []
    for desc in ext.value:
        if desc.access_method != AuthorityInformationAccessOID.CA_ISSUERS:
            continue
        loc = desc.access_location
        if isinstance(loc, x509.UniformResourceIdentifier) and loc.value not in urls:
            urls.append(loc.value)
    return urls


class _BoundedRedirects(urllib.request.HTTPRedirectHandler):
    """Counts redirects and lets them go only to http/https URLs."""

    def __init__(self, origin: str, max_redirects: int) -> None:
        super().__init__()
        self.origin = origin
        self.limit = max_redirects
        self.count = 0
        self.max_redirections = max_redirects + 1  # ours fires first, with a clear message

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in _SCHEMES:
            raise AIAError(f"{self.origin}: redirect to {newurl} refused (only http and https)")
        self.count += 1
        if self.count > self.limit:
            raise AIAError(f"{self.origin}: too many redirects (more than {self.limit})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        # The stdlib refuses some schemes itself before redirect_request; check first.
        location = headers.get("location") or headers.get("uri")
        if location:
            newurl = urllib.parse.urljoin(req.full_url, location)
            if urllib.parse.urlsplit(newurl).scheme.lower() not in _SCHEMES:
                raise AIAError(f"{self.origin}: redirect to {newurl} refused (only http and https)")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _size(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} bytes"


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
                certs.extend(pkcs7.load_pem_pkcs7_certificates(body))
            except (ValueError, UnsupportedAlgorithm):
                pass
        return certs
    try:
        return [x509.load_der_x509_certificate(body)]
    except (ValueError, x509.InvalidVersion):
        pass
    try:
        return list(pkcs7.load_der_pkcs7_certificates(body))
    except (ValueError, UnsupportedAlgorithm):
        return []


def fetch_issuers(
    url: str,
    *,
    timeout: float = 5.0,
    max_bytes: int = 1 << 20,
    max_redirects: int = 3,
    opener: urllib.request.OpenerDirector | None = None,
) -> list[x509.Certificate]:
    """Download *url* and return the certificate(s) in it; raise :class:`AIAError`.

    ``opener`` replaces the default one (env proxies + bounded redirects);
    a custom opener must enforce its own redirect policy.
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise AIAError(f"unsupported URL scheme '{scheme or '(none)'}' in {url}")
    if opener is None:
        opener = urllib.request.build_opener(_BoundedRedirects(url, max_redirects))
    req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, "Accept": _ACCEPT})
    timed_out = AIAError(f"{url}: timed out after {timeout:g} s")
    too_big = AIAError(f"{url}: larger than {_size(max_bytes)}")
    deadline = time.monotonic() + _TOTAL_TIMEOUTS * timeout
    try:
        with opener.open(req, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            if length and length.strip().isdigit() and int(length) > max_bytes:
                raise too_big
            chunks: list[bytes] = []
            total = 0
            while True:
                chunk = resp.read(min(_CHUNK, max_bytes - total + 1))
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise too_big
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise timed_out
            body = b"".join(chunks)
    except AIAError:
        raise
    except urllib.error.HTTPError as err:
        raise AIAError(f"{url}: HTTP {err.code}") from None
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, TimeoutError):
            raise timed_out from None
        if isinstance(reason, OSError):
            reason = reason.strerror or str(reason)
        raise AIAError(f"{url}: cannot connect: {reason}") from None
    except TimeoutError:
        raise timed_out from None
    except http.client.HTTPException as err:
        raise AIAError(f"{url}: bad HTTP response ({type(err).__name__})") from None
    except (OSError, ValueError) as err:
        raise AIAError(f"{url}: {err}") from None
    certs = _parse(body)
    if not certs:
        raise AIAError(f"{url}: not a certificate")
    return certs


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


def follow_chain(
    cert: x509.Certificate,
    *,
    fetch: Callable[[str], list[x509.Certificate]] = fetch_issuers,
    max_depth: int = 8,
    is_known: Callable[[x509.Certificate], bool] = lambda c: False,
) -> tuple[list[tuple[x509.Certificate, str]], list[str]]:
    """Walk up from *cert* through AIA URLs; return ([(issuer, url), ...], error lines).

    Each level keeps only a fetched certificate that really signed the one
    below. The walk stops after a self-signed or ``is_known`` certificate
    (which is still returned; callers filter), at a certificate without AIA,
    after ``max_depth`` fetched certificates, or when it would loop.
    http(s) URLs are tried before others; a level stops at its first good URL.
    """
    found: list[tuple[x509.Certificate, str]] = []
    errors: list[str] = []
    seen = {_fingerprint(cert)}
    current = cert
    while len(found) < max_depth and not _self_signed(current):
        urls = sorted(aia_urls(current),
                      key=lambda u: urllib.parse.urlsplit(u).scheme.lower() not in _SCHEMES)
        issuer: x509.Certificate | None = None
        source = ""
        for url in urls:
            try:
                candidates = fetch(url)
            except AIAError as err:
                errors.append(str(err))
                continue
            signers = [c for c in candidates if _signed_by(current, c)]
            if not signers:
                errors.append(f"{url}: the certificate there did not sign "
                              f"{current.subject.rfc4514_string() or 'the certificate below'}")
                continue
            fresh = [c for c in signers if _fingerprint(c) not in seen]
            if not fresh:  # a loop: every signer found is already on the path
                return found, errors
            issuer, source = fresh[0], url
            break
        if issuer is None:
            break
        seen.add(_fingerprint(issuer))
        found.append((issuer, source))
        if is_known(issuer):
            break
        current = issuer
    return found, errors
