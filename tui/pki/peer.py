"""One direction of an mTLS pair: which trust bundle file judges a side's chain, and which CA it lacks.

In mutual TLS each side verifies the other's chain with its own trust bundle. When that chain stops at
a CA the bundle does not hold, no repair of the chain helps (sending a root never makes it trusted):
the bundle must hold the CA that issued the chain. :func:`explain_trust` says so in the finding, names
the file to change and takes away the chain repair the finding's code would otherwise offer.
"""

from __future__ import annotations

from dataclasses import dataclass

from .diagnose import Report
from .findings import Finding
from .vocabulary import Code, PathEnd

__all__ = ["Judge", "TrustGap", "explain_trust", "trust_gap"]

SIDES = ("server", "client")
BUNDLES = {"server": "the client's CA bundle", "client": "the server's client-CA bundle"}
SETTINGS = {
    # curl's manual, --cacert: "Use the specified certificate file to verify the peer" (curl.se/docs/manpage.html)
    "server": "curl: --cacert",
    # nginx ngx_http_ssl_module, ssl_client_certificate: "a file with trusted CA certificates in the PEM
    # format used to verify client certificates" (nginx.org/en/docs/http/ngx_http_ssl_module.html)
    "client": "nginx: ssl_client_certificate",
}


@dataclass(frozen=True)
class Judge:
    """The verifier of ``side``'s chain in an mTLS pair: the other side, with the trust bundle ``trust_file``."""

    side: str  # whose chain is judged: "server" or "client"
    trust_file: str  # the file the other side verifies it with (T2 for the server's chain, T1 for the client's)

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"an mTLS side is 'server' or 'client', not {self.side!r}")

    @property
    def judged_by(self) -> str:
        return "client" if self.side == "server" else "server"

    @property
    def bundle(self) -> str:
        """``the server's client-CA bundle`` or ``the client's CA bundle``."""
        return BUNDLES[self.side]

    @property
    def setting(self) -> str:
        """Where that bundle is configured, for one common program (``nginx: ssl_client_certificate``)."""
        return SETTINGS[self.side]


@dataclass(frozen=True)
class TrustGap:
    """A side's chain ends at a CA the judging side's trust bundle does not hold."""

    judge: Judge
    ca: str  # the name of the CA to add to the bundle
    certificates: tuple[str, ...]  # SHA-256 of the chain's top: the certificate the untrusted CA issued (or is)
    carried: bool  # the chain carries that CA (a self-signed root), which is not trusted for being sent

    @property
    def advice(self) -> str:
        """``add the CA that issued the client's chain ('CN=…') to FILE, the server's client-CA bundle (nginx: …)``."""
        judge = self.judge
        return (f"add the CA that issued the {judge.side}'s chain ('{self.ca}') to {judge.trust_file}, "
                f"{judge.bundle} ({judge.setting})")

    def message(self, top: str) -> str:
        """The finding's sentence; ``top`` is the subject of the chain's last certificate."""
        judge = self.judge
        if self.carried:
            # RFC 5280 6.1: path validation starts from a trust anchor the verifier already has.
            head = (f"The {judge.side}'s chain ends at its root '{self.ca}', which {judge.bundle} "
                    f"{judge.trust_file} does not hold; a root is never trusted for being sent.")
            return f"{head} To fix it, {self.advice}."
        head = (f"{judge.bundle[:1].upper()}{judge.bundle[1:]} {judge.trust_file} lacks the CA that issued the "
                f"{judge.side}'s chain: '{top}' was issued by '{self.ca}', which is neither in the chain nor in "
                "that bundle.")
        return (f"{head} To fix it, {self.advice}; if '{self.ca}' is an intermediate CA, the {judge.side} can "
                "send it with its certificate instead.")

    def to_json(self) -> dict[str, object]:
        judge = self.judge
        return {"side": judge.side, "judged_by": judge.judged_by, "trust_file": judge.trust_file,
                "bundle": judge.bundle, "setting": judge.setting, "add": self.ca, "carried": self.carried,
                "certificates": list(self.certificates)}


def trust_gap(report: Report, judge: Judge) -> TrustGap | None:
    """The CA the judging bundle lacks, when the chain stops at one (not at a bad signature, a loop or a cap)."""
    path = report.path
    if path is None or path.trusted or not path.certs:
        return None
    top = path.top
    if path.end == PathEnd.SELF_SIGNED:
        return TrustGap(judge, top.subject, (top.sha256,), carried=True)
    if path.end == PathEnd.MISSING and not report.claimed_issuers_of(top):
        return TrustGap(judge, top.issuer, (top.sha256,), carried=False)
    return None


def explain_trust(report: Report, judge: Judge) -> TrustGap | None:
    """Rewrite the finding about the chain's untrusted end to name the trust bundle file to change.

    The finding keeps its contract code (``missing-intermediate``, ``untrusted-root``) and the
    certificate it names, but offers no chain repair: completing the chain cannot add trust.
    """
    gap = trust_gap(report, judge)
    if gap is None:
        return None
    code = Code.UNTRUSTED_ROOT if gap.carried else Code.MISSING_INTERMEDIATE
    path = report.path
    assert path is not None
    for i, finding in enumerate(report.findings):
        if finding.code == code and finding.certificates == gap.certificates:
            report.findings[i] = Finding(finding.code, finding.certificates, gap.message(path.top.subject),
                                         fixable=False)
    return gap
