"""The client matrix: what real verifiers say when they receive exactly the served chain.

Each verifier is fed what a client gets: the served certificates in served order (the first one is
the peer's own certificate, the rest are untrusted helpers), the same trust anchors, validation
time, purpose and host. chaindoctor's own rules explain a refusal; :mod:`tui.pki.diagnose` checks
that every refusal is explained and otherwise reports it (``rejected`` / ``strict-clients-refuse``).

**OpenSSL** (``openssl``) is run through cryptography's own binding to the OpenSSL library
(``cryptography.hazmat.bindings.openssl.binding.Binding``), the same binding pyOpenSSL is built
on. pyOpenSSL's public ``X509Store`` cannot set the verification purpose or the host name, and
importing it costs about ten times as much as the binding (its package loads the SSL module and
sockets), which ``chaindoctor check`` would pay on every start. The binding exposes
``X509_STORE_set_purpose``, ``X509_VERIFY_PARAM_set1_host`` / ``set1_ip`` / ``set_time``,
``X509_V_FLAG_PARTIAL_CHAIN``, ``X509_verify_cert`` and ``X509_STORE_CTX_get_error(_depth)``.
Every OpenSSL object is owned by an ``ffi.gc`` handle and released explicitly, context first, in
a ``finally`` block; OpenSSL's error queue is cleared afterwards. The settings follow the clients
it stands for:

* the purpose is ``ssl_server`` (``ssl_client`` for ``--purpose client``), which libssl sets in
  ``ssl_verify_cert_chain`` (ssl/ssl_cert.c: ``X509_STORE_CTX_set_default(ctx, s->server ?
  "ssl_client" : "ssl_server")``); the trust setting follows from the purpose there as here;
* the peer's whole chain is the untrusted list, its first certificate the one verified (the same
  function: ``X509_STORE_CTX_init(ctx, verify_store, x, sk)`` with ``x = sk[0]``);
* ``X509_V_FLAG_PARTIAL_CHAIN``: curl sets it unless ``CURLSSLOPT_NO_PARTIALCHAIN`` (lib/vtls/
  openssl.c, ``ossl_populate_x509_store``) and Python's ``ssl.create_default_context`` does from
  3.13 (Lib/ssl.py: ``context.verify_flags |= VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT``);
  a trusted intermediate is then an anchor, as it is for chaindoctor;
* the host name with ``X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS``, Python's default host flags
  (Modules/_ssl.c: ``self->hostflags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS``; its
  ``hostname_checks_common_name`` defaults to true,
  so a leaf without subjectAltName is still matched by its CN, as curl's ``ossl_verifyhost`` does).

What cannot be set through the binding is listed in each verdict's ``not_set``: libssl's security
level (``X509_VERIFY_PARAM_set_auth_level``: key sizes and signature digests, which chaindoctor's
``weak-key`` and ``weak-signature`` rules judge), the verify depth (OpenSSL's default of 100
applies) and Python 3.13's ``X509_V_FLAG_X509_STRICT`` (left out: the flag stands for one client
family and its checks differ between OpenSSL releases).

**cryptography's WebPKI verifier** (``webpki-strict``) is the stricter profile of the CA/Browser
Forum Baseline Requirements, close to rustls' webpki. It gets the same peer certificate and every
other served certificate as an intermediate, and builds its own path.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.x509 import verification as v

from . import checks
from .model import CertEntry
from .stores import CertPool
from .vocabulary import Code, Purpose

MAX_CHAIN_DEPTH = 8  # cryptography's default limit on intermediates

OPENSSL_STANDS_FOR = "curl, Python's ssl, nginx, Apache httpd, Ruby, PHP and other OpenSSL-based clients"
OPENSSL_STRICT_STANDS_FOR = ("Python 3.13 and later: ssl.create_default_context adds VERIFY_X509_STRICT "
                             "(the checks are this OpenSSL build's)")
WEBPKI_STANDS_FOR = ("the strict CA/Browser Forum profile as pyca/cryptography's verifier implements it; "
                     "rustls (webpki) shares most of its rules")


class ClientVerdict(NamedTuple):
    """One verifier's opinion of the served chain."""

    name: str  # "openssl" | "webpki-strict"
    stands_for: str
    accepts: bool
    reason: str | None = None  # the verifier's own words, explained; None when it accepts
    certificates: tuple[str, ...] = ()  # SHA-256 of the certificate(s) it blames
    raw: str | None = None  # the verifier's own words, unexplained
    error: int | None = None  # OpenSSL's X509_V_ERR code
    depth: int | None = None  # OpenSSL's error depth (0 is the peer certificate)
    chain: tuple[str, ...] = ()  # the path the verifier built, peer first, when it reports one
    settings: tuple[str, ...] = ()  # what was set, the way the clients it stands for set it
    not_set: tuple[str, ...] = ()  # what those clients may set that could not be set here
    library: str = ""

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "accepts": self.accepts, "reason": self.reason,
                "certificates": list(self.certificates), "stands_for": self.stands_for}


