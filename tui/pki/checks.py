"""Single-certificate checks: host names, purpose, CA-ness, name constraints, weak crypto."""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID, SignatureAlgorithmOID

from .model import CertEntry, critical_extension_oids, ext_value
from .vocabulary import Purpose

STRICT_CURVES = {"secp256r1", "secp384r1", "secp521r1"}
WEAK_SIGNATURES = {
    SignatureAlgorithmOID.RSA_WITH_MD5: "MD5",
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA-1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "SHA-1",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "SHA-1",
    x509.ObjectIdentifier("1.3.14.3.2.29"): "SHA-1",
    x509.ObjectIdentifier("1.2.840.113549.1.1.2"): "MD2",
    x509.ObjectIdentifier("1.2.840.113549.1.1.3"): "MD4",
}
# The extensions OpenSSL processes, so may be critical (crypto/x509/v3_purp.c, X509_supported_extension:
# "If an extension is critical and doesn't appear in this list then the verify process will normally
# reject the certificate").
OPENSSL_HANDLED = {
    "2.16.840.1.113730.1.1": "netscapeCertType", "2.5.29.15": "keyUsage", "2.5.29.17": "subjectAltName",
    "2.5.29.19": "basicConstraints", "2.5.29.32": "certificatePolicies", "2.5.29.31": "cRLDistributionPoints",
    "2.5.29.37": "extendedKeyUsage", "1.3.6.1.5.5.7.1.7": "sbgp-ipAddrBlock",
    "1.3.6.1.5.5.7.1.8": "sbgp-autonomousSysNum", "1.3.6.1.5.5.7.48.1.5": "ocspNoCheck",
    "2.5.29.36": "policyConstraints", "1.3.6.1.5.5.7.1.14": "proxyCertInfo", "2.5.29.30": "nameConstraints",
    "2.5.29.33": "policyMappings", "2.5.29.54": "inhibitAnyPolicy",
}
EXTENSION_NAMES = {**OPENSSL_HANDLED, "2.5.29.35": "authorityKeyIdentifier", "2.5.29.14": "subjectKeyIdentifier",
                   "1.3.6.1.5.5.7.1.1": "authorityInfoAccess", "1.3.6.1.4.1.311.21.10": "msApplicationPolicies"}


