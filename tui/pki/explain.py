"""Teaching text: what every finding code means, why clients fail, how to fix it; the glossary.

Pure data plus plain-text rendering (no terminal libraries), shared by ``chaindoctor explain``,
the app's finding panel and its help screen.

Text conventions used in the prose fields (so front ends can render them as plain text or
Markdown): paragraphs are separated by a blank line, a line starting with ``- `` is a bullet,
and commands, file names and error messages are quoted with backticks.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass

from .vocabulary import SEVERITY, Code

__all__ = [
    "EXPLANATIONS",
    "FINDING_CODES",
    "GLOSSARY",
    "SEVERITY",
    "Explanation",
    "GlossaryTerm",
    "explain",
    "find_term",
    "openssl_commands",
    "render_glossary",
    "render_text",
]

WIDTH = 78
"""Column width of the plain-text rendering."""

FINDING_CODES: tuple[Code, ...] = tuple(Code)
"""Every finding code, in the order of the contract's table."""


@dataclass(frozen=True)
class GlossaryTerm:
    """One glossary entry: a stable ``key``, the displayed ``term`` and a short definition."""

    key: str
    term: str
    definition: str
    see_also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """The teaching text for one finding code."""

    code: str
    title: str
    meaning: str
    why_it_breaks: str
    fix: str
    openssl: tuple[str, ...]
    glossary: tuple[str, ...]

    @property
    def severity(self) -> str:
        """``error``, ``warning`` or ``info``, per the contract."""
        return SEVERITY[self.code]


# --------------------------------------------------------------------------------------------
# Glossary
# --------------------------------------------------------------------------------------------