class Served(NamedTuple):
    """What a client receives and how it is configured."""

    certs: tuple[CertEntry, ...]  # in served order; certs[0] is what the client takes as the peer's
    anchors: tuple[CertEntry, ...]
    at: datetime
    purpose: Purpose = Purpose.SERVER
    host: str | None = None
    max_depth: int | None = None  # intermediates allowed (a test suite's limit); None: each default

    @property
    def peer(self) -> CertEntry:
        return self.certs[0]


def client_matrix(served: Served) -> tuple[ClientVerdict, ...]:
    """Every verifier's opinion; empty when nothing was served."""
    if not served.certs:
        return ()
    owned = _Owned()  # both OpenSSL runs share one parse of each certificate
    try:
        parsed = _parse(served, owned)
        return (run_openssl(served, parsed), run_webpki(served), run_openssl(served, parsed, strict=True))
    finally:
        owned.release()


# --- OpenSSL -------------------------------------------------------------------------------------


class OpenSSLError(NamedTuple):
    """An X509_V_ERR code: its name, a plain explanation, and the finding codes that explain it."""

    name: str
    plain: str  # "{subject}" is the blamed certificate
    explained_by: frozenset[Code]


def _e(name: str, plain: str, *codes: Code) -> OpenSSLError:
    return OpenSSLError(name, plain, frozenset(codes))


