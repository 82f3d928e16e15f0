"""Rich ``Text`` for every pane. Certificate text goes through ``inert`` and never through markup."""

from __future__ import annotations

import re
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..pki.diagnose import Finding, Report
from ..pki.model import CertEntry
from ..pki.text import inert, shorten
from . import facts
from .forest import Missing

NAME_WIDTH = 60
ROLE_STYLE = {"leaf": "bold cyan", "intermediate": "blue", "root": "magenta",
              "anchor": "magenta", "extra": "yellow", "duplicate": "yellow"}
STATE_STYLE = {"valid": "green", "soon": "yellow", "expired": "red", "future": "red"}
SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}
SEVERITY_MARK = {"error": "✗", "warning": "!", "info": "i"}
FIX_KEYS = {"reorder": "o", "complete": "c", "drop-extras": "x", "drop-root": "r"}


def safe(text: str, width: int | None = None) -> str:
    """Certificate-derived text made inert (and shortened): safe to put into a ``Text``."""
    clean = inert(text)
    return shorten(clean, width) if width else clean


def safe_path(text: str, width: int = 60) -> str:
    """A file name made inert, shortened from the left so the name itself stays visible."""
    clean = inert(text)
    return clean if len(clean) <= width else "…" + clean[-(width - 1):]


def styled(text: str, style: str) -> tuple[str, str]:
    return text, style


def cert_label(entry: CertEntry, role: str, where: list[int], now: datetime, *, anchor: bool,
               self_signed: bool) -> Text:
    """One tree node: name, role, #positions, validity and trust."""
    state, phrase = facts.validity(entry, now)
    label = Text.assemble(styled(safe(facts.short_name(entry), NAME_WIDTH), "bold" if role == "leaf" else ""),
                          "  ", styled(role, ROLE_STYLE.get(role, "")))
    label.append(" " + ("#" + ",#".join(map(str, where)) if where else "(from the trust store)"), style="dim")
    label.append(" · ", style="dim")
    label.append("valid" if state == "valid" else phrase, style=STATE_STYLE[state])
    if anchor:
        label.append(" · ✓ trusted", style="green")
    elif self_signed:
        label.append(" · ✗ not trusted", style="red")
    return label


def missing_label(node: Missing) -> Text:
    if node.bad_signature:
        return Text.assemble(styled("✗ ", "red"), styled(safe(node.issuer, NAME_WIDTH), "bold red"),
                             styled("  signature does not verify", "red"))
    return Text.assemble(styled("⚠ missing: ", "bold red"), styled(safe(node.issuer, NAME_WIDTH), "red"),
                         styled("  not in the bundle, not trusted", "dim"))


def hint_label(kind: str, where: str) -> Text:
    return Text.assemble(styled(f"↳ {kind}: ", "dim"), styled(safe(where, 80), "italic"))


# --- details ----------------------------------------------------------------------------------------


class Fields:
    """Name/value rows with a hanging indent (long fingerprints wrap under their value)."""

    def __init__(self) -> None:
        self.grid = Table.grid(padding=(0, 1))
        self.grid.add_column(style="bold", no_wrap=True)
        self.grid.add_column(overflow="fold")

    def add(self, name: str, value: str | Text, style: str = "") -> None:
        self.grid.add_row(name, value if isinstance(value, Text) else Text(value, style=style))


def details(entry: CertEntry, report: Report, where: list[int], role: str, now: datetime) -> Group:
    """Everything about one certificate, PEM last."""
    cert, graph = entry.cert, report.graph
    rows = Fields()
    trust = "trust anchor ✓" if graph.is_anchor(entry) else (
        "self-signed, not trusted ✗" if graph.is_self_signed(entry) else "")
    pos = ("#" + ", #".join(map(str, where))) if where else "not in the file (from the trust store)"
    rows.add("role", f"{role} · {pos}" + (f" · {trust}" if trust else ""), ROLE_STYLE.get(role, ""))
    rows.add("subject", safe(entry.subject))
    rows.add("issuer", safe(entry.issuer))
    names = facts.alt_names(cert)
    rows.add("SAN", safe(", ".join(names)) if names else "—")
    state, phrase = facts.validity(entry, now)
    rows.add("validity", phrase, STATE_STYLE[state])
    rows.add("not before", f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC "
             f"({facts.relative(cert.not_valid_before_utc, now)})")
    rows.add("not after", f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC "
             f"({facts.relative(cert.not_valid_after_utc, now)})")
    rows.add("key", facts.key_description(cert))
    rows.add("signature", facts.signature_algorithm(cert))
    up = next((i for i in graph.issuers(entry) if i.sha256 != entry.sha256), None)
    if up is not None:
        rows.add("signed by", safe(facts.short_name(up)) + " (signature verified)")
    elif graph.claimed_issuers(entry):
        rows.add("signed by", "✗ the named issuer's key did not sign it", "red")
    rows.add("serial", f"{cert.serial_number:X}")
    rows.add("SKI", facts.hex_id(entry.ski))
    rows.add("AKI", facts.hex_id(entry.aki))
    rows.add("basic constr.", facts.basic_constraints(entry))
    rows.add("key usage", facts.key_usage(cert))
    rows.add("EKU", facts.extended_key_usage(cert))
    sha256, sha1 = facts.fingerprints(entry)
    rows.add("SHA-256", sha256)
    rows.add("SHA-1", sha1)
    issuers, ocsp, crls = facts.access_urls(cert)
    rows.add("CA issuers", safe(", ".join(issuers)) if issuers else "—")
    rows.add("OCSP", safe(", ".join(ocsp)) if ocsp else "—")
    rows.add("CRL", safe(", ".join(crls)) if crls else "—")
    rows.add("loaded from", safe(entry.origin.label))
    head = Text(safe(facts.short_name(entry)), style="bold")
    return Group(head, rows.grid, Text(""), Text(entry.pem.rstrip("\n"), style="dim"))


