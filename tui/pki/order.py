"""The served order: what clients make of it, and the proper order a repair puts in its place.

Three things make an order wrong (each a ``wrong-order`` finding):

* a certificate served before the leaf. Servers send the first certificate of their chain file as
  their own: OpenSSL's ``SSL_CTX_use_certificate_chain_file`` (ssl/ssl_rsa.c) makes the first
  certificate the server's, and the private key must then match it (``X509_check_private_key``,
  crypto/x509/x509_cmp.c: "key values mismatch"). nginx, ``s_server`` and Python's
  ``load_cert_chain`` (Modules/_ssl.c) load their files this way. A client that does get such a
  chain checks the wrong certificate (ssl/ssl_cert.c verifies ``sk[0]``);
* an issuer served before a certificate it signed;
* an order that leads OpenSSL astray. OpenSSL takes, for each certificate, the first served
  certificate with the issuer's name and key identifier (``find_issuer`` in
  crypto/x509/x509_vfy.c prefers a trusted issuer, then the first currently valid match among the
  untrusted ones) and does not go back: a cross-signed copy that reaches no trust anchor, or a
  same-named certificate whose key did not sign it, served before the real issuer makes curl and
  Python fail although a good path exists (the 2017-2021 Let's Encrypt X3 situation).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import pairwise
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from .graph import SignerGraph
from .model import CertEntry

if TYPE_CHECKING:
    from .diagnose import Report


def served_sequence(report: Report) -> list[CertEntry]:
    """The loaded certificates that belong to the chain (no duplicates, no extras), as served."""
    return [e for e, role in zip(report.bundle.certs, report.roles, strict=True) if role not in ("duplicate", "extra")]


def all_issuers(graph: SignerGraph, entry: CertEntry) -> list[CertEntry]:
    """Verified and claimed issuers: an impostor is still placed after what it claims to have signed."""
    return graph.issuers(entry) + graph.claimed_issuers(entry)


def loaded_issuers(graph: SignerGraph, entry: CertEntry, visited: set[str]) -> list[CertEntry]:
    """The loaded issuers of ``entry``, looking through issuers that were not loaded (a trust anchor
    given with --roots whose own issuer is served, say); ``visited`` keeps the walk finite."""
    out: list[CertEntry] = []
    stack = [entry]
    while stack:
        for issuer in all_issuers(graph, stack.pop()):
            if graph.in_bundle(issuer):
                out.append(issuer)
            elif issuer.sha256 not in visited:
                visited.add(issuer.sha256)
                stack.append(issuer)
    return out


def proper_order(report: Report) -> list[CertEntry]:
    """Leaf first, then the chosen path, then other issuers each after a certificate it signed."""
    assert report.leaf is not None
    members = served_sequence(report)
    position: dict[str, int] = {}
    for i, entry in enumerate(members):
        position.setdefault(entry.sha256, i)
    out = [e for e in report.chain if e.sha256 in position]
    placed = {e.sha256 for e in out}
    # Passes over the served order place each certificate that signed one already placed. The passes
    # are simulated with a heap of (pass, position): a long chain served backwards stays n log n.
    heap: list[tuple[int, int]] = []
    visited: set[str] = set()

    def release(entry: CertEntry, at_pass: int, at: int) -> None:
        for issuer in loaded_issuers(report.graph, entry, visited):
            j = position.get(issuer.sha256)
            if j is not None and issuer.sha256 not in placed:
                placed.add(issuer.sha256)
                heapq.heappush(heap, (at_pass if j > at else at_pass + 1, j))

    for entry in list(out):
        release(entry, 0, -1)
    while heap:
        at_pass, j = heapq.heappop(heap)
        out.append(members[j])
        release(members[j], at_pass, j)
    out += [e for e in members if e.sha256 not in placed]
    return out


def members_in_order(report: Report) -> bool:
    """Leaf first among the chain's members, and every later one signs one served before it."""
    seq = served_sequence(report)
    if not seq or report.leaf is None or seq[0].sha256 != report.leaf.sha256:
        return False
    signers: set[str] = set()  # everything that signed a certificate served so far
    visited: set[str] = set()
    for i in range(1, len(seq)):
        signers.update(e.sha256 for e in loaded_issuers(report.graph, seq[i - 1], visited))
        if seq[i].sha256 not in signers:
            return False
    return True