_ISSUER_CODES = (Code.MISSING_INTERMEDIATE, Code.WRONG_ORDER, Code.BAD_SIGNATURE)
_SIGNATURE_CODES = (Code.BAD_SIGNATURE, Code.WEAK_SIGNATURE, Code.WEAK_KEY, Code.REJECTED)
_HOST_CODES = (Code.HOSTNAME_MISMATCH, Code.NO_SUBJECT_ALT_NAME, Code.WRONG_ORDER)
_STRICT = Code.STRICT_CLIENTS_REFUSE  # refused in strict mode only: a strict-only refusal explains it
# The numbers are OpenSSL's (include/openssl/x509_vfy.h.in); the words come from
# X509_verify_cert_error_string at run time, so they are always the library's own.
OPENSSL_ERRORS: dict[int, OpenSSLError] = {
    2: _e("UNABLE_TO_GET_ISSUER_CERT", "it found no issuer of {subject} among the served and trusted "
          "certificates", *_ISSUER_CODES, Code.UNTRUSTED_ROOT),
    4: _e("UNABLE_TO_DECRYPT_CERT_SIGNATURE", "the signature of {subject} cannot be read", *_SIGNATURE_CODES),
    6: _e("UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", "the public key of the issuer of {subject} cannot be read",
          *_SIGNATURE_CODES),
    7: _e("CERT_SIGNATURE_FAILURE", "the signature on {subject} does not verify with the key of the "
          "certificate it took as the issuer", *_SIGNATURE_CODES, Code.MISSING_INTERMEDIATE, Code.WRONG_ORDER),
    9: _e("CERT_NOT_YET_VALID", "{subject} is not valid yet at the validation time", Code.NOT_YET_VALID),
    10: _e("CERT_HAS_EXPIRED", "{subject} has expired at the validation time", Code.EXPIRED),
    13: _e("ERROR_IN_CERT_NOT_BEFORE_FIELD", "the start of the validity of {subject} is malformed", Code.REJECTED),
    14: _e("ERROR_IN_CERT_NOT_AFTER_FIELD", "the end of the validity of {subject} is malformed", Code.REJECTED),
    18: _e("DEPTH_ZERO_SELF_SIGNED_CERT", "the first served certificate, {subject}, is self-signed and not "
           "trusted", Code.UNTRUSTED_ROOT, Code.WRONG_ORDER),
    19: _e("SELF_SIGNED_CERT_IN_CHAIN", "the chain ends at the self-signed {subject}, which is not trusted",
           Code.UNTRUSTED_ROOT, Code.WRONG_ORDER),
    20: _e("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "it found no issuer of {subject} among the served and "
           "trusted certificates", *_ISSUER_CODES),
    21: _e("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "it found no issuer of the first served certificate, {subject}",
           *_ISSUER_CODES),
    22: _e("CERT_CHAIN_TOO_LONG", "the chain is longer than its depth limit", Code.REJECTED,
           Code.PATH_LENGTH_EXCEEDED),
    25: _e("PATH_LENGTH_EXCEEDED", "{subject} limits how many CAs may follow it (pathLenConstraint)",
           Code.PATH_LENGTH_EXCEEDED),
    26: _e("INVALID_PURPOSE", "{subject} may not be used for this purpose (its extended or plain key usage)",
           Code.WRONG_PURPOSE, Code.WRONG_ORDER, Code.NOT_A_CA),
    32: _e("KEYUSAGE_NO_CERTSIGN", "{subject} signed a certificate but its keyUsage lacks keyCertSign",
           Code.NOT_A_CA),
    34: _e("UNHANDLED_CRITICAL_EXTENSION", "{subject} has an extension marked critical that OpenSSL does "
           "not know, so it must refuse the certificate", Code.REJECTED),
    37: _e("INVALID_NON_CA", "{subject} is marked as a CA but is used as the peer's own certificate",
           Code.WRONG_ORDER, Code.WRONG_PURPOSE),
    41: _e("INVALID_EXTENSION", "an extension of {subject} is malformed or contradicts another",
           Code.REJECTED, Code.NOT_A_CA),
    47: _e("PERMITTED_VIOLATION", "a name in {subject} is outside an issuer's permitted names",
           Code.NAME_CONSTRAINTS_VIOLATED),
    48: _e("EXCLUDED_VIOLATION", "a name in {subject} is inside an issuer's excluded names",
           Code.NAME_CONSTRAINTS_VIOLATED),
    49: _e("SUBTREE_MINMAX", "an issuer of {subject} uses name-constraint features OpenSSL does not support",
           Code.NAME_CONSTRAINTS_VIOLATED),
    51: _e("UNSUPPORTED_CONSTRAINT_TYPE", "an issuer of {subject} constrains a name type OpenSSL does not "
           "support", Code.NAME_CONSTRAINTS_VIOLATED),
    52: _e("UNSUPPORTED_CONSTRAINT_SYNTAX", "an issuer of {subject} has a malformed name constraint",
           Code.NAME_CONSTRAINTS_VIOLATED),
    53: _e("UNSUPPORTED_NAME_SYNTAX", "a name in {subject} cannot be checked against name constraints",
           Code.NAME_CONSTRAINTS_VIOLATED),
    55: _e("PATH_LOOP", "the issuers it found form a loop", Code.MISSING_INTERMEDIATE),
    62: _e("HOSTNAME_MISMATCH", "the first served certificate, {subject}, is not valid for the host name",
           *_HOST_CODES),
    64: _e("IP_ADDRESS_MISMATCH", "the first served certificate, {subject}, is not valid for the IP address",
           *_HOST_CODES),
    66: _e("EE_KEY_TOO_SMALL", "the key of {subject} is too small", Code.WEAK_KEY),
    67: _e("CA_KEY_TOO_SMALL", "the key of the CA {subject} is too small", Code.WEAK_KEY),
    68: _e("CA_MD_TOO_WEAK", "{subject} is signed with a digest too weak to trust", Code.WEAK_SIGNATURE),
    76: _e("UNSUPPORTED_SIGNATURE_ALGORITHM", "the signature algorithm of {subject} is unknown to OpenSSL",
           *_SIGNATURE_CODES),
    77: _e("SIGNATURE_ALGORITHM_MISMATCH", "the signature algorithm of {subject} does not fit its issuer's key",
           *_SIGNATURE_CODES),
    78: _e("SIGNATURE_ALGORITHM_INCONSISTENCY", "{subject} names two different signature algorithms",
           *_SIGNATURE_CODES),
    79: _e("INVALID_CA", "{subject} signed a certificate but is not a CA (basicConstraints)", Code.NOT_A_CA),
    # X509_V_FLAG_X509_STRICT only (RFC 5280 profile checks in crypto/x509/x509_vfy.c check_extensions)
    80: _e("PATHLEN_INVALID_FOR_NON_CA", "{subject} has a pathLenConstraint but is not a CA", _STRICT),
    81: _e("PATHLEN_WITHOUT_KU_KEY_CERT_SIGN", "{subject} has a pathLenConstraint but may not sign certificates",
           _STRICT),
    82: _e("KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA", "{subject} may sign certificates (keyCertSign) but is not a CA",
           _STRICT),
    83: _e("ISSUER_NAME_EMPTY", "{subject} has an empty issuer name", _STRICT),
    84: _e("SUBJECT_NAME_EMPTY", "{subject} has an empty subject name", _STRICT),
    85: _e("MISSING_AUTHORITY_KEY_IDENTIFIER", "{subject} has no authorityKeyIdentifier", _STRICT),
    86: _e("MISSING_SUBJECT_KEY_IDENTIFIER", "the CA {subject} has no subjectKeyIdentifier", _STRICT),
    87: _e("EMPTY_SUBJECT_ALT_NAME", "{subject} has an empty subjectAltName", _STRICT, Code.NO_SUBJECT_ALT_NAME),
    88: _e("EMPTY_SUBJECT_SAN_NOT_CRITICAL", "{subject} has an empty subject and a subjectAltName not marked "
           "critical", _STRICT),
    89: _e("CA_BCONS_NOT_CRITICAL", "the CA {subject} has a basicConstraints extension not marked critical", _STRICT),
    90: _e("AUTHORITY_KEY_IDENTIFIER_CRITICAL", "{subject} marks its authorityKeyIdentifier critical", _STRICT),
    91: _e("SUBJECT_KEY_IDENTIFIER_CRITICAL", "{subject} marks its subjectKeyIdentifier critical", _STRICT),
    92: _e("CA_CERT_MISSING_KEY_USAGE", "the CA {subject} has no keyUsage extension", _STRICT),
    93: _e("EXTENSIONS_REQUIRE_VERSION_3", "{subject} has extensions but is not an X.509 version 3 certificate",
           _STRICT),
    94: _e("EC_KEY_EXPLICIT_PARAMS", "the EC key of {subject} spells out its curve parameters instead of naming "
           "the curve", _STRICT, Code.WEAK_KEY),
}
_UNKNOWN_ERROR = _e("OTHER", "{subject} was refused", Code.REJECTED)


