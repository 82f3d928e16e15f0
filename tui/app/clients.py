"""What the client matrix draws: who accepts the served chain, why the others refuse, whom they blame.

Every claim about a client here is one the report makes: ``report.clients`` holds what real
verifiers said (:mod:`tui.pki.verifiers`), and the families each verifier stands for are the
engine's ``*_STANDS_FOR`` texts, whose sources are noted there. The short labels below only
shorten those texts. Certificate-derived text (names, the verifiers' reasons, which quote
subjects) goes through :func:`render.safe`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ..pki.diagnose import Report
from ..pki.model import CertEntry
from ..pki.vocabulary import Severity
from . import facts, render
from .view import View

if TYPE_CHECKING:
    from ..pki.verifiers import ClientVerdict

# Shortened from tui.pki.verifiers.OPENSSL_STANDS_FOR, WEBPKI_STANDS_FOR and OPENSSL_STRICT_STANDS_FOR
# (their sources are noted in that module): the verdict bar has one line.
SHORT_LABELS = {
    "openssl": "OpenSSL (curl, Python…)",
    "webpki-strict": "strict WebPKI (rustls-like)",
    "openssl-x509-strict": "OpenSSL X509_STRICT (Python 3.13+)",
}
REASON_WIDTH = 60  # the verifier's words in the verdict bar
NAME_WIDTH = 40


def label(verdict: ClientVerdict) -> str:
    """``OpenSSL (curl, Python's ssl, nginx…)``: the verifier and whom it stands for, in a few words."""
    return SHORT_LABELS.get(verdict.name) or f"{render.safe(verdict.name, 30)} ({render.safe(verdict.stands_for, 40)})"


def blamed_entry(view: View, verdict: ClientVerdict) -> CertEntry | None:
    """The first certificate ``verdict`` blames, when the bundle or the chain holds it."""
    return next((e for e in map(view.entry, verdict.certificates) if e is not None), None)


def certificate_name(report: Report, entry: CertEntry | None, sha256: str = "") -> str:
    """``#1 *.fin.service.local Intermediate CA``, ``trust anchor *.local Root CA``, or a fingerprint."""
    if entry is None:
        return f"SHA-256 {sha256[:16]}…" if sha256 else "—"
    where = report.positions(entry)
    head = "#" + ",#".join(map(str, where)) if where else "trust anchor" if report.is_anchor(entry) else "not loaded"
    return f"{head} {render.safe(facts.short_name(entry), NAME_WIDTH)}"


def summary(report: Report) -> str:
    """``✗ 2 of 3 refuse`` / ``✓ all 3 accept`` / ``not run``: the tab's few words."""
    clients = report.clients
    if not clients:
        return "not run"
    refusing = sum(not c.accepts for c in clients)
    return f"✗ {refusing} of {len(clients)} refuse" if refusing else f"✓ all {len(clients)} accept"


def claim(view: View) -> Text:
    """What the verdict bar says about clients: only what the matrix (or, without one, the findings) says.

    ``OpenSSL (curl, Python…) refuses: unsuitable certificate purpose (#1) · 2 more refuse`` (the
    verifier's own words);
    when every verifier accepts and only chaindoctor's rules find an error, that error's code.
    Empty when there is nothing to say (every verifier accepts and there is no error).
    """
    report = view.report
    refusing = [c for c in report.clients if not c.accepts]
    out = Text()
    if refusing:
        first = refusing[0]
        words = render.safe(first.raw or first.reason or "no reason given", REASON_WIDTH)
        out.append(f"{label(first)} refuses: ")
        out.append(words, style="bold")
        entry = blamed_entry(view, first)
        number = report.number(entry) if entry is not None else None
        if number is not None:
            out.append(f" (#{number})")
        more = len(refusing) - 1
        if more:
            out.append(f" · {more} more refuse{'s' if more == 1 else ''}")
        return out
    error = next((f for f in report.findings if f.severity == Severity.ERROR), None)
    if error is None:
        return out
    if report.clients:
        out.append(f"{error.code}: ", style="bold")
        out.append("the verifiers here accept the chain as served; chaindoctor's rules do not")
    else:
        out.append(f"error: {error.code}", style="bold")
    return out


def option_text(view: View, verdict: ClientVerdict) -> Text:
    """One verifier in the matrix: name, whom it stands for, ✓/✗, the reason, the blamed certificate,
    and (dim) what could not be set."""
    report = view.report
    out = Text()
    out.append("✓ accepts  " if verdict.accepts else "✗ refuses  ",
               style="bold green" if verdict.accepts else "bold red")
    out.append(render.safe(verdict.name, 40), style="bold")
    out.append(" — " + render.safe(verdict.stands_for, 200))
    if not verdict.accepts:
        out.append("\n  why: ", style="bold")
        out.append(render.safe(verdict.reason or verdict.raw or "no reason given", 400))
        if verdict.certificates:
            entry = blamed_entry(view, verdict)
            more = len(verdict.certificates) - 1
            out.append("\n  blames: ", style="bold")
            out.append(certificate_name(report, entry, verdict.certificates[0]) + (f" +{more}" if more > 0 else ""))
    if verdict.not_set:
        out.append("\n  could not set: " + "; ".join(render.safe(short_setting(n), 80) for n in verdict.not_set),
                   style="dim")
    return out


def short_setting(text: str) -> str:
    """``libssl's security level`` from ``libssl's security level (X509_...): key sizes ... instead``."""
    return text.split(" (", 1)[0].split(": ", 1)[0]


def details(view: View, verdict: ClientVerdict) -> Text:
    """The explanation pane for one verifier: its own words, how it was set up, the path it built."""
    report = view.report
    out = Text()
    out.append(f"{'✓' if verdict.accepts else '✗'} {render.safe(verdict.name, 40)}",
               style="bold green" if verdict.accepts else "bold red")
    out.append(" accepts the chain as served\n\n" if verdict.accepts else " refuses the chain as served\n\n",
               style="bold")
    out.append("stands for  ", style="bold")
    out.append(render.safe(verdict.stands_for) + "\n")
    if verdict.library:
        out.append("library     ", style="bold")
        out.append(render.safe(verdict.library, 80) + "\n")
    if not verdict.accepts:
        out.append("\nIts own words\n", style="bold underline")
        words = render.safe(verdict.raw or "—", 400)
        code = f" (X509_V_ERR {verdict.error}" + (f" at depth {verdict.depth})" if verdict.depth is not None else ")") \
            if verdict.error is not None else ""
        out.append(f'"{words}"{code}\n')
        out.append("\nWhat that means\n", style="bold underline")
        out.append(render.safe(verdict.reason or "no explanation", 600) + "\n")
        if verdict.certificates:
            out.append("\nIt blames\n", style="bold underline")
            for sha256 in verdict.certificates:
                out.append(certificate_name(report, view.entry(sha256), sha256) + "\n")
            codes = sorted({f.code for f in report.findings if set(f.certificates) & set(verdict.certificates)})
            if codes:
                out.append("findings about it: " + ", ".join(codes) + "\n", style="dim")
    if verdict.chain:
        out.append("\nThe path it built (peer first)\n", style="bold underline")
        out.append(" → ".join(certificate_name(report, view.entry(s), s) for s in verdict.chain) + "\n")
    if verdict.settings:
        out.append("\nSet as its clients set it\n", style="bold underline")
        out.append("; ".join(render.safe(s, 160) for s in verdict.settings) + "\n")
    if verdict.not_set:
        out.append("\nCould not be set here\n", style="bold underline dim")
        out.append("; ".join(render.safe(n, 300) for n in verdict.not_set) + "\n", style="dim")
    return out