_TERMS: tuple[GlossaryTerm, ...] = (
    GlossaryTerm(
        "certificate",
        "certificate",
        "A small signed document that binds a public key to a name, such as a website's. It "
        "says who it belongs to (the subject), who vouches for it (the issuer), when it is "
        "valid and what it may be used for. The issuer's signature makes it tamper-proof.",
        ("subject", "issuer", "signature", "public-key"),
    ),
    GlossaryTerm(
        "ca",
        "certificate authority (CA)",
        "An organisation, or just a key and certificate, that signs other certificates. Public "
        "CAs (Let's Encrypt, DigiCert, Sectigo...) are trusted by browsers and operating "
        "systems; a private CA is trusted only where someone installed its root.",
        ("root", "intermediate", "basic-constraints"),
    ),
    GlossaryTerm(
        "leaf",
        "leaf certificate (end-entity)",
        "The certificate of the server or client itself: the one carrying the name you "
        "connect to, at the bottom of the chain. It is the only certificate in the chain that "
        "is not a CA, and it must come first in the list a server sends.",
        ("chain", "intermediate", "san"),
    ),
    GlossaryTerm(
        "intermediate",
        "intermediate CA",
        "A certificate authority between a root and your certificate. Roots are kept offline, "
        "so they sign a few intermediates, and the intermediates sign everyday certificates. "
        "Clients have the roots but usually not the intermediates, so a server must send its "
        "intermediates along with its own certificate.",
        ("root", "leaf", "chain", "aia"),
    ),
    GlossaryTerm(
        "root",
        "root CA / trust anchor",
        "A self-signed CA certificate that a client trusts as it is, because it is in the "
        "client's trust store. Every valid chain ends at one. The server does not need to "
        "send it: a client that trusts it already has it.",
        ("trust-store", "self-signed", "chain"),
    ),
    GlossaryTerm(
        "trust-store",
        "trust store / CA bundle",
        "The set of root certificates a program trusts, often a single PEM file called a CA "
        "bundle. Programs do not all share one: the operating system has its store, Java has "
        "`cacerts`, Firefox and Python's certifi package carry their own. A root installed in "
        "one is unknown to the others.",
        ("root", "bundle", "pem"),
    ),
    GlossaryTerm(
        "chain",
        "chain (certification path)",
        "The line of certificates from a leaf up to a trusted root, each one signed by the "
        "next: leaf, then intermediate(s), then root. A client checks every link: names, "
        "signatures, dates and permissions.",
        ("leaf", "intermediate", "root", "bundle"),
    ),
    GlossaryTerm(
        "bundle",
        "bundle",
        "A file holding several certificates, and sometimes a private key, usually PEM blocks "
        "one after another. A server's chain file is a bundle: its own certificate first, then "
        "the intermediates.",
        ("pem", "chain", "trust-store"),
    ),
    GlossaryTerm(
        "pem",
        "PEM",
        "The text format for certificates and keys: base64 between a "
        "`-----BEGIN CERTIFICATE-----` and an `-----END CERTIFICATE-----` line. A PEM file can "
        "hold many blocks one after another; it is what most servers expect.",
        ("der", "bundle"),
    ),
    GlossaryTerm(
        "der",
        "DER",
        "The raw binary encoding of a certificate, the bytes that PEM writes as base64. A DER "
        "file holds exactly one certificate; usual extensions are `.der` and `.cer` (though "
        "`.cer` files are sometimes PEM).",
        ("pem",),
    ),
    GlossaryTerm(
        "pkcs7",
        "PKCS#7",
        "A container (`.p7b`, `.p7c`) that holds a set of certificates and no private key, "
        "common on Windows and in some CAs' downloads. It is an unordered set, so the order "
        "inside it means nothing. `openssl pkcs7 -print_certs` turns it into PEM.",
        ("pem", "pkcs12", "bundle"),
    ),
    GlossaryTerm(
        "pkcs12",
        "PKCS#12",
        "A password-protected container (`.p12`, `.pfx`) holding a private key together with "
        "its certificate and usually the chain. Windows, Java and browsers use it to import "
        "and export identities; `openssl pkcs12 -in FILE -nokeys` prints its certificates.",
        ("private-key", "pkcs7", "bundle"),
    ),
    GlossaryTerm(
        "subject",
        "subject",
        "The name a certificate belongs to, written as a distinguished name such as "
        "`CN=example.com, O=Example Ltd`. A CA's subject is what appears as the issuer of the "
        "certificates it signs.",
        ("issuer", "cn", "san"),
    ),
    GlossaryTerm(
        "issuer",
        "issuer",
        "The name of the CA that signed a certificate. To climb the chain, a client looks for "
        "a certificate whose subject equals this name and whose key verifies the signature. "
        "In a self-signed certificate issuer and subject are the same.",
        ("subject", "signature", "aki"),
    ),
    GlossaryTerm(
        "san",
        "SAN (subject alternative name)",
        "The extension listing the DNS names and IP addresses a certificate is valid for, "
        "such as `example.com`, `*.example.com` or `192.0.2.10`. Modern clients match the "
        "name they connect to against the SAN only.",
        ("cn", "hostname-verification"),
    ),
    GlossaryTerm(
        "cn",
        "CN (common name)",
        "One field of a subject name (`CN=...`). It used to hold the website's name, but "
        "browsers, Go and other strict clients ignore it for hostname checks and require the "
        "name in the SAN.",
        ("san", "subject"),
    ),
    GlossaryTerm(
        "validity",
        "validity period",
        "The time a certificate may be used, from notBefore to notAfter (in UTC). Outside it "
        "clients refuse the certificate, so a machine with a wrong clock sees good "
        "certificates as expired or not yet valid. Publicly trusted TLS certificates live for "
        "a few months at most, and the limit keeps shrinking.",
        ("certificate", "acme"),
    ),
    GlossaryTerm(
        "signature",
        "signature",
        "A cryptographic seal: the issuer hashes the certificate's contents and signs the hash "
        "with its private key. Anyone with the issuer's public key can check that the "
        "certificate came from that issuer and was not changed. The hash must be strong "
        "(SHA-256 or better; MD5 and SHA-1 are broken).",
        ("private-key", "public-key", "issuer"),
    ),
    GlossaryTerm(
        "public-key",
        "public key",
        "The half of a key pair that may be shown to anyone; it is inside the certificate. It "
        "checks signatures made with the matching private key.",
        ("private-key", "certificate"),
    ),
    GlossaryTerm(
        "private-key",
        "private key",
        "The secret half of a key pair. A server uses it to prove during the TLS handshake "
        "that the certificate is really its own; a CA uses it to sign certificates. It must "
        "never be shared, and it must match the public key in the certificate it is used "
        "with.",
        ("public-key", "tls-handshake"),
    ),
    GlossaryTerm(
        "fingerprint",
        "fingerprint",
        "A hash, usually SHA-256, of a certificate's complete DER bytes, shown as hex. It "
        "identifies one exact certificate: the same fingerprint means the same certificate. "
        "chaindoctor names certificates by their SHA-256 fingerprint.",
        ("der", "certificate"),
    ),
    GlossaryTerm(
        "ski",
        "SKI (subject key identifier)",
        "An extension holding a short identifier of the certificate's own public key, usually "
        "derived from a hash of it. Certificates signed by this one carry the same value as "
        "their AKI.",
        ("aki", "public-key"),
    ),
    GlossaryTerm(
        "aki",
        "AKI (authority key identifier)",
        "An extension naming the key that signed the certificate: it equals the SKI of the "
        "issuer's certificate. It tells a client which issuer to try when several CA "
        "certificates share a name, for example after a CA renewed its key.",
        ("ski", "issuer"),
    ),
    GlossaryTerm(
        "basic-constraints",
        "basic constraints",
        "The extension that says whether a certificate is a CA (`CA:TRUE`), allowed to sign "
        "other certificates, and optionally how many CAs may follow below it "
        "(pathLenConstraint). In CA certificates it must be marked critical.",
        ("path-length", "critical-extension", "ca"),
    ),
    GlossaryTerm(
        "key-usage",
        "key usage",
        "The extension listing what the key may do: for example `digitalSignature` for a "
        "server's key, `keyCertSign` and `cRLSign` for a CA. A CA certificate whose key usage "
        "lacks keyCertSign may not sign certificates.",
        ("eku", "basic-constraints"),
    ),
    GlossaryTerm(
        "eku",
        "EKU (extended key usage)",
        "The extension listing what the certificate is for: `serverAuth` (TLS server), "
        "`clientAuth` (TLS client, as in mTLS), `codeSigning`, `emailProtection` and others. "
        "When it is present, clients refuse the certificate for any purpose not listed.",
        ("key-usage", "mtls"),
    ),
    GlossaryTerm(
        "aia",
        "AIA (authority information access)",
        "An extension with URLs about the issuer: `caIssuers` points to a download of the "
        "issuer's certificate, `OCSP` to the revocation responder. Browsers use caIssuers to "
        "fetch a missing intermediate by themselves; most other clients do not.",
        ("intermediate", "ocsp"),
    ),
    GlossaryTerm(
        "crl",
        "CRL (certificate revocation list)",
        "A list, signed by a CA and published at a URL named in its certificates, of the "
        "serial numbers of certificates it revoked (cancelled) before they expired.",
        ("ocsp",),
    ),
    GlossaryTerm(
        "ocsp",
        "OCSP (online certificate status protocol)",
        "A way to ask a CA's responder whether one certificate has been revoked. A server can "
        "'staple' a recent answer to its handshake so clients need not ask. Some public CAs, "
        "Let's Encrypt among them, have dropped OCSP in favour of CRLs.",
        ("crl", "aia"),
    ),
    GlossaryTerm(
        "cross-signing",
        "cross-signing",
        "When a CA's key is certified by more than one issuer, giving two CA certificates with "
        "the same subject and key but different issuers. It lets a new root be trusted by old "
        "clients through an older root, and it means one leaf can have several valid chains.",
        ("chain", "root", "intermediate"),
    ),
    GlossaryTerm(
        "self-signed",
        "self-signed certificate",
        "A certificate signed by its own key, so its issuer and subject are the same. Every "
        "root is self-signed; a self-signed server certificate (common on test machines) is "
        "trusted only by clients told to trust that exact certificate.",
        ("root", "trust-store"),
    ),
    GlossaryTerm(
        "sni",
        "SNI (server name indication)",
        "The hostname a client sends at the start of the TLS handshake so that a server "
        "hosting many sites can choose the right certificate. A client that sends no or a "
        "different name may be shown another site's, or a default, certificate.",
        ("tls-handshake", "hostname-verification"),
    ),
    GlossaryTerm(
        "tls-handshake",
        "TLS handshake",
        "The start of every TLS connection. The server sends its certificate chain and proves "
        "it holds the private key; the client checks the chain, the dates and the hostname, "
        "and aborts the connection if anything fails.",
        ("chain", "sni", "mtls"),
    ),
    GlossaryTerm(
        "mtls",
        "mTLS (mutual TLS)",
        "TLS in which the client presents a certificate too. The server checks the client's "
        "chain against its own bundle of client CAs, and the client checks the server's chain "
        "against its trust store: two chains and two trust stores, either of which can be "
        "wrong. Client certificates need the `clientAuth` EKU.",
        ("eku", "tls-handshake", "trust-store"),
    ),
    GlossaryTerm(
        "hostname-verification",
        "hostname verification",
        "The check that the leaf is valid for the name the client connected to: it must match "
        "a DNS entry in the SAN, or an IP entry for an IP address. A wildcard `*.example.com` "
        "covers exactly one label: `a.example.com`, but not `example.com` or "
        "`a.b.example.com`.",
        ("san", "cn", "sni"),
    ),
    GlossaryTerm(
        "path-length",
        "pathLenConstraint",
        "An optional number in a CA's basic constraints that limits how many intermediate CAs "
        "may appear below it. `pathlen:0` means the CA may sign only end-entity certificates, "
        "not further CAs.",
        ("basic-constraints", "intermediate"),
    ),
    GlossaryTerm(
        "name-constraints",
        "name constraints",
        "An extension in a CA certificate that limits the names certificates below it may "
        "contain, for example only DNS names under `corp.example`. It lets an organisation "
        "run its own CA without being able to issue certificates for other people's domains.",
        ("ca", "san"),
    ),
    GlossaryTerm(
        "extension",
        "extension",
        "An extra, typed field in a certificate (version 3), such as the SAN, basic "
        "constraints, key usage or AIA. Each one can be marked critical.",
        ("critical-extension", "san", "basic-constraints"),
    ),
    GlossaryTerm(
        "critical-extension",
        "critical extension",
        "An extension marked 'critical' must be understood and obeyed: a client that does not "
        "know it has to reject the certificate. Some must be critical (basic constraints in a "
        "CA), and strict verifiers enforce that.",
        ("extension", "basic-constraints", "webpki"),
    ),
    GlossaryTerm(
        "webpki",
        "WebPKI / strict verifier",
        "The public web's certificate system and the rules browsers enforce on it (RFC 5280 "
        "plus the CA/Browser Forum requirements). Strict verifiers such as rustls-webpki, Go's "
        "crypto/x509 and Python cryptography's x509.verification apply these rules and refuse "
        "details OpenSSL lets pass.",
        ("critical-extension", "san"),
    ),
    GlossaryTerm(
        "acme",
        "ACME",
        "The protocol Let's Encrypt and other CAs use to issue and renew certificates "
        "automatically; certbot, acme.sh, Caddy and cert-manager are ACME clients. With it, "
        "renewal needs no person, as long as it keeps running.",
        ("validity",),
    ),
)

GLOSSARY: dict[str, GlossaryTerm] = {t.key: t for t in _TERMS}