def openssl_error(code: int) -> OpenSSLError:
    return OPENSSL_ERRORS.get(code, _UNKNOWN_ERROR)


@lru_cache(maxsize=1)
def _openssl() -> tuple[Any, Any]:
    """(lib, ffi) of cryptography's OpenSSL binding, initialised once."""
    from cryptography.hazmat.bindings.openssl.binding import Binding

    binding = Binding()
    return binding.lib, binding.ffi


def openssl_version() -> str:
    lib, ffi = _openssl()
    text: bytes = ffi.string(lib.OPENSSL_VERSION_TEXT)
    return text.decode("ascii", "replace")


class _Owned:
    """OpenSSL objects created during one verification, released in reverse order of creation."""

    def __init__(self) -> None:
        self._objects: list[object] = []

    def keep(self, obj: Any, free: Any) -> Any:
        lib, ffi = _openssl()
        if obj == ffi.NULL:
            raise MemoryError("OpenSSL could not allocate an object")
        handle = ffi.gc(obj, free)
        self._objects.append(handle)
        return handle

    def release(self) -> None:
        _, ffi = _openssl()
        while self._objects:
            ffi.release(self._objects.pop())


def _load(der: bytes, owned: _Owned) -> Any | None:
    lib, ffi = _openssl()
    bio = owned.keep(lib.BIO_new_mem_buf(der, len(der)), lib.BIO_free)
    cert = lib.d2i_X509_bio(bio, ffi.NULL)
    if cert == ffi.NULL:
        return None
    return owned.keep(cert, lib.X509_free)


