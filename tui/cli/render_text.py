"""The plain-text report of ``chaindoctor check``: the chain drawn as a tree, then the findings."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from ..app.keys import key_for
from ..pki.diagnose import Finding, Report
from ..pki.model import CertEntry
from ..pki.text import inert, shorten
from ..pki.vocabulary import Repair, Role

NAME_WIDTH = 100
MESSAGE_WIDTH = 1000  # a finding's message is cut here, after the quoted names in it are shortened
_QUOTED = re.compile("'([^']*)'")
_COLORS = {"error": "31", "warning": "33", "info": "36", "ok": "32", "dim": "2", "bold": "1"}
_SYMBOL = {"error": "✗", "warning": "!", "info": "i"}


def use_color(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = stream if stream is not None else sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(text: str, style: str) -> str:
        return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color else text

    return paint


def name(entry: CertEntry) -> str:
    return shorten(inert(entry.subject), NAME_WIDTH)


def validity(entry: CertEntry, at: datetime) -> str:
    if at > entry.not_after:
        return f"EXPIRED {_day(entry.not_after)}"
    if at < entry.not_before:
        return f"not valid before {_day(entry.not_before)}"
    return f"valid until {_day(entry.not_after)}"


def _day(when: datetime) -> str:
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}"  # strftime pads no year below 1000


def render(report: Report, *, color: bool = False, title: str = "") -> str:
    """The whole report as text; every certificate-derived string is made inert first."""
    paint = _painter(color)
    out: list[str] = []
    if title:
        out.append(paint(inert(title), "bold"))
    out += _tree(report, paint)
    out += _others(report, paint)
    out += _clients(report, paint)
    out.append("")
    if report.findings:
        out.append(paint("Findings", "bold"))
        by_sha = {e.sha256: e for e in (*report.bundle.certs, *report.chain)}
        for finding in report.findings:
            out += _finding(finding, report, by_sha, paint)
    else:
        out.append("No findings.")
    errors = len(report.errors)
    warnings = sum(f.severity == "warning" for f in report.findings)
    verdict = report.verdict.upper()
    out.append("")
    out.append(paint(f"Verdict: {verdict}", "error" if errors else "ok")
               + f" — {errors} error(s), {warnings} warning(s)")
    return "\n".join(out) + "\n"


def _tree(report: Report, paint: Callable[[str, str], str]) -> list[str]:
    at = report.policy.when
    lines = ["", paint("Chain (trust anchor at the top, leaf at the bottom)", "bold")]
    if report.leaf is None:
        lines.append("  (no leaf: nothing to validate)")
        return lines
    chain = list(report.chain)
    path = report.path
    nodes: list[str] = []
    if path is not None and not path.trusted and path.end in ("missing", "loop", "too-long"):
        missing = shorten(inert(path.top.issuer), NAME_WIDTH)
        nodes.append(paint(f"? {missing}  (missing: not in the bundle, not trusted)", "error"))
    for entry in reversed(chain):
        tags = []
        where = report.positions(entry)
        if where:
            tags.append("#" + ",#".join(map(str, where)))
        else:
            tags.append(f"from {inert(entry.origin.source)}")
        if entry is report.leaf:
            role = "leaf"
        elif report.is_anchor(entry):
            role = "trust anchor"
        elif report.is_self_signed(entry):
            role = "root (NOT trusted)"
        else:
            role = "intermediate"
        state = validity(entry, at)
        style = "error" if state.startswith(("EXPIRED", "not valid")) else "dim"
        nodes.append(f"{name(entry)}  [{role}] {' '.join(tags)}  {paint(state, style)}")
    for depth, text in enumerate(nodes):
        prefix = "  " if depth == 0 else "  " + "   " * (depth - 1) + "└─ "
        lines.append(prefix + text)
    return lines


def _others(report: Report, paint: Callable[[str, str], str]) -> list[str]:
    rows = []
    for facts in report.certificates:
        entry, role = facts.entry, facts.role
        if role in (Role.EXTRA, Role.DUPLICATE) or report.leaf is None:
            rows.append(f"  #{facts.number} {name(entry)}  [{role}]  {inert(entry.origin.label)}")
        elif entry not in report.chain:
            rows.append(f"  #{facts.number} {name(entry)}  [{role}, alternative issuer]  {inert(entry.origin.label)}")
    if not rows:
        return []
    return ["", paint("Other certificates", "bold"), *rows]


def _clients(report: Report, paint: Callable[[str, str], str]) -> list[str]:
    """Who accepts this chain: each real verifier's verdict on the chain as served, and whom it blames."""
    if not report.clients:
        return []
    lines = ["", paint("Who accepts this chain (real verifiers, given the chain as served)", "bold")]
    by_sha = {e.sha256: e for e in report.bundle.certs}
    for client in report.clients:
        mark = paint("✓ accepts", "ok") if client.accepts else paint("✗ refuses", "error")
        lines.append(f"  {mark}  {inert(client.name)}  ({shorten(inert(client.stands_for), NAME_WIDTH)})")
        if client.reason:
            lines.append("      " + message_text(client.reason))
        for sha in client.certificates:
            entry = by_sha.get(sha)
            where = report.positions(entry) if entry else ()
            label = "#" + ",#".join(map(str, where)) + " " if where else ""
            lines.append(paint(f"      blames: {label}{name(entry) if entry else '?'}  sha256 {sha[:16]}…", "dim"))
    return lines


def message_text(message: str) -> str:
    """A finding's message made inert, long quoted names shortened and the whole cut to a bound."""
    text = _QUOTED.sub(lambda m: "'" + shorten(m.group(1), NAME_WIDTH) + "'", inert(message))
    return shorten(text, MESSAGE_WIDTH)


def _finding(finding: Finding, report: Report, by_sha: dict[str, CertEntry],
             paint: Callable[[str, str], str]) -> list[str]:
    head = f"  {_SYMBOL[finding.severity]} {finding.severity:<7} {finding.code}"
    lines = [paint(head, finding.severity), "      " + message_text(finding.message)]
    for sha in finding.certificates:
        entry = by_sha.get(sha)
        where = report.positions(entry) if entry else ()
        label = "#" + ",#".join(map(str, where)) + " " if where else ""
        who = name(entry) if entry else "?"
        lines.append(paint(f"      at fault: {label}{who}  sha256 {sha[:16]}…", "dim"))
    if finding.fix:
        key = key_for(Repair(finding.fix))
        lines.append(paint(f"      repair: {finding.fix}  (chaindoctor fix, or {key} in the app)", "dim"))
    return lines