# --------------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------------

_LIST = "openssl crl2pkcs7 -nocrl -certfile {bundle} | openssl pkcs7 -print_certs -noout"
_TEXT = "openssl crl2pkcs7 -nocrl -certfile {bundle} | openssl pkcs7 -print_certs -text -noout"
_VERIFY = "openssl verify -CAfile {roots} -untrusted {bundle} {bundle}"
_SCLIENT = "openssl s_client -connect {host}:{port} -servername {host} -showcerts </dev/null"
_DATES = f"{_TEXT} | grep -E 'Subject:|Not (Before|After)'"

_EXPLANATIONS: tuple[Explanation, ...] = (
    Explanation(
        code="unreadable",
        title="A file or block could not be read",
        meaning=(
            "chaindoctor found something that should be a certificate, key or container but "
            "could not parse it; the message gives the file and line. Usual causes: a PEM "
            "block damaged by copy and paste (dashes missing, lines cut, characters changed by "
            "an editor or e-mail), a BEGIN line without its END, a file that is not a "
            "certificate at all (an HTML error page, a certificate request), a truncated "
            "download, or a PKCS#12 file opened with the wrong password."
        ),
        why_it_breaks=(
            "Servers usually refuse to start or reload, so clients never get that far:\n"
            "- nginx: `cannot load certificate ... PEM_read_bio_X509_AUX() failed`\n"
            "- openssl: `Could not read certificate from ...` and `Unable to load certificate`"
            " (OpenSSL 3), `unable to load certificate` (1.1)\n"
            "- Python: `ssl.SSLError: [SSL] PEM lib` from `load_cert_chain`\n"
            "- Java: `keytool error: java.lang.Exception: Input not an X.509 certificate`\n"
            "\n"
            "chaindoctor still diagnoses the blocks it could read, but the unreadable one is "
            "left out, so other findings (such as missing-intermediate) may really be caused "
            "by it."
        ),
        fix=(
            "No automatic repair: damaged bytes cannot be rebuilt. Get a clean copy of the "
            "file (download it again from your CA, or export it again) and check that every "
            "block starts with `-----BEGIN CERTIFICATE-----` and ends with "
            "`-----END CERTIFICATE-----`, each on a line of its own. For PKCS#12, give the "
            "right password (`--password` or `CHAINDOCTOR_PASSWORD`). If the lost block was an "
            "intermediate, complete (`c`) can add it back from `--search` files, the trust "
            "stores or, with `--aia`, the network."
        ),
        openssl=(
            "grep -n -e '-----BEGIN' -e '-----END' {bundle}",
            "openssl storeutl -noout -certs {bundle}",
            "openssl x509 -in {bundle} -noout -subject",
            "openssl pkcs12 -in {bundle} -info -nokeys",
        ),
        glossary=("pem", "der", "pkcs7", "pkcs12", "bundle"),
    ),
    Explanation(
        code="wrong-order",
        title="The certificates are in the wrong order",
        meaning=(
            "A server sends its certificates as a list, and the list has an order: its own "
            "certificate (the leaf) first, then the intermediate CA that signed it, then the "
            "one that signed that, and so on towards the root. Here the certificates are all "
            "present but not in that order: for example an intermediate comes before the "
            "leaf, or two intermediates are swapped."
        ),
        why_it_breaks=(
            "TLS 1.2 requires this order; TLS 1.3 requires only the leaf to be first and asks "
            "clients to cope with the rest. In practice:\n"
            "- Servers take the first certificate in the file as their own. With an "
            "intermediate first, nginx refuses to start with `SSL_CTX_use_PrivateKey(...) "
            "failed ... key values mismatch`; other servers present the intermediate, and "
            "clients reject it with hostname errors such as `NET::ERR_CERT_COMMON_NAME_INVALID`."
            "\n"
            "- Browsers, OpenSSL, Go and Java rebuild the path themselves and usually accept "
            "swapped intermediates.\n"
            "- Some minimal and embedded TLS clients look for each issuer only after the "
            "certificate it signed, and fail as if the intermediate were missing: `unable to "
            "get local issuer certificate`.\n"
            "\n"
            "So a wrongly ordered chain can work on your laptop and fail for some users."
        ),
        fix=(
            "Reorder (`o` in the app, part of fix all `f`, and of `chaindoctor fix`) puts the "
            "leaf first and each certificate right after the one it signed. Nothing is added "
            "or removed. Order is not judged for PKCS#7 and PKCS#12 inputs, which hold "
            "unordered sets; chaindoctor writes PEM in the right order."
        ),
        openssl=(
            _LIST,
            _VERIFY,
            _SCLIENT,
        ),
        glossary=("chain", "leaf", "intermediate", "issuer", "subject", "bundle"),
    ),
    Explanation(
        code="missing-intermediate",
        title="An intermediate certificate is missing",
        meaning=(
            "Your certificate was not signed by a root directly, but by an intermediate CA, "
            "and that intermediate's certificate is not in the bundle. Clients know the roots "
            "(they are in their trust store) but not the intermediates, so the server has to "
            "send them. Without it, a client cannot connect your certificate to any root it "
            "trusts: the chain has a gap."
        ),
        why_it_breaks=(
            "The most common chain problem, and a confusing one, because it works in the "
            "browser while everything else fails. Browsers hide the gap: Chrome, Edge and "
            "Safari download the missing issuer from the certificate's AIA URL, Firefox ships "
            "the known public intermediates, and all of them cache intermediates seen on other "
            "sites. Other clients do not:\n"
            "- curl: `curl: (60) SSL certificate problem: unable to get local issuer "
            "certificate`\n"
            "- openssl s_client: `verify error:num=20:unable to get local issuer certificate`, "
            "then `verify error:num=21:unable to verify the first certificate`\n"
            "- openssl verify: `error 20 at 0 depth lookup: unable to get local issuer "
            "certificate`\n"
            "- Python requests: `SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
            "certificate verify failed: unable to get local issuer certificate ...')`\n"
            "- Java: `PKIX path building failed: ... unable to find valid certification path "
            "to requested target`\n"
            "- Go: `x509: certificate signed by unknown authority`\n"
            "- A browser that has not seen the intermediate and cannot fetch it: "
            "`NET::ERR_CERT_AUTHORITY_INVALID` (Chrome), `SEC_ERROR_UNKNOWN_ISSUER` (Firefox)\n"
            "\n"
            "Mobile apps, API clients, webhooks and monitoring probes fail the same way."
        ),
        fix=(
            "Complete (`c` in the app, part of fix all `f`) finds the missing issuer and "
            "inserts it after the certificate it signed. It looks in the files and folders "
            "given with `--search`, in the trust stores and, only if you allow it, downloads "
            "it from the certificate's AIA caIssuers URL (`--aia` on the command line; the app "
            "asks first). On the command line: `chaindoctor fix SOURCE -o OUT --search DIR` "
            "or `--aia`. If nothing is found, get your CA's 'chain', 'CA bundle' or "
            "'intermediate' file, usually offered next to your certificate. Do not add the "
            "root: clients have it already."
        ),
        openssl=(
            _VERIFY,
            _LIST,
            "openssl x509 -in {bundle} -noout -issuer -ext authorityInfoAccess",
            _SCLIENT,
        ),
        glossary=("intermediate", "chain", "root", "trust-store", "aia", "issuer"),
    ),
    Explanation(
        code="untrusted-root",
        title="The chain ends at a root that is not trusted",
        meaning=(
            "Following the chain upwards, chaindoctor reached a self-signed certificate (a "
            "root) that is not among the trust anchors it checked against (the system roots "
            "and `--roots`). That is normal for a company or private CA, a test setup or a "
            "self-signed certificate. If you expected a public CA, it is a red flag: a "
            "staging CA may have been used, or a proxy or antivirus is intercepting traffic."
        ),
        why_it_breaks=(
            "Every client without this root in its own trust store refuses the connection:\n"
            "- curl: `curl: (60) SSL certificate problem: self-signed certificate in "
            "certificate chain` (`self-signed certificate` when the leaf signed itself)\n"
            "- openssl: `verify error:num=19:self-signed certificate in certificate chain` "
            "(num=18 for a lone self-signed certificate; OpenSSL 1.1 writes `self signed`)\n"
            "- Python: `certificate verify failed: self-signed certificate in certificate "
            "chain`\n"
            "- Java: `PKIX path building failed: ... unable to find valid certification path "
            "to requested target`\n"
            "- Go: `x509: certificate signed by unknown authority`\n"
            "- Browsers: `NET::ERR_CERT_AUTHORITY_INVALID` (Chrome), `SEC_ERROR_UNKNOWN_ISSUER`"
            " or `MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT` (Firefox)\n"
            "\n"
            "It works on machines where someone installed the root, and fails on all others."
        ),
        fix=(
            "Editing the chain cannot fix this; sending the root along does not make clients "
            "trust it. Either:\n"
            "- make every client that must connect trust the root: the OS store "
            "(`update-ca-certificates`, Keychain, Windows certificate store), Java "
            "(`keytool -importcert -cacerts`), or per program (`curl --cacert`, "
            "`REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`); check with "
            "`chaindoctor check SOURCE --roots ROOT.pem` (in the app, `t` trusts the "
            "highlighted root for this session only); or\n"
            "- for a public service, get a certificate from a publicly trusted CA (free with "
            "ACME, e.g. Let's Encrypt)."
        ),
        openssl=(
            _VERIFY,
            _LIST,
            "openssl s_client -connect {host}:{port} -servername {host} -CAfile {roots} "
            "</dev/null",
        ),
        glossary=("root", "self-signed", "trust-store", "chain"),
    ),
    Explanation(
        code="bad-signature",
        title="A signature does not verify",
        meaning=(
            "Each certificate is signed with its issuer's private key, and the issuer's "
            "certificate carries the public key that checks it. Here a certificate names an "
            "issuer and the bundle holds a certificate with that name, but its key did not "
            "make the signature. Usually it is the wrong version of the intermediate: CAs "
            "issue new intermediates under the same name with new keys, and an old or "
            "unrelated copy was pasted in. Rarely, the certificate was altered or corrupted."
        ),
        why_it_breaks=(
            "Clients treat it like a forgery, or ignore the impostor and report a missing "
            "issuer:\n"
            "- openssl: `verify error:num=7:certificate signature failure`, or num=20 "
            "`unable to get local issuer certificate`\n"
            "- curl and Python: `certificate signature failure` or `unable to get local issuer "
            "certificate`\n"
            "- Go: `x509: certificate signed by unknown authority (possibly because of "
            "\"crypto/rsa: verification error\" while trying to verify candidate authority "
            "certificate ...)`\n"
            "- Java: `PKIX path building failed`\n"
            "- Browsers: `NET::ERR_CERT_AUTHORITY_INVALID` (Chrome), `SEC_ERROR_BAD_SIGNATURE`"
            " or `SEC_ERROR_UNKNOWN_ISSUER` (Firefox)\n"
            "\n"
            "Browsers that have the right intermediate cached may still work, which makes the "
            "problem look intermittent."
        ),
        fix=(
            "Replace the wrong issuer with the right one. Complete (`c`, or `chaindoctor fix` "
            "with `--search` / `--aia`) accepts an issuer only if its key really verifies the "
            "signature, so point `--search` at your CA's current chain file, or allow `--aia`."
            " A wrong copy left off the path is then an extra certificate that `x` drops. If "
            "no issuer verifies, download the certificate and its chain again from your CA."
        ),
        openssl=(
            _VERIFY,
            _LIST,
            f"{_TEXT} | grep -E -A1 'Subject:|Key Identifier'",
        ),
        glossary=("signature", "issuer", "public-key", "aki", "ski"),
    ),
    Explanation(
        code="expired",
        title="A certificate has expired",
        meaning=(
            "Every certificate has an end date (notAfter), and after it clients refuse the "
            "certificate even if nothing else changed. It may be your own certificate or an "
            "intermediate above it. chaindoctor checks at the time given with `--at`, by "
            "default now. If the dates look right, check the clock of the machine that fails."
        ),
        why_it_breaks=(
            "- Browsers: `NET::ERR_CERT_DATE_INVALID` (Chrome, Edge), "
            "`SEC_ERROR_EXPIRED_CERTIFICATE` or `SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE` "
            "(Firefox)\n"
            "- curl: `curl: (60) SSL certificate problem: certificate has expired`\n"
            "- openssl: `verify error:num=10:certificate has expired`\n"
            "- Python: `certificate verify failed: certificate has expired`\n"
            "- Java: `PKIX path validation failed: java.security.cert."
            "CertPathValidatorException: validity check failed`\n"
            "- Go: `x509: certificate has expired or is not yet valid: current time ... is "
            "after ...`\n"
            "\n"
            "An expired intermediate or old cross-signed certificate left in a chain can break "
            "older clients while newer ones find another path, as when the AddTrust root "
            "expired in 2020."
        ),
        fix=(
            "No automatic repair for the certificate itself: renew it with your CA or ACME "
            "client, install it and reload the server (a new file on disk is not used until "
            "the server reloads), then automate renewal. If it is an intermediate, your CA "
            "publishes a current one: use the CA's current chain file. If the expired "
            "certificate is on no path from the leaf, drop it with `x`."
        ),
        openssl=(
            "openssl x509 -in {bundle} -noout -subject -dates",
            _DATES,
            "openssl s_client -connect {host}:{port} -servername {host} </dev/null "
            "2>/dev/null | openssl x509 -noout -subject -dates",
            "date -u",
        ),
        glossary=("validity", "leaf", "intermediate", "acme"),
    ),
    Explanation(
        code="not-yet-valid",
        title="A certificate is not valid yet",
        meaning=(
            "Every certificate has a start date (notBefore), and clients refuse it before "
            "then. Either it was issued to start in the future or, much more often, the clock "
            "of the checking machine is behind: a device without network time, a virtual "
            "machine restored from a snapshot, a dead clock battery. Also check that `--at` "
            "is the time you meant."
        ),
        why_it_breaks=(
            "- Browsers: `NET::ERR_CERT_DATE_INVALID` (Chrome, Edge; often with 'Your clock is "
            "behind'), `MOZILLA_PKIX_ERROR_NOT_YET_VALID_CERTIFICATE` (Firefox)\n"
            "- curl: `curl: (60) SSL certificate problem: certificate is not yet valid`\n"
            "- openssl: `verify error:num=9:certificate is not yet valid`\n"
            "- Python: `certificate verify failed: certificate is not yet valid`\n"
            "- Java: `validity check failed`, caused by `CertificateNotYetValidException`\n"
            "- Go: `x509: certificate has expired or is not yet valid: current time ... is "
            "before ...`"
        ),
        fix=(
            "No automatic repair. Check the clock first (`date -u`; enable NTP time sync). If "
            "the start date really is in the future, wait for it, or have the certificate "
            "re-issued starting now; CAs usually back-date notBefore a little to allow for "
            "clock skew."
        ),
        openssl=(
            "openssl x509 -in {bundle} -noout -subject -dates",
            _DATES,
            "date -u",
        ),
        glossary=("validity",),
    ),
    Explanation(
        code="hostname-mismatch",
        title="The certificate is not valid for this hostname",
        meaning=(
            "A certificate lists the names it is valid for in its subject alternative name "
            "(SAN) extension, and the name being checked (`--host`, or the host of a live "
            "SOURCE) is not among them. Typical causes: connecting by IP address or an "
            "internal name while only the public name is listed; `example.com` versus "
            "`www.example.com`; a wildcard `*.example.com`, which covers `a.example.com` but "
            "neither `example.com` nor `a.b.example.com`; a server sending its default "
            "certificate because SNI is missing or the virtual host is misconfigured; or a "
            "name only in the common name (CN) with no SAN, which modern clients ignore."
        ),
        why_it_breaks=(
            "- Browsers: `NET::ERR_CERT_COMMON_NAME_INVALID` (Chrome, Edge), "
            "`SSL_ERROR_BAD_CERT_DOMAIN` (Firefox)\n"
            "- curl: `curl: (60) SSL: no alternative certificate subject name matches target "
            "hostname 'example.com'` (older versions: `target host name`, exit code 51)\n"
            "- Python: `certificate verify failed: Hostname mismatch, certificate is not valid "
            "for 'example.com'.`\n"
            "- Java: `java.security.cert.CertificateException: No subject alternative DNS name "
            "matching example.com found.` (or `No subject alternative names present`)\n"
            "- Go: `x509: certificate is valid for www.example.com, not example.com`, or "
            "`x509: certificate relies on legacy Common Name field, use SANs instead`\n"
            "- openssl only with `-verify_hostname`: `verify error:num=62:hostname mismatch`\n"
            "\n"
            "Plain `openssl s_client` and `openssl verify` do not check names at all, so they "
            "can report `Verify return code: 0 (ok)` while every real client fails."
        ),
        fix=(
            "No automatic repair: the names are signed into the certificate. Get a new "
            "certificate whose SAN lists every name clients use (for example both "
            "`example.com` and `www.example.com`, or the IP address as an IP entry), or "
            "connect with a name it already has. If the right certificate exists but the "
            "server sends another one, fix the server's virtual host / `server_name`, or send "
            "SNI from the client (`-servername` for openssl). To check another name, pass "
            "`--host NAME`."
        ),
        openssl=(
            "openssl x509 -in {bundle} -noout -subject -ext subjectAltName",
            "openssl verify -CAfile {roots} -untrusted {bundle} -verify_hostname {host} "
            "{bundle}",
            "openssl s_client -connect {host}:{port} -servername {host} -verify_hostname "
            "{host} </dev/null",
            "openssl s_client -connect {host}:{port} -servername {host} </dev/null 2>/dev/null"
            " | openssl x509 -noout -subject -ext subjectAltName",
        ),
        glossary=("san", "cn", "hostname-verification", "sni", "leaf"),
    ),
    Explanation(
        code="wrong-purpose",
        title="The certificate is not allowed for this purpose",
        meaning=(
            "A certificate can state what it is for in its extended key usage (EKU) "
            "extension: `serverAuth` for a TLS server, `clientAuth` for a TLS client in "
            "mutual TLS, or others such as code signing or e-mail. This leaf has an EKU, and "
            "it does not include the purpose being checked (`--purpose`, default `server`). "
            "Common cases: a client certificate installed on a server, a server certificate "
            "used as an mTLS client certificate (most public CAs no longer include `clientAuth` "
            "in server certificates), or a code-signing or e-mail certificate."
        ),
        why_it_breaks=(
            "- openssl: `verify error:num=26:unsuitable certificate purpose` (OpenSSL 1.1: "
            "`unsupported certificate purpose`) when a purpose is checked, as during TLS or "
            "with `-purpose`\n"
            "- curl and Python: `certificate verify failed: unsuitable certificate purpose`\n"
            "- Java: `Extended key usage does not permit use for TLS server authentication` "
            "(or `client authentication`)\n"
            "- Go: `x509: certificate specifies an incompatible key usage`\n"
            "- Browsers: `NET::ERR_CERT_INVALID` (Chrome), `SEC_ERROR_INADEQUATE_CERT_TYPE` "
            "(Firefox)\n"
            "- In mTLS the server usually just aborts the handshake, and the client sees only "
            "a TLS alert such as `unsupported certificate` or `bad certificate`."
        ),
        fix=(
            "No automatic repair: the EKU is signed into the certificate. Get a certificate "
            "issued for the right purpose (`serverAuth` for servers, `clientAuth` for mTLS "
            "clients, both if your CA allows it), or use the certificate meant for this role. "
            "If you meant the other role, check with `--purpose client` or `--purpose server`."
        ),
        openssl=(
            "openssl x509 -in {bundle} -noout -ext extendedKeyUsage,keyUsage",
            "openssl verify -CAfile {roots} -untrusted {bundle} -purpose sslserver {bundle}",
            "openssl verify -CAfile {roots} -untrusted {bundle} -purpose sslclient {bundle}",
        ),
        glossary=("eku", "key-usage", "leaf", "mtls"),
    ),
    Explanation(
        code="not-a-ca",
        title="An issuing certificate is not a CA",
        meaning=(
            "Only a certificate authority may sign certificates, and a CA certificate says so: "
            "its basic constraints extension has `CA:TRUE`, and its key usage, when present, "
            "includes `keyCertSign`. In this chain a certificate signed another one without "
            "that permission. Typically a private CA made by hand without CA extensions, or "
            "an ordinary server certificate used to sign another certificate."
        ),
        why_it_breaks=(
            "- openssl: `invalid CA certificate`, often with `key usage does not include "
            "certificate signing`\n"
            "- curl and Python: `certificate verify failed: invalid CA certificate`\n"
            "- Java: `basic constraints check failed: this is not a CA certificate`\n"
            "- Go: `x509: certificate is not authorized to sign other certificates`\n"
            "- Browsers: a certificate error such as `NET::ERR_CERT_INVALID` (Chrome), "
            "`SEC_ERROR_CA_CERT_INVALID` (Firefox)\n"
            "\n"
            "Accepting it would let any certificate owner issue certificates for other "
            "people's sites, so no client makes an exception."
        ),
        fix=(
            "No automatic repair: the flag is signed into the certificate. Re-create the CA "
            "certificate with `basicConstraints = critical, CA:TRUE` and `keyUsage = critical,"
            " keyCertSign, cRLSign`, then re-issue the certificates below it. If a wrong "
            "certificate simply sits where the issuer should be, complete (`c`) can find the "
            "real issuer with `--search` or `--aia`."
        ),
        openssl=(
            f"{_TEXT} | grep -E -A1 'Subject:|Basic Constraints|Key Usage'",
            _VERIFY,
        ),
        glossary=("basic-constraints", "key-usage", "ca", "intermediate"),
    ),
    Explanation(
        code="path-length-exceeded",
        title="Too many CAs below a path length limit",
        meaning=(
            "A CA certificate can limit how many intermediate CAs may appear below it, with "
            "the pathLenConstraint in its basic constraints; `pathlen:0` means 'I sign only "
            "end-entity certificates, no further CAs'. This chain has more CAs below such a "
            "CA than it allows, typically in a private PKI that added another issuing CA "
            "under an intermediate created with `pathlen:0`."
        ),
        why_it_breaks=(
            "- openssl: `path length constraint exceeded` (error 25)\n"
            "- curl and Python: `certificate verify failed: path length constraint exceeded`\n"
            "- Java: `basic constraints check failed: pathLenConstraint violated - this cert "
            "must be the last cert in the certification path`\n"
            "- Go: `x509: too many intermediates for path length constraint`\n"
            "- Browsers: `SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID` (Firefox); Chrome shows a "
            "generic certificate error"
        ),
        fix=(
            "No automatic repair. Re-create the limiting CA with a larger pathlen (or none) "
            "and re-issue below it, or issue the leaf from a CA higher up so that the path is "
            "shorter."
        ),
        openssl=(
            f"{_TEXT} | grep -E -A1 'Subject:|Basic Constraints'",
            _VERIFY,
        ),
        glossary=("path-length", "basic-constraints", "intermediate", "chain"),
    ),
    Explanation(
        code="name-constraints-violated",
        title="A name is outside what the CA may certify",
        meaning=(
            "A CA certificate may carry name constraints: the names (DNS domains, IP ranges, "
            "e-mail domains) that certificates below it may, or may not, contain. A company "
            "CA might be limited to `corp.example`. A name in this leaf, usually in its SAN, "
            "is outside what an issuer above it permits, or is explicitly excluded."
        ),
        why_it_breaks=(
            "- openssl: `permitted subtree violation` (error 47) or `excluded subtree "
            "violation` (error 48)\n"
            "- curl and Python: `certificate verify failed: permitted subtree violation`\n"
            "- Java: `name constraints check failed`\n"
            "- Go: `x509: a root or intermediate certificate is not authorized to sign for "
            "this name: DNS name ... is not permitted by any constraint`\n"
            "- Browsers: `NET::ERR_CERT_NAME_CONSTRAINT_VIOLATION` (Chrome), "
            "`SEC_ERROR_CERT_NOT_IN_NAME_SPACE` (Firefox)"
        ),
        fix=(
            "No automatic repair. Have the leaf re-issued with names inside the permitted "
            "space (an IP address or internal name in the SAN must be permitted too), or, if "
            "the constraint itself is wrong, re-create the CA certificate with the right "
            "constraints."
        ),
        openssl=(
            f"{_TEXT} | grep -E -A4 'Subject:|Name Constraints'",
            "openssl x509 -in {bundle} -noout -subject -ext subjectAltName",
            _VERIFY,
        ),
        glossary=("name-constraints", "san", "ca"),
    ),
    Explanation(
        code="weak-signature",
        title="A certificate is signed with MD5 or SHA-1",
        meaning=(
            "A signature is made over a hash of the certificate. MD5 and SHA-1 are broken: "
            "attackers can make two different documents with the same hash, and have used "
            "that to forge a CA certificate. A certificate in this chain, other than the "
            "trust anchor (whose own signature nobody relies on), is signed with one of them."
        ),
        why_it_breaks=(
            "Browsers stopped accepting SHA-1 certificates in 2017, and most clients "
            "followed:\n"
            "- Browsers: `NET::ERR_CERT_WEAK_SIGNATURE_ALGORITHM` (Chrome), "
            "`SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED` (Firefox)\n"
            "- OpenSSL 3 (so curl and Python too) at its default security level: `CA "
            "signature digest algorithm too weak`\n"
            "- Go: `x509: cannot verify signature: insecure algorithm SHA1-RSA`, often inside "
            "`x509: certificate signed by unknown authority (possibly because of ...)`\n"
            "- Java: `Algorithm constraints check failed on signature algorithm: SHA1withRSA` "
            "(MD5 always; SHA-1 for chains to its built-in roots)\n"
            "\n"
            "Older systems may still accept it, so it can look fine in some places."
        ),
        fix=(
            "No automatic repair: only the CA can sign again. If the weak certificate is an "
            "old intermediate, your CA has a SHA-256 one: get its current chain file and "
            "complete (`c`) with `--search`. If it is your certificate or your private CA, "
            "re-issue it with SHA-256 or better (the default of current tools)."
        ),
        openssl=(
            f"{_TEXT} | grep -E 'Subject:|Signature Algorithm'",
            "openssl verify -auth_level 1 -CAfile {roots} -untrusted {bundle} {bundle}",
        ),
        glossary=("signature", "root", "certificate"),
    ),
    Explanation(
        code="weak-key",
        title="A key is too weak",
        meaning=(
            "A certificate's public key is too small to be safe, or of a type strict clients "
            "refuse: RSA under 2048 bits, DSA, an elliptic curve other than the widely "
            "supported P-256 and P-384, or a key type browsers do not accept for TLS "
            "certificates. Small keys can be broken; unusual ones are simply not supported."
        ),
        why_it_breaks=(
            "- Browsers: `NET::ERR_CERT_WEAK_KEY` (Chrome), "
            "`MOZILLA_PKIX_ERROR_INADEQUATE_KEY_SIZE` (Firefox)\n"
            "- OpenSSL at its default security level (most Linux distributions demand 2048-bit"
            " RSA): `EE certificate key too weak` or `CA certificate key too weak`; a server "
            "refuses to load it with `ee key too small` or `ca key too small`\n"
            "- Java: `Algorithm constraints check failed on keysize limits` (RSA under 1024 "
            "bits is disabled by default)\n"
            "- Go 1.24 and later refuse RSA keys under 1024 bits outright."
        ),
        fix=(
            "No automatic repair: a key cannot be strengthened. Generate a new key (RSA 2048 "
            "or 3072 bits, or ECDSA P-256) and get a new certificate for it. If the weak key "
            "belongs to an old intermediate, use your CA's current chain file."
        ),
        openssl=(
            f"{_TEXT} | grep -E 'Subject:|Public Key Algorithm|Public-Key|ASN1 OID|NIST CURVE'",
            "openssl verify -auth_level 2 -CAfile {roots} -untrusted {bundle} {bundle}",
        ),
        glossary=("public-key", "private-key", "certificate"),
    ),
    Explanation(
        code="key-mismatch",
        title="The private key does not belong to the certificate",
        meaning=(
            "A server needs two things that belong together: its certificate, holding the "
            "public key, and the private key created with it. The bundle holds a private key, "
            "but it matches no leaf in it. Usually it is the key of an older certificate "
            "(renewal made a new key and the old one stayed on disk), the key of another "
            "site, or a file picked from the wrong folder."
        ),
        why_it_breaks=(
            "The server usually refuses to start or reload, before any client is involved:\n"
            "- nginx: `SSL_CTX_use_PrivateKey(...) failed (SSL: error:05800074:x509 "
            "certificate routines::key values mismatch)`\n"
            "- Apache httpd, HAProxy and other OpenSSL-based servers: `key values mismatch`\n"
            "- Python: `ssl.SSLError: [X509: KEY_VALUES_MISMATCH] key values mismatch`\n"
            "- Go: `tls: private key does not match public key`\n"
            "\n"
            "If the server runs anyway, it is using other files than this bundle."
        ),
        fix=(
            "No automatic repair: chaindoctor never makes up keys. Find the matching key by "
            "comparing the hashes printed by the commands below (the key is the one created "
            "with this certificate's signing request), or, if it is lost, make a new key and "
            "request, and have the certificate re-issued. Keep the key in its own file rather "
            "than inside the chain."
        ),
        openssl=(
            "openssl x509 -in {bundle} -noout -pubkey | openssl sha256",
            "openssl pkey -in {bundle} -pubout | openssl sha256",
            "openssl x509 -in {bundle} -noout -modulus | openssl sha256",
            "openssl rsa -in {bundle} -noout -modulus | openssl sha256",
        ),
        glossary=("private-key", "public-key", "leaf", "bundle"),
    ),
    Explanation(
        code="rejected",
        title="A strict verifier refused the chain",
        meaning=(
            "chaindoctor gets a second opinion on every chain from a strict verifier, "
            "`x509.verification` in Python's cryptography package, which applies the rules "
            "browsers and rustls-webpki apply on the public web (RFC 5280 and the CA/Browser "
            "Forum requirements). It refused this chain for a reason no other finding covers; "
            "the message quotes it. Private and home-made PKIs often produce certificates "
            "OpenSSL accepts but strict verifiers refuse, for example:\n"
            "- a CA certificate whose basic constraints extension is not marked critical: "
            "`invalid extension: 2.5.29.19: Certificate extension has incorrect criticality`\n"
            "- a certificate without an authority key identifier (AKI): `invalid extension: "
            "2.5.29.35: Certificate is missing required extension`; some strict clients also "
            "expect a subject key identifier (SKI) on CA certificates\n"
            "- a leaf with its name only in the CN and no SAN: `leaf server certificate has "
            "no subjectAltName`\n"
            "- a leaf that is itself marked `CA:TRUE`: `basicConstraints.cA must not be "
            "asserted in an EE certificate`\n"
            "- a critical extension the verifier does not know: `certificate contains "
            "unaccounted-for critical extensions`"
        ),
        why_it_breaks=(
            "OpenSSL-based clients (openssl, curl, Python's ssl module, many servers) are "
            "lenient about these details and may accept the chain; OpenSSL itself reports some "
            "of them only with `-x509_strict` (`Basic Constraints of CA cert not marked "
            "critical`, `Missing Authority Key Identifier`). Strict clients refuse it in their "
            "own words: browsers (for example `NET::ERR_CERT_INVALID`), Go (`x509: certificate "
            "relies on legacy Common Name field, use SANs instead`), Rust programs using rustls "
            "(`invalid peer certificate: ...`) and tools built on cryptography's verifier. "
            "This is the typical 'works with curl, fails in the browser or the Rust service' "
            "case."
        ),
        fix=(
            "No automatic repair: the problem is inside signed certificates. Read the quoted "
            "reason and re-issue the certificate it names with standard extensions. For CAs: "
            "`basicConstraints = critical, CA:TRUE`, `keyUsage = critical, keyCertSign, "
            "cRLSign`, `subjectKeyIdentifier = hash`, `authorityKeyIdentifier = keyid`. For "
            "servers: a `subjectAltName` with every DNS name and IP address, "
            "`basicConstraints = CA:FALSE`, `extendedKeyUsage = serverAuth`, and the AKI. If "
            "only lenient clients will ever connect you may live with it, but expect the next "
            "strict client to fail."
        ),
        openssl=(
            "openssl verify -x509_strict -CAfile {roots} -untrusted {bundle} {bundle}",
            "openssl x509 -in {bundle} -noout -ext "
            "subjectAltName,basicConstraints,subjectKeyIdentifier,authorityKeyIdentifier",
            f"{_TEXT} | grep -E -A1 'Subject:|X509v3'",
        ),
        glossary=("webpki", "critical-extension", "basic-constraints", "san", "cn", "aki", "ski"),
    ),
    Explanation(
        code="contains-root",
        title="The chain includes the root",
        meaning=(
            "The bundle contains the root (trust anchor) itself. A server does not need to "
            "send it: a client trusts a root only if it already has it in its own trust store, "
            "so a copy from the server adds nothing. TLS explicitly allows leaving it out."
        ),
        why_it_breaks=(
            "Mostly harmless, hence a warning: clients ignore the extra copy. It still makes "
            "every handshake bigger, scanners flag it (SSL Labs: 'Contains anchor'), and it "
            "misleads people into thinking that sending a root makes it trusted."
        ),
        fix=(
            "Drop the root (`r` in the app, press again to put it back; part of fix all `f`)."
            " `chaindoctor fix` leaves it out by default; `--keep-root` keeps it, for example "
            "when the same file also serves as a CA file."
        ),
        openssl=(
            _LIST,
            _SCLIENT,
        ),
        glossary=("root", "trust-store", "self-signed", "chain"),
    ),
    Explanation(
        code="extra-cert",
        title="A certificate that is not part of the chain",
        meaning=(
            "The bundle holds a certificate on no path from the leaf to a root: an "
            "intermediate from another CA or an older generation, another site's certificate, "
            "or something left over from a previous chain or copied in by mistake."
        ),
        why_it_breaks=(
            "Most modern clients skip what they do not need, so it often works. But every "
            "extra certificate makes each handshake bigger, and clients that pick the first "
            "issuer with a matching name may choose a wrong or expired one and fail with "
            "`certificate has expired` or `unable to get local issuer certificate`. Old "
            "cross-signed certificates left in bundles caused widespread failures when the "
            "AddTrust root expired in May 2020."
        ),
        fix=(
            "Drop extras (`x` in the app, part of fix all `f` and of `chaindoctor fix`) removes "
            "every certificate on no path from the leaf, and duplicates too. If it belongs to "
            "another service, keep it in that service's own file."
        ),
        openssl=(
            _LIST,
            _VERIFY,
        ),
        glossary=("chain", "bundle", "cross-signing", "intermediate"),
    ),
    Explanation(
        code="duplicate-cert",
        title="The same certificate appears more than once",
        meaning=(
            "One certificate (same bytes, same SHA-256 fingerprint) is in the bundle more "
            "than once, typically because a chain file was appended to a file that already "
            "held the intermediate, or the leaf was joined with a 'full chain' file that "
            "already starts with it."
        ),
        why_it_breaks=(
            "Most clients skip the repeat. It still enlarges every handshake, breaks the rule "
            "that each certificate is followed by its issuer, and a repeated leaf (leaf, "
            "leaf, intermediate) can confuse strict or minimal TLS clients."
        ),
        fix=(
            "Drop extras (`x` in the app, part of fix all `f` and of `chaindoctor fix`) keeps "
            "one copy of each certificate. With certbot, configure `fullchain.pem` alone, "
            "not `cert.pem` joined with `fullchain.pem`."
        ),
        openssl=(f"{_LIST} | grep subject= | sort | uniq -c",),
        glossary=("fingerprint", "bundle", "chain"),
    ),
    Explanation(
        code="expires-soon",
        title="A certificate expires soon",
        meaning=(
            "A certificate in the chain reaches its end date within 30 days (of `--at`, by "
            "default now). Nothing is broken yet, but when the date passes every client will "
            "refuse it. Usually it is the leaf; sometimes an intermediate."
        ),
        why_it_breaks=(
            "Nothing fails yet. Afterwards clients fail as for an expired certificate: "
            "`NET::ERR_CERT_DATE_INVALID` in browsers, `certificate has expired` in curl, "
            "openssl and Python, `validity check failed` in Java, `x509: certificate has "
            "expired or is not yet valid` in Go."
        ),
        fix=(
            "No automatic repair: renew the certificate now, install it and reload the "
            "server. With ACME (certbot, acme.sh, cert-manager, Caddy) renewal should be "
            "automatic; if the date keeps getting closer, it is failing, so check its logs and "
            "timers. Monitor certificate expiry."
        ),
        openssl=(
            "openssl x509 -in {bundle} -noout -subject -enddate -checkend 2592000",
            _DATES,
            "openssl s_client -connect {host}:{port} -servername {host} </dev/null "
            "2>/dev/null | openssl x509 -noout -enddate",
        ),
        glossary=("validity", "acme"),
    ),
    Explanation(
        code="private-key-present",
        title="The bundle contains a private key",
        meaning=(
            "Besides certificates, the file holds a private key. That is normal for a "
            "server's own combined file (HAProxy, for one, wants key and chain in one PEM "
            "file) and for PKCS#12, but dangerous if the file is going to be shared: the "
            "chain is public and sent to every client, the key must stay secret."
        ),
        why_it_breaks=(
            "Nothing fails because of it; this is a safety warning. Anyone with the key can "
            "impersonate your server until the certificate is replaced and revoked. Keys leak "
            "through chain files pasted into tickets, chats, repositories and the settings of "
            "CDNs or load balancers that only asked for the chain."
        ),
        fix=(
            "Keep the key in its own file, readable only by the server (`chmod 600`). "
            "chaindoctor's copy (`y`) never includes a key. If the key was ever shared, treat "
            "it as compromised: make a new key, get a new certificate and revoke the old one."
        ),
        openssl=(
            "grep -n -e 'PRIVATE KEY-----' {bundle}",
            "openssl crl2pkcs7 -nocrl -certfile {bundle} | openssl pkcs7 -print_certs "
            "-out chain-only.pem",
        ),
        glossary=("private-key", "bundle", "pkcs12", "pem"),
    ),
    Explanation(
        code="multiple-leaves",
        title="More than one end-entity certificate",
        meaning=(
            "A server presents exactly one certificate of its own (the leaf); everything else "
            "in its chain file should be CA certificates. This bundle holds two or more "
            "end-entity certificates, for example an old and a renewed one, or several sites' "
            "certificates merged into one file. chaindoctor has to pick one as the leaf: "
            "check that it picked the one you meant."
        ),
        why_it_breaks=(
            "Servers use the first certificate in the file as their own and send the rest as "
            "if they were intermediates. If the wrong one is first, clients see the wrong name "
            "or an expired certificate (`NET::ERR_CERT_COMMON_NAME_INVALID`, `certificate has "
            "expired`), or the server refuses to start with `key values mismatch`; if it comes "
            "later, it is dead weight in every handshake."
        ),
        fix=(
            "Decide which certificate this file is for and keep only that one. The other "
            "leaves are on no path from it, so drop extras (`x`, or `chaindoctor fix`) removes "
            "them, and reorder (`o`) puts the chosen leaf first. Give each site its own file."
        ),
        openssl=(
            _LIST,
            f"{_TEXT} | grep -E 'Subject:|CA:|DNS:|Not After'",
        ),
        glossary=("leaf", "bundle", "chain"),
    ),
    Explanation(
        code="no-leaf",
        title="Only CA certificates: a trust bundle",
        meaning=(
            "Every certificate loaded is a CA certificate; there is no end-entity (leaf) "
            "certificate. That is exactly what a trust bundle or CA file looks like, a list of "
            "roots and intermediates to trust, so this is only information."
        ),
        why_it_breaks=(
            "Nothing fails when the file is used as a CA file (`--roots`, `curl --cacert`, "
            "`REQUESTS_CA_BUNDLE`, a server's list of client CAs). But if it is meant to be a "
            "server's certificate file, the server's own certificate is missing: the server "
            "refuses its private key (`key values mismatch`) or presents a CA certificate, and "
            "clients fail with hostname or purpose errors."
        ),
        fix=(
            "Nothing to fix for a trust bundle. If you expected a server chain, add the "
            "server's certificate (the leaf) at the top of the file and run chaindoctor "
            "again; complete (`c`) can then add any missing intermediates."
        ),
        openssl=(
            _LIST,
            f"{_TEXT} | grep -E 'Subject:|CA:'",
        ),
        glossary=("trust-store", "root", "intermediate", "leaf", "bundle"),
    ),
)