def san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    value = ext_value(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    return value if isinstance(value, x509.SubjectAlternativeName) else None


def san_names(cert: x509.Certificate) -> list[str]:
    """DNS names and IP addresses from the subjectAltName, as text."""
    ext = san(cert)
    if ext is None:
        return []
    names = [str(n) for n in ext.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]
    return names


def normalise_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii") if any(ord(ch) > 127 for ch in host) else host
    except UnicodeError:
        return host


def _dns_match(pattern: str, host: str) -> bool:
    pattern = pattern.rstrip(".").lower()
    if pattern == host:
        return True
    if pattern.startswith("*.") and "*" not in pattern[2:]:
        suffix = pattern[1:]
        label = host[: -len(suffix)] if host.endswith(suffix) else ""
        return bool(label) and "." not in label
    return False


def matches_host(cert: x509.Certificate, host: str) -> bool:
    """RFC 6125 matching against the subjectAltName only: browsers, Go and rustls look nowhere else.

    (curl and Python fall back to the CN when there is no subjectAltName; that case is the
    ``no-subject-alt-name`` finding, see its explanation for the sources.)
    """
    ext = san(cert)
    if ext is None:
        return False
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    if ip is not None:
        return ip in ext.get_values_for_type(x509.IPAddress)
    wanted = normalise_host(host)
    return any(_dns_match(p, wanted) for p in ext.get_values_for_type(x509.DNSName))


def common_name(cert: x509.Certificate) -> str | None:
    try:
        attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return None
    return str(attrs[0].value) if attrs else None


def purpose_problem(cert: x509.Certificate, purpose: str) -> str | None:
    """Why the leaf may not be used for ``purpose`` (extended key usage and key usage), or None.

    As OpenSSL's ``ssl_server`` / ``ssl_client`` purposes do (crypto/x509/v3_purp.c,
    check_purpose_ssl_server: ``xku_reject`` wants serverAuth itself, ``ku_reject`` wants
    digitalSignature, keyEncipherment or keyAgreement).
    """
    wanted = Purpose(purpose).eku
    eku = ext_value(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    if isinstance(eku, x509.ExtendedKeyUsage):
        usages = list(eku)
        if wanted not in usages:
            if ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usages:
                return (f"only allows anyExtendedKeyUsage; OpenSSL (curl, Python) requires {purpose}Auth "
                        "to be listed itself")
            names = ", ".join(_eku_name(u) for u in usages) or "nothing"
            return f"is only allowed for {names}, not for {purpose} authentication ({purpose}Auth)"
    ku = ext_value(cert, ExtensionOID.KEY_USAGE)
    if isinstance(ku, x509.KeyUsage):
        ok = ku.digital_signature or ku.key_encipherment or ku.key_agreement
        if not ok:
            return ("has a keyUsage without digitalSignature or keyEncipherment, so it cannot take part in a TLS "
                    "handshake")
    return None


def ca_purpose_problem(cert: x509.Certificate, purpose: str) -> str | None:
    """Why an issuing CA's extended key usage excludes ``purpose``, or None (no EKU allows everything).

    As in OpenSSL, the purpose itself must be listed: anyExtendedKeyUsage does not count
    (crypto/x509/v3_purp.c: ``xku_reject`` tests for the serverAuth or clientAuth bit, and
    anyExtendedKeyUsage sets only ``XKU_ANYEKU``), although BoringSSL and Go accept it. OpenSSL
    also counts Netscape's and Microsoft's Server Gated Crypto as serverAuth; BoringSSL does not
    (pki testdata intermediate-eku-server-gated-crypto), so they do not count here either.
    """
    eku = ext_value(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    if not isinstance(eku, x509.ExtendedKeyUsage):
        return None
    usages = list(eku)
    if Purpose(purpose).eku in usages:
        return None
    if ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usages:
        return (f"lists anyExtendedKeyUsage but not {purpose}Auth in its extended key usage: OpenSSL (curl, "
                f"Python) requires {purpose}Auth itself and refuses the chain, while Chrome's verifier and Go "
                "accept anyExtendedKeyUsage")
    return (f"restricts its extended key usage to {', '.join(_eku_name(u) for u in usages) or 'nothing'}, so "
            f"nothing it issues is valid for {purpose} authentication: OpenSSL (curl, Python) and Chrome's "
            "verifier refuse the chain")


def unknown_critical_extensions(entry: CertEntry) -> list[str]:
    """Critical extensions OpenSSL does not handle, by name or dotted OID."""
    return [EXTENSION_NAMES.get(oid, oid) for oid in critical_extension_oids(entry.der) if oid not in OPENSSL_HANDLED]


def _eku_name(oid: x509.ObjectIdentifier) -> str:
    name = getattr(oid, "_name", None)
    return name if name and name != "Unknown OID" else oid.dotted_string


def not_a_ca(entry: CertEntry, *, is_anchor: bool) -> str | None:
    """Why this issuer may not sign certificates, or None."""
    bc = entry.basic_constraints
    if bc is None:
        if is_anchor:
            # A trust anchor without basicConstraints (any v1 root, some v3 ones) is accepted by OpenSSL's
            # default checks (crypto/x509/v3_purp.c check_ca) and by Chrome's verifier (BoringSSL pki
            # testdata verify_certificate_chain_unittest/root-lacks-basic-constraints).
            return None
        return "it has no basicConstraints extension marking it as a CA"
    if not bc.ca:
        return "its basicConstraints says it is not a CA (CA:FALSE)"
    ku = ext_value(entry.cert, ExtensionOID.KEY_USAGE)
    if isinstance(ku, x509.KeyUsage) and not ku.key_cert_sign:
        return "its keyUsage does not include keyCertSign"
    return None


def weak_key(cert: x509.Certificate) -> str | None:
    """A description of a key below what clients enforce, or None.

    The CA/Browser Forum Baseline Requirements (6.1.5) allow RSA keys of 2048 bits and more and the
    curves P-256, P-384 and P-521; OpenSSL at security level 2, the default of Debian's and
    Ubuntu's builds (openssl.cnf CipherString DEFAULT@SECLEVEL=2), refuses RSA keys under 2048 bits
    ("EE certificate key too weak"). The strict verifier judges the other key types.
    """
    try:
        key = cert.public_key()
    except Exception:  # noqa: BLE001 - unknown key types raise their own errors
        return "a public key of a type clients cannot use"
    if isinstance(key, rsa.RSAPublicKey):
        return f"an RSA key of only {key.key_size} bits (2048 is the minimum)" if key.key_size < 2048 else None
    if isinstance(key, dsa.DSAPublicKey):
        return f"a DSA key ({key.key_size} bits); DSA is no longer accepted for TLS"
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in STRICT_CURVES:
            return (f"an EC key on the curve {key.curve.name}; the CA/Browser Forum allows only P-256, P-384 and "
                    "P-521")
        return None
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return None  # judged by the strict verifier (the Baseline Requirements allow no EdDSA keys)
    return "a public key of a type clients cannot use"


def extension_problem(cert: x509.Certificate) -> str | None:
    """Why cryptography cannot read the certificate's extensions as a whole, or None.

    The engine then reads them one by one (:func:`tui.pki.model.extensions_one_by_one`); whether a
    client refuses the certificate is for the client matrix to say.
    """
    try:
        len(cert.extensions)  # reading them all is the test
    except (x509.DuplicateExtension, x509.UnsupportedGeneralNameType, ValueError, TypeError) as exc:
        return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return None


def weak_signature(cert: x509.Certificate) -> str | None:
    """The weak digest a certificate is signed with (MD2, MD4, MD5, SHA-1), or None.

    OpenSSL 3 counts SHA-1 signatures as 63 bits of security and MD5 as 39, below the 80 of libssl's
    default security level 1 (crypto/x509/x509_set.c, x509_sig_info_init), so curl and Python refuse
    them; Go refuses SHA-1 signatures since Go 1.18 (release notes, crypto/x509).
    """
    return WEAK_SIGNATURES.get(cert.signature_algorithm_oid)


# --- name constraints (DNS, IP and e-mail; directory names are out of scope) -------------------


def name_constraint_violations(cert: x509.Certificate, nc: x509.NameConstraints, *, is_leaf: bool) -> list[str]:
    """The names of ``cert`` that fall outside ``nc``.

    RFC 5280 6.1.3 (b): name constraints are not applied to a self-issued certificate unless it is
    the last one of the path (a CA's key-rollover certificate keeps working).
    """
    if not is_leaf and cert.subject == cert.issuer:
        return []
    ext = san(cert)
    dns = [str(n).lower().rstrip(".") for n in ext.get_values_for_type(x509.DNSName)] if ext else []
    ips = list(ext.get_values_for_type(x509.IPAddress)) if ext else []
    mails = [str(n).lower() for n in ext.get_values_for_type(x509.RFC822Name)] if ext else []
    if is_leaf and ext is None:
        cn = common_name(cert)
        if cn and "." in cn and " " not in cn:
            dns = [cn.lower()]
    permitted = list(nc.permitted_subtrees or [])
    excluded = list(nc.excluded_subtrees or [])
    bad: list[str] = []
    kinds = ((x509.DNSName, dns, "DNS"), (x509.IPAddress, ips, "IP"), (x509.RFC822Name, mails, "email"))
    for kind, names, label in kinds:
        if not names:
            continue
        perm = _Subtrees(kind, [g.value for g in permitted if isinstance(g, kind)])
        excl = _Subtrees(kind, [g.value for g in excluded if isinstance(g, kind)])
        for name in names:
            if excl.contains(name) or (perm and not perm.contains(name)):
                bad.append(f"{label}:{name}")
    return bad


class _Subtrees:
    """The subtrees of one name type, indexed so a name is checked in time linear in its labels.

    Names in a certificate and constraints in its issuers are attacker-controlled: thousands of
    each must not cost millions of comparisons.
    """

    def __init__(self, kind: type, values: list[object]) -> None:
        self.kind = kind
        self.count = len(values)
        self.everything = False
        self.exact: set[str] = set()  # DNS "example.com" (and its subdomains); e-mail mailbox or host
        self.dotted: set[str] = set()  # ".example.com": proper subdomains only
        self.networks: dict[tuple[int, int], set[int]] = {}  # (IP version, prefix) -> network addresses
        for value in values:
            if kind is x509.IPAddress:
                if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
                    key = (value.version, value.prefixlen)
                    self.networks.setdefault(key, set()).add(int(value.network_address))
                continue
            c = str(value).lower()
            if kind is x509.DNSName:
                c = c.rstrip(".")
                if not c:
                    self.everything = True
            (self.dotted if c.startswith(".") and "@" not in c else self.exact).add(c)

    def __bool__(self) -> bool:
        return self.count > 0

    def contains(self, name: object) -> bool:
        if self.kind is x509.IPAddress:
            return self._ip(name)
        assert isinstance(name, str)
        if self.kind is x509.DNSName:
            return self._dns(name)
        return self._mail(name)

    def _dns(self, name: str) -> bool:
        if self.everything:
            return True
        if name.startswith("*."):  # a wildcard is inside ".example.com" when its base is example.com or below
            name = name[2:]
            if "." + name in self.dotted:
                return True
        suffixes = _dot_suffixes(name)
        if not self.dotted.isdisjoint(suffixes):
            return True
        return name in self.exact or any(s[1:] in self.exact for s in suffixes)

    def _ip(self, ip: object) -> bool:
        if not isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return False
        bits = ip.max_prefixlen
        value = int(ip)
        for (version, prefix), addresses in self.networks.items():
            if version == ip.version and (value >> (bits - prefix) << (bits - prefix)) in addresses:
                return True
        return False

    def _mail(self, mail: str) -> bool:
        if mail in self.exact:  # a constraint naming one mailbox
            return True
        host = mail.rsplit("@", 1)[-1]
        return host in self.exact or not self.dotted.isdisjoint(_dot_suffixes(host))


def _dot_suffixes(name: str) -> set[str]:
    """``a.b.c`` -> {``.b.c``, ``.c``}: every suffix that starts at a dot."""
    return {name[i:] for i, ch in enumerate(name) if ch == "."}