def before_leaf(report: Report) -> list[CertEntry]:
    """Distinct certificates served before the leaf's first appearance."""
    leaf = report.leaf
    out: list[CertEntry] = []
    seen: set[str] = set()
    for entry in report.bundle.certs:
        if leaf is not None and entry.sha256 == leaf.sha256:
            return out
        if entry.sha256 not in seen:
            seen.add(entry.sha256)
            out.append(entry)
    return []  # the leaf was not served (given explicitly): nothing is before it


def openssl_traps(report: Report) -> list[tuple[CertEntry, CertEntry, CertEntry]]:
    """(taken, child, wanted): where OpenSSL would take ``taken`` as the issuer of ``child`` instead of ``wanted``.

    ``taken`` is the first served certificate OpenSSL would accept as the issuer by name and key
    identifier; it is a trap when its key did not sign ``child`` or no trust anchor is above it.
    """
    graph, chain = report.graph, report.chain
    traps = []
    for child, wanted in pairwise(chain):
        if not graph.in_bundle(wanted) or any(graph.is_anchor(i) for i in graph.issuers(child)):
            continue  # OpenSSL looks in the trust store first
        taken = _first_match(report, child)
        if taken is None or taken.sha256 == wanted.sha256 or not _dead_end(report, child, taken):
            continue
        traps.append((taken, child, wanted))
    return traps


def order_is_correct(report: Report) -> bool:
    """Nothing before the leaf, members in issuer order, and no order that leads OpenSSL astray."""
    return members_in_order(report) and not before_leaf(report) and not openssl_traps(report)


def _first_match(report: Report, child: CertEntry) -> CertEntry | None:
    """OpenSSL's pick among the served certificates: the first valid match, else the first match."""
    at = report.policy.when
    matches = [e for e in _served_once(report) if _likely_issuer(e, child)]
    valid = [e for e in matches if e.valid_at(at)]
    return next(iter(valid or matches), None)


def _served_once(report: Report) -> Iterator[CertEntry]:
    seen: set[str] = set()
    for entry in report.bundle.certs:
        if entry.sha256 not in seen:
            seen.add(entry.sha256)
            yield entry


def _likely_issuer(cand: CertEntry, child: CertEntry) -> bool:
    """OpenSSL's ``ossl_x509_likely_issued``: the name, the key identifier and the key type fit."""
    if cand.sha256 == child.sha256 or cand.subject_key != child.issuer_key:
        return False
    if child.aki is not None and cand.ski is not None and child.aki != cand.ski:
        return False
    signature, key = _signature_family(child), _key_family(cand)
    return signature is None or key is None or signature == key


def _dead_end(report: Report, child: CertEntry, taken: CertEntry) -> bool:
    graph = report.graph
    if taken not in graph.issuers(child):
        return True  # its key did not sign the child: OpenSSL's signature check fails
    if graph.is_anchor(taken):
        return False
    if graph.is_self_signed(taken):
        return True  # OpenSSL ends the chain at a self-signed certificate ("self-signed certificate in chain")
    return not graph.best_path(taken, report.policy.when).trusted


_SIGNATURE_FAMILIES = {"RSA": "rsa", "PSS": "rsa", "ECDSA": "ec", "DSA": "dsa", "ED25519": "ed25519", "ED448": "ed448"}