EXPLANATIONS: dict[str, Explanation] = {e.code: e for e in _EXPLANATIONS}


# --------------------------------------------------------------------------------------------
# Lookup and rendering
# --------------------------------------------------------------------------------------------


def explain(code: str) -> Explanation:
    """The explanation of ``code``; ``ValueError`` naming the valid codes when it is unknown."""
    try:
        return EXPLANATIONS[code]
    except KeyError:
        raise ValueError(
            f"unknown finding code {code!r}; valid codes: {', '.join(FINDING_CODES)}"
        ) from None


def find_term(query: str) -> GlossaryTerm | None:
    """The glossary entry whose key, term or part of it ("SAN", "trust anchor") is ``query``."""
    q = query.strip().casefold()
    for term in GLOSSARY.values():
        full = term.term.casefold()
        parts = {p.strip() for p in re.split(r"[/()]", full) if p.strip()}
        if q in {term.key, full, *parts}:
            return term
    return None


_PLACEHOLDER = re.compile(r"\{(bundle|roots|host|port)\}")


def openssl_commands(
    code: str,
    bundle: str = "chain.pem",
    roots: str = "roots.pem",
    host: str = "example.com",
    port: int = 443,
) -> list[str]:
    """The explanation's shell commands with placeholders filled in and shell-quoted."""
    values = {
        "bundle": shlex.quote(str(bundle)),
        "roots": shlex.quote(str(roots)),
        "host": shlex.quote(str(host)),
        "port": str(int(port)),
    }
    return [_PLACEHOLDER.sub(lambda m: values[m.group(1)], cmd) for cmd in explain(code).openssl]