def missing_details(node: Missing) -> Text:
    out = Text()
    out.append("Missing issuer\n", style="bold red")
    out.append(safe(node.issuer) + "\n")
    if node.bad_signature:
        out.append("\nA certificate with this name is loaded, but its key did not sign the certificate "
                   "below: it was re-issued with a new key, or the certificate was altered.\n")
        return out
    out.append("\nNeither in the bundle nor among the trust anchors. Clients that do not fetch "
               "issuers themselves (curl, Java, Go, Python…) fail here even where a browser works.\n\n")
    for url in node.aia:
        out.append("AIA          ", style="bold")
        out.append(safe(url) + "\n")
    for where in node.found_in:
        out.append("search pool  ", style="bold")
        out.append(safe(where) + "\n")
    if not node.aia and not node.found_in:
        out.append("No AIA URL and nothing in the search pool: ask the CA for its intermediate, or "
                   "pass it with --search.\n")
    out.append("\nPress c to complete the chain.\n", style="italic")
    return out


# --- findings -----------------------------------------------------------------------------------------


def finding_cells(finding: Finding, by_sha: dict[str, CertEntry], where: dict[str, list[int]]) -> tuple[Text, ...]:
    sev = finding.severity
    severity = Text(f"{SEVERITY_MARK[sev]} {sev}", style=SEVERITY_STYLE[sev])
    who = Text("—", style="dim")
    if finding.certificates:
        entry = by_sha.get(finding.certificates[0])
        if entry is not None:
            pos = where.get(entry.sha256, [])
            label = ("#" + ",#".join(map(str, pos)) + " " if pos else "") + safe(facts.short_name(entry), 20)
            more = len(finding.certificates) - 1
            who = Text(label + (f" +{more}" if more > 0 else ""))
    message = Text(safe(finding.message, 200), no_wrap=True, overflow="ellipsis")
    return severity, Text(finding.code, style="bold"), who, message


_CODE = re.compile(r"`([^`]+)`")


def prose(text: str) -> Text:
    """Explanation prose: `code` spans highlighted, everything else plain."""
    out = Text()
    last = 0
    for match in _CODE.finditer(text):
        out.append(text[last:match.start()])
        out.append(match.group(1), style="bold cyan")
        last = match.end()
    out.append(text[last:])
    return out


def explanation(finding: Finding, commands: list[str], entry: CertEntry | None) -> Text:
    """The highlighted finding: its message, then what it means, why it breaks, the fix and openssl."""
    out = Text()
    sev = finding.severity
    out.append(f"{SEVERITY_MARK[sev]} {finding.code}", style=SEVERITY_STYLE[sev])
    try:
        from ..pki.explain import EXPLANATIONS

        info = EXPLANATIONS.get(finding.code)
    except ImportError:  # pragma: no cover - the module ships with the package
        info = None
    if info is not None:
        out.append(f" — {info.title}", style="bold")
    out.append("\n\n")
    out.append(safe(finding.message) + "\n")
    if entry is not None:
        out.append(f"at fault: {safe(entry.subject, 120)}\n", style="dim")
    key = FIX_KEYS.get(finding.fix or "")
    if key:
        out.append(f"\nPress {key} to {finding.fix}, or f to fix everything.\n", style="bold green")
    if info is None:
        return out
    for title, body in (("What it means", info.meaning), ("Why clients fail", info.why_it_breaks),
                        ("How to fix it", info.fix)):
        out.append(f"\n{title}\n", style="bold underline")
        out.append_text(prose(body))
        out.append("\n")
    if commands:
        out.append("\nSee it with openssl\n", style="bold underline")
        for command in commands:
            out.append("$ " + safe(command) + "\n", style="cyan")
    out.append_text(glossary_links(info.glossary))
    return out


def glossary_links(keys: tuple[str, ...]) -> Text:
    """The "See also" words, each a link to our own ``app.glossary`` action (static text, never a certificate's)."""
    from rich.style import Style

    from ..pki.explain import GLOSSARY

    terms = [GLOSSARY[k] for k in keys if k in GLOSSARY]
    out = Text()
    if not terms:
        return out
    out.append("\nSee also ", style="bold underline")
    out.append("(click a word, or press g)\n", style="dim")
    for i, term in enumerate(terms):
        out.append(", " if i else "")
        out.append(term.term, style=Style(underline=True, meta={"@click": f"app.glossary({term.key!r})"}))
    out.append("\n")
    return out