def _signature_family(entry: CertEntry) -> str | None:
    name = getattr(entry.cert.signature_algorithm_oid, "_name", "").upper()
    for marker, family in _SIGNATURE_FAMILIES.items():
        if marker in name.replace("-", ""):
            return family
    return None


def _key_family(entry: CertEntry) -> str | None:
    try:
        key = entry.cert.public_key()
    except Exception:  # noqa: BLE001 - unsupported key types
        return None
    for kind, family in ((rsa.RSAPublicKey, "rsa"), (ec.EllipticCurvePublicKey, "ec"), (dsa.DSAPublicKey, "dsa"),
                         (ed25519.Ed25519PublicKey, "ed25519"), (ed448.Ed448PublicKey, "ed448")):
        if isinstance(key, kind):
            return family
    return None


def order_problems(report: Report) -> tuple[list[CertEntry], str] | None:
    """The certificates a ``wrong-order`` finding names and its message, or None when the order is right."""
    if not report.policy.judge_order or not report.bundle.ordered or report.leaf is None:
        return None
    number = _numbers(report)
    parts: list[str] = []
    named: list[CertEntry] = []
    members = {e.sha256 for e in served_sequence(report)}
    early = [e for e in before_leaf(report) if e.sha256 not in members]  # the chain's own: in the order below
    if early:
        named += early
        what = ", ".join(f"#{number[e.sha256]} {_q(e)}" for e in early[:3]) + (" and more" if len(early) > 3 else "")
        parts.append(
            f"{what} {'is' if len(early) == 1 else 'are'} served before the leaf #{number[report.leaf.sha256]} "
            f"{_q(report.leaf)}: a server sends the first certificate of its file as its own, so OpenSSL-based "
            "servers (nginx, s_server, Python's load_cert_chain) refuse the file with \"key values mismatch\" "
            "and clients check the wrong certificate.")
    seq = served_sequence(report)
    if not members_in_order(report):
        want = proper_order(report)
        moved = [e for i, e in enumerate(seq) if want[i].sha256 != e.sha256]
        named += moved or seq[:1]
        served = ", ".join(f"#{number[e.sha256]}" for e in seq)
        right = ", ".join(f"#{number[e.sha256]}" for e in want)
        parts.append(f"The certificates are served as {served} but should be {right}: the leaf "
                     f"{_q(want[0])} first, each certificate followed by the one that signed it.")
    for taken, child, wanted in openssl_traps(report):
        named.append(taken)
        if report.graph.is_self_signed(taken):
            what = (f"#{number[taken.sha256]} {_q(taken)}, a self-signed copy that is not trusted, is served before "
                    f"#{number[wanted.sha256]}, the copy issued by '{wanted.issuer}'")
        elif taken in report.graph.issuers(child):
            what = (f"#{number[taken.sha256]} {_q(taken)}, a copy issued by '{taken.issuer}' from which no trust "
                    f"anchor is reachable, is served before #{number[wanted.sha256]}, the copy issued by "
                    f"'{wanted.issuer}'")
        else:
            what = (f"#{number[taken.sha256]} {_q(taken)} has the name of the issuer of {_q(child)} but its key "
                    f"did not sign it, and it is served before #{number[wanted.sha256]}, the real issuer")
        # source: OpenSSL crypto/x509/x509_vfy.c build_chain (the untrusted issuer is the first match of
        # X509_find_by_subject-style lookup in the served list; no backtracking), seen with curl and Python
        parts.append(f"{what}: OpenSSL takes the first served certificate that fits as the issuer and does not "
                     "go back, so curl and Python refuse the chain.")
    if not parts:
        return None
    unique = list({e.sha256: e for e in named}.values())
    return unique, " ".join(parts)


def _numbers(report: Report) -> dict[str, int]:
    first: dict[str, int] = {}
    for i, entry in enumerate(report.bundle.certs, 1):
        first.setdefault(entry.sha256, i)
    return first


def _q(entry: CertEntry) -> str:
    return f"'{entry.subject}'"