def _wrap(text: str, indent: str = "  ") -> list[str]:
    """Wrap prose (paragraphs split by blank lines, ``- `` bullets) to WIDTH columns."""
    out: list[str] = []
    for block in text.split("\n\n"):
        lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
        paragraph: list[str] = []

        def flush() -> None:
            if paragraph:
                out.extend(_fill(" ".join(paragraph), indent, indent))
                paragraph.clear()

        for line in lines:
            if line.startswith("- "):
                flush()
                out.extend(_fill(line[2:], indent + "- ", indent + "  "))
            else:
                paragraph.append(line)
        flush()
        out.append("")
    while out and not out[-1]:
        out.pop()
    return out


_CODE_SPAN = re.compile(r"`[^`]+`")
_NBSP = "\x00"  # stands in for a space that must not become a line break


def _fill(text: str, first: str, rest: str) -> list[str]:
    # Keep short code spans (`--search DIR`) on one line; long quoted messages may break.
    text = _CODE_SPAN.sub(
        lambda m: m.group(0).replace(" ", _NBSP) if len(m.group(0)) <= 32 else m.group(0), text
    )
    lines = textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(_NBSP, " ") for line in lines]


def _see_also(keys: tuple[str, ...]) -> list[str]:
    names = ", ".join(GLOSSARY[k].term for k in keys if k in GLOSSARY)
    return _fill(f"See also: {names}.", "", "  ") if names else []