def _sha256_of(cert: Any) -> str | None:
    lib, ffi = _openssl()
    if cert == ffi.NULL:
        return None
    md = lib.EVP_get_digestbyname(b"sha256")
    buf = ffi.new("unsigned char[]", 64)
    size = ffi.new("unsigned int *")
    if md == ffi.NULL or lib.X509_digest(cert, md, buf, size) != 1:
        return None
    return bytes(ffi.buffer(buf, size[0])).hex()


def _chain_of(ctx: Any) -> tuple[str, ...]:
    """The chain OpenSSL built (X509_STORE_CTX_get1_chain), each reference released again."""
    lib, ffi = _openssl()
    chain = lib.X509_STORE_CTX_get1_chain(ctx)
    if chain == ffi.NULL:
        return ()
    try:
        out = []
        for i in range(lib.sk_X509_num(chain)):
            cert = lib.sk_X509_value(chain, i)
            out.append(_sha256_of(cert) or "")
            lib.X509_free(cert)
        return tuple(out)
    finally:
        lib.sk_X509_free(chain)


class _Parsed(NamedTuple):
    """The served certificates and the trust anchors as OpenSSL ``X509`` objects (None: unreadable)."""

    anchors: list[Any]
    certs: list[Any | None]


def _parse(served: Served, owned: _Owned) -> _Parsed:
    anchors = [cert for a in served.anchors if (cert := _load(a.der, owned)) is not None]
    return _Parsed(anchors, [_load(e.der, owned) for e in served.certs])


def run_openssl(served: Served, parsed: _Parsed, *, strict: bool = False) -> ClientVerdict:
    """OpenSSL's X509_verify_cert on the served chain, configured as libssl, curl and Python do.

    ``strict`` adds X509_V_FLAG_X509_STRICT, as Python 3.13's ``create_default_context`` does.
    """
    lib, ffi = _openssl()
    library = openssl_version()
    name, stands_for = ("openssl-x509-strict", OPENSSL_STRICT_STANDS_FOR) if strict else ("openssl", OPENSSL_STANDS_FOR)
    purpose = "ssl_client" if served.purpose == Purpose.CLIENT else "ssl_server"
    settings = [f"purpose {purpose}", "X509_V_FLAG_PARTIAL_CHAIN", f"time {served.at.isoformat()}",
                f"{len(served.anchors)} trust anchor(s)", f"{len(served.certs) - 1} untrusted served certificate(s)"]
    if strict:
        settings.append("X509_V_FLAG_X509_STRICT")
    not_set = ["libssl's security level (X509_VERIFY_PARAM_set_auth_level): key sizes and signature "
               "digests are judged by chaindoctor's weak-key and weak-signature rules instead"]
    if not strict:
        not_set.append("X509_V_FLAG_X509_STRICT (Python 3.13 and later add it: see openssl-x509-strict)")
    if served.host is None:
        not_set.append("no host name was given, so none was checked")
    if served.max_depth is not None:
        not_set.append(f"the depth limit of {served.max_depth} (OpenSSL's default of 100 applied)")
    owned = _Owned()
    try:
        store = owned.keep(lib.X509_STORE_new(), lib.X509_STORE_free)
        for anchor in parsed.anchors:
            lib.X509_STORE_add_cert(store, anchor)  # takes its own reference
        param = owned.keep(lib.X509_VERIFY_PARAM_new(), lib.X509_VERIFY_PARAM_free)
        lib.X509_VERIFY_PARAM_set_time(param, int(served.at.timestamp()))
        lib.X509_VERIFY_PARAM_set_flags(param, lib.X509_V_FLAG_PARTIAL_CHAIN
                                        | (lib.X509_V_FLAG_X509_STRICT if strict else 0))
        if served.host:
            settings.append(_set_host(param, served.host))
        lib.X509_STORE_set1_param(store, param)  # copies the parameters
        lib.X509_STORE_set_purpose(store, lib.X509_PURPOSE_SSL_CLIENT if served.purpose == Purpose.CLIENT
                                   else lib.X509_PURPOSE_SSL_SERVER)
        certs = parsed.certs
        if certs[0] is None:
            return ClientVerdict(name, stands_for, False, "OpenSSL cannot read the first served "
                                 "certificate.", (served.peer.sha256,), "d2i_X509 failed", None, 0,
                                 settings=tuple(settings), not_set=tuple(not_set), library=library)
        untrusted = owned.keep(lib.sk_X509_new_null(), lib.sk_X509_free)
        for cert in certs:
            if cert is not None:
                lib.sk_X509_push(untrusted, cert)  # the stack borrows; the caller keeps them alive
        ctx = owned.keep(lib.X509_STORE_CTX_new(), lib.X509_STORE_CTX_free)
        if lib.X509_STORE_CTX_init(ctx, store, certs[0], untrusted) != 1:
            raise MemoryError("X509_STORE_CTX_init failed")
        ok = lib.X509_verify_cert(ctx) == 1
        error = lib.X509_STORE_CTX_get_error(ctx)
        depth = lib.X509_STORE_CTX_get_error_depth(ctx)
        blamed = _sha256_of(lib.X509_STORE_CTX_get_current_cert(ctx))
        chain = _chain_of(ctx)
        words = ffi.string(lib.X509_verify_cert_error_string(error)).decode("utf-8", "replace")
    finally:
        owned.release()
        lib.ERR_clear_error()
    verdict = ClientVerdict(name, stands_for, ok, settings=tuple(settings), not_set=tuple(not_set), library=library,
                            chain=chain)
    if ok:
        return verdict
    if blamed is None and 0 <= depth < len(chain):
        blamed = chain[depth]
    who = _subject_of(blamed, served)
    reason = (f'OpenSSL refuses with "{words}" (error {error} at depth {depth}): '
              + openssl_error(error).plain.format(subject=who) + ".")
    return verdict._replace(reason=reason, certificates=(blamed,) if blamed else (), raw=words, error=error,
                            depth=depth)


