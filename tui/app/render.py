"""Rich ``Text`` for every pane. Certificate text goes through ``inert`` and never through markup."""

from __future__ import annotations

import re

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..pki.diagnose import CertFacts, Finding, Report
from ..pki.model import CertEntry
from ..pki.session import Session
from ..pki.text import inert, shorten
from ..pki.vocabulary import Repair, Role, Severity, Validity
from . import facts
from .forest import Missing
from .keys import REPAIR_WORDS, key_for, key_of

NAME_WIDTH = 60
ANCHOR = "anchor"  # what the panes call a certificate that comes from the trust store, not the bundle
ROLE_STYLE = {Role.LEAF: "bold cyan", Role.INTERMEDIATE: "blue", Role.ROOT: "magenta", ANCHOR: "magenta",
              Role.EXTRA: "yellow", Role.DUPLICATE: "yellow"}
STATE_STYLE = {Validity.VALID: "green", Validity.EXPIRES_SOON: "yellow", Validity.EXPIRED: "red",
               Validity.NOT_YET_VALID: "red"}
SEVERITY_STYLE: dict[str, str] = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "cyan"}
SEVERITY_MARK: dict[str, str] = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}


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


def role_of(report: Report, entry: CertEntry) -> Role | None:
    """The role of ``entry``'s first place in the bundle; None for one from the trust store."""
    found = report.facts(entry)
    return found.role if found is not None else None


def role_name(role: Role | None) -> str:
    return role if role is not None else ANCHOR


def cert_label(report: Report, entry: CertEntry, at: CertFacts | None = None) -> Text:
    """One tree node: name, role, #positions, validity and trust; ``at``: one place in the bundle only."""
    found = at or report.facts(entry)
    role = role_name(found.role if found is not None else None)
    where = (at.number,) if at is not None else found.positions if found is not None else ()
    state, phrase = facts.validity(entry, report.policy.when)
    label = Text.assemble(styled(safe(facts.short_name(entry), NAME_WIDTH), "bold" if role == Role.LEAF else ""),
                          "  ", styled(role, ROLE_STYLE.get(role, "")))
    label.append(" " + ("#" + ",#".join(map(str, where)) if where else "(from the trust store)"), style="dim")
    label.append(" · ", style="dim")
    label.append("valid" if state is Validity.VALID else phrase, style=STATE_STYLE[state])
    if report.is_anchor(entry):
        label.append(" · ✓ trusted", style="green")
    elif report.is_self_signed(entry):
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
    """Name/value rows with a hanging indent (long fingerprints wrap under their value); in a narrow pane
    each name stands above its value, so the values keep the width."""

    STACK_BELOW = 30  # columns: narrower than this, names go above their values

    def __init__(self) -> None:
        self.rows: list[tuple[str, Text]] = []

    def add(self, name: str, value: str | Text, style: str = "") -> None:
        self.rows.append((name, value if isinstance(value, Text) else Text(value, style=style)))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width >= self.STACK_BELOW:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(overflow="fold")
            for name, value in self.rows:
                grid.add_row(name, value)
            yield grid
            return
        for name, value in self.rows:
            yield Text(name, style="bold")
            folded = value.copy()
            folded.overflow = "fold"
            yield Padding(folded, (0, 0, 0, 2))


def details(entry: CertEntry, report: Report, role: Role | None) -> Group:
    """Everything about one certificate, PEM last."""
    cert, now = entry.cert, report.policy.when
    rows = Fields()
    trust = "trust anchor ✓" if report.is_anchor(entry) else (
        "self-signed, not trusted ✗" if report.is_self_signed(entry) else "")
    where = report.positions(entry)
    pos = ("#" + ", #".join(map(str, where))) if where else "not in the file (from the trust store)"
    name = role_name(role)
    rows.add("role", f"{name} · {pos}" + (f" · {trust}" if trust else ""), ROLE_STYLE.get(name, ""))
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
    up = next((i for i in report.issuers_of(entry) if i.sha256 != entry.sha256), None)
    if up is not None:
        rows.add("signed by", safe(facts.short_name(up)) + " (signature verified)")
    elif report.claimed_issuers_of(entry):
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
    return Group(head, rows, Text(""), Text(entry.pem.rstrip("\n"), style="dim"))