def _section(
    exp: Explanation, bundle: str, roots: str, host: str, port: int
) -> list[str]:
    heading = f"{exp.code}: {exp.title} ({exp.severity})"
    lines = [heading, "=" * min(len(heading), WIDTH), ""]
    for label, body in (
        ("What it means", exp.meaning),
        ("Why clients fail", exp.why_it_breaks),
        ("How to fix it", exp.fix),
    ):
        lines += [label, *_wrap(body), ""]
    lines.append("See it for yourself")
    # Commands stay on one line each so they can be copied and pasted.
    lines += [f"  $ {cmd}" for cmd in openssl_commands(exp.code, bundle, roots, host, port)]
    lines.append("")
    lines += _see_also(exp.glossary)
    return lines


def render_text(
    codes: list[str] | None = None,
    bundle: str = "chain.pem",
    roots: str = "roots.pem",
    host: str = "example.com",
    port: int = 443,
) -> str:
    """The plain-text output of ``chaindoctor explain [CODE ...]`` (all codes when none)."""
    chosen = list(FINDING_CODES) if not codes else list(dict.fromkeys(codes))
    explanations = [explain(code) for code in chosen]  # validate all before rendering
    sections = ["\n".join(_section(e, bundle, roots, host, port)) for e in explanations]
    return "\n\n\n".join(sections) + "\n"


def render_glossary() -> str:
    """The whole glossary as plain text, sorted by term."""
    lines = ["Glossary", "========", ""]
    for term in sorted(GLOSSARY.values(), key=lambda t: t.term.casefold()):
        lines.append(term.term)
        lines += _wrap(term.definition)
        if term.see_also:
            names = ", ".join(GLOSSARY[k].term for k in term.see_also if k in GLOSSARY)
            lines += _fill(f"See also: {names}.", "  ", "    ")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