def _set_host(param: Any, host: str) -> str:
    lib, _ = _openssl()
    try:
        packed = ipaddress.ip_address(host.strip("[]")).packed
    except ValueError:
        name = checks.normalise_host(host).encode("ascii", "replace")
        lib.X509_VERIFY_PARAM_set_hostflags(param, lib.X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS)
        lib.X509_VERIFY_PARAM_set1_host(param, name, len(name))
        return f"host {name.decode()} (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS)"
    lib.X509_VERIFY_PARAM_set1_ip(param, packed, len(packed))
    return f"IP address {host}"


def _subject_of(sha256: str | None, served: Served) -> str:
    for entry in (*served.certs, *served.anchors):
        if entry.sha256 == sha256:
            return f"'{entry.subject}'"
    return "a certificate"


# --- cryptography's WebPKI verifier ---------------------------------------------------------------


def run_webpki(served: Served) -> ClientVerdict:
    """cryptography's verifier with the served peer certificate and every other served one as intermediate."""
    settings = [f"{'client' if served.purpose == Purpose.CLIENT else 'server'} verifier",
                f"time {served.at.isoformat()}", f"max chain depth {_depth(served)}"]
    not_set: list[str] = []
    peer = served.peer
    intermediates = [e.cert for e in served.certs[1:]]
    if not served.anchors:  # none names a served certificate (or none was given): cryptography needs one
        return ClientVerdict("webpki-strict", WEBPKI_STANDS_FOR, False,
                             "No trust anchor is named as the issuer of a served certificate, so the chain "
                             "cannot reach one.", (peer.sha256,), "no trust anchor", settings=tuple(settings),
                             library=_crypto_version())
    try:
        builder = (v.PolicyBuilder().store(v.Store([a.cert for a in served.anchors]))
                   .time(served.at).max_chain_depth(_depth(served)))
        if served.purpose == Purpose.CLIENT:
            ee = v.ExtensionPolicy.webpki_defaults_ee().may_be_present(
                x509.SubjectAlternativeName, v.Criticality.AGNOSTIC, None)
            builder = builder.extension_policies(ca_policy=v.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
            chain = builder.build_client_verifier().verify(peer.cert, intermediates).chain
        else:
            subject, note = _subject(served)
            if note:
                not_set.append(note)
            if subject is None:
                return ClientVerdict("webpki-strict", WEBPKI_STANDS_FOR, False,
                                     f"The first served certificate, '{peer.subject}', has no subjectAltName: "
                                     "the strict profile matches host names only there.", (peer.sha256,),
                                     "no subjectAltName", settings=tuple(settings), not_set=tuple(not_set),
                                     library=_crypto_version())
            chain = list(builder.build_server_verifier(subject).verify(peer.cert, intermediates))
    except v.VerificationError as exc:
        raw = str(exc)
        blamed = _blamed_by_webpki(raw, served)
        return ClientVerdict("webpki-strict", WEBPKI_STANDS_FOR, False,
                             f'cryptography\'s verifier refuses: "{quote(raw)}".', (blamed.sha256,), raw,
                             settings=tuple(settings), not_set=tuple(not_set), library=_crypto_version())
    except (ValueError, TypeError) as exc:  # e.g. a validation time or name it cannot take
        return ClientVerdict("webpki-strict", WEBPKI_STANDS_FOR, False, f"cryptography's verifier could not "
                             f"run: {exc}", (peer.sha256,), str(exc), settings=tuple(settings),
                             not_set=tuple(not_set), library=_crypto_version())
    built = tuple(CertEntry.from_cert(c, peer.origin).sha256 for c in chain)
    return ClientVerdict("webpki-strict", WEBPKI_STANDS_FOR, True, chain=built, settings=tuple(settings),
                         not_set=tuple(not_set), library=_crypto_version())


def _crypto_version() -> str:
    import cryptography

    return f"cryptography {cryptography.__version__}"


def _depth(served: Served) -> int:
    depth = served.max_depth
    return depth if depth is not None and 0 <= depth <= 255 else MAX_CHAIN_DEPTH


def _subject(served: Served) -> tuple[v.Subject | None, str | None]:
    """The name to verify for, and a note when none was given (the leaf's first name is used)."""
    host = served.host
    note = None
    if not host:
        names = checks.san(served.peer.cert)
        if names is None:
            return None, None
        dns = [n for n in names.get_values_for_type(x509.DNSName) if n]
        ips = names.get_values_for_type(x509.IPAddress)
        note = "no host name was given: the certificate's own first name was checked"
        if dns:
            host = dns[0].replace("*", "wildcard-check", 1) if dns[0].startswith("*.") else dns[0]
        elif ips:
            return x509.IPAddress(ips[0]), note
        else:
            return None, None
    try:
        return x509.IPAddress(ipaddress.ip_address(host.strip("[]"))), note
    except ValueError:
        pass
    try:
        return x509.DNSName(checks.normalise_host(host)), note
    except ValueError:
        return None, note


def quote(raw: str) -> str:
    """The verifier's message without the certificate repr it appends."""
    return re.sub(r"\s*\(encountered processing <Certificate\(.*\)>\)\s*$", "", raw).strip()


def _blamed_by_webpki(raw: str, served: Served) -> CertEntry:
    """The certificate the verifier was processing when it refused, else the peer's."""
    for entry in (*served.certs, *served.anchors):
        if repr(entry.cert) in raw:
            return entry
    return served.peer


def relevant_anchors(certs: Sequence[CertEntry], store: CertPool) -> tuple[CertEntry, ...]:
    """The trust anchors a verifier could ever use for ``certs``: those named as an issuer (or a subject)
    by a served certificate, and, in turn, the issuers of those.

    Verifiers look trust anchors up by name (OpenSSL's ``X509_STORE_CTX_get1_issuer`` compares the
    canonical names indexed here), so an anchor outside this set is never consulted; leaving it out
    keeps a 150-root system store from costing every check the parsing of 150 certificates twice.
    """
    wanted = {e.issuer_key for e in certs} | {e.subject_key for e in certs}
    seen: set[bytes] = set()
    out: dict[str, CertEntry] = {}
    while wanted:
        name = wanted.pop()
        seen.add(name)
        for anchor in store.by_subject_key(name):
            if anchor.sha256 not in out:
                out[anchor.sha256] = anchor
                if anchor.issuer_key not in seen:
                    wanted.add(anchor.issuer_key)
    return tuple(out.values())


def served_for_clients(certs: Sequence[CertEntry], chain: Sequence[CertEntry], *,
                       ordered: bool) -> tuple[CertEntry, ...]:
    """What a client receives: the bundle as served; for an unordered set (PKCS#7, PKCS#12, or order
    not judged), the order chaindoctor would serve it in: the chain's certificates first, leaf first."""
    if ordered:
        return tuple(certs)
    loaded = {e.sha256 for e in certs}
    first = [e for e in chain if e.sha256 in loaded]
    placed = {e.sha256 for e in first}
    return (*first, *(e for e in certs if e.sha256 not in placed))