def missing_details(node: Missing, *, complete: bool = True) -> Text:
    """The missing issuer's card; ``complete``: the complete key would look for it (say so)."""
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
    if complete:
        out.append(f"\nPress {key_of('complete')} to {REPAIR_WORDS[Repair.COMPLETE]}.\n", style="italic")
    return out


# --- findings -----------------------------------------------------------------------------------------


def severity_cell(severity: str) -> Text:
    """``✗ error``, ``! warning``, ``i info`` in the severity's colour."""
    return Text(f"{SEVERITY_MARK[severity]} {severity}", style=SEVERITY_STYLE[severity])


def finding_cells(finding: Finding, report: Report, entry: CertEntry | None) -> tuple[Text, ...]:
    """Severity, code, the certificate at fault (``entry``, the first one the finding names) and the message."""
    severity = severity_cell(finding.severity)
    who = Text("—", style="dim")
    if entry is not None:
        pos = report.positions(entry)
        label = ("#" + ",#".join(map(str, pos)) + " " if pos else "") + safe(facts.short_name(entry), 20)
        more = len(finding.certificates) - 1
        who = Text(label + (f" +{more}" if more > 0 else ""))
    message = Text(safe(finding.message, 200), no_wrap=True, overflow="ellipsis")
    return severity, Text(finding.code, style="bold"), who, message


def fix_hint(finding: Finding) -> str:
    """``Press o to reorder the chain, or f to fix all.`` for a finding a repair addresses; "" otherwise."""
    repair = finding.fix
    if repair is None:
        return ""
    fix_all = Repair.FIX_ALL
    return (f"Press {key_for(Repair(repair))} to {REPAIR_WORDS[Repair(repair)]}, "
            f"or {key_for(fix_all)} to {REPAIR_WORDS[fix_all]}.")


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


def explanation(finding: Finding, commands: list[str], entry: CertEntry | None, *, repairable: bool = True,
                fix: str | None = None) -> Text:
    """The highlighted finding: its message, then what it means, why it breaks, the fix and openssl.

    ``repairable``: the key of its repair would change the chain now (else no "Press X" line); ``fix``
    is what to do about this very finding when the code's own text does not fit it (a trust bundle that
    lacks a CA): it replaces the code's title, "What it means" and "How to fix it".
    """
    out = Text()
    sev = finding.severity
    out.append(f"{SEVERITY_MARK[sev]} {finding.code}", style=SEVERITY_STYLE[sev])
    from ..pki.explain import EXPLANATIONS  # the texts load on first use, not for the first paint

    info = EXPLANATIONS.get(finding.code)
    if info is not None and fix is None:
        out.append(f" — {info.title}", style="bold")
    out.append("\n\n")
    out.append(safe(finding.message) + "\n")
    if entry is not None:
        out.append(f"at fault: {safe(entry.subject, 120)}\n", style="dim")
    hint = fix_hint(finding) if repairable else ""
    if hint:
        out.append(f"\n{hint}\n", style="bold green")
    if info is None:
        return out
    sections = ((("What it means", info.meaning),) if fix is None else ()) + (
        ("Why clients fail", info.why_it_breaks), ("How to fix it", info.fix if fix is None else fix))
    for title, body in sections:
        out.append(f"\n{title}\n", style="bold underline")
        out.append_text(prose(body))
        out.append("\n")
    if commands:
        out.append("\nSee it with openssl\n", style="bold underline")
        for command in commands:
            out.append("$ " + safe(command) + "\n", style="cyan")
    out.append_text(glossary_links(info.glossary))
    return out


def commands_for(code: str, session: Session) -> list[str]:
    """The explanation's openssl commands for ``code``, with the session's own file names."""
    try:
        from ..pki.explain import openssl_commands

        return list(openssl_commands(code, **session.openssl_files()))  # type: ignore[arg-type]  # its keywords
    except Exception:  # noqa: BLE001 - an explanation without commands is still useful
        return []


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


def group_explanation(findings: list[Finding], first: Text) -> Text:
    """A group of findings of one code: how many there are, then ``first``, the explanation of the first one."""
    out = Text()
    out.append(f"{len(findings)} findings of this code", style="bold")
    out.append(" (Enter lists them one by one). The first of them:\n\n", style="dim")
    out.append_text(first)
    return out
