"""The served order (as the file has it, with the break marked) and the findings table."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from ...pki.diagnose import CertFacts, Finding
from ...pki.vocabulary import PathEnd, Role
from .. import facts, render
from ..forest import OFF_PATH, order_judged
from ..view import View

MAX_ROWS = 1000  # a 10,000-certificate bundle shows its first rows and says how many more
END_NOTES = {PathEnd.ANCHOR: "end of the chain", PathEnd.SELF_SIGNED: "end: untrusted root",
             PathEnd.MISSING: "end: issuer missing", PathEnd.LOOP: "end: issuers loop",
             PathEnd.TOO_LONG: "end: too long"}


class ServedOrder(DataTable[Text]):
    """Every loaded certificate in file order: #, subject, role, and whether the next one signed it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.break_index: int | None = None

    def on_mount(self) -> None:
        self.add_column("#", key="n")
        self.add_column("order", key="order")
        self.add_column("role", key="role")
        self.add_column("subject", key="subject")

    def show(self, view: View) -> None:
        report = view.report
        self.clear()
        self.break_index = view.break_index
        certificates = report.certificates
        last_member = max((f.index for f in certificates if f.role not in OFF_PATH), default=None)
        for cert in certificates[:MAX_ROWS]:
            self.add_row(*self._row(view, cert, last_member), key=str(cert.index))
        self.set_class(view.break_index is not None, "-broken-order")
        if not report.bundle.ordered:
            self.border_subtitle = "order not judged: PKCS#7/#12 hold unordered sets"
        elif report.leaf is None:
            self.border_subtitle = "order not judged: no leaf (a trust bundle)"
        elif view.break_index is not None:
            self.border_subtitle = f"⚠ #{view.break_index + 1} is not signed by the next"
        else:
            self.border_subtitle = "✓ leaf first, each followed by its issuer"
        hidden = len(certificates) - MAX_ROWS
        if hidden > 0:
            self.add_row(Text("…"), Text(""), Text(""),
                         Text(f"{hidden:,} more certificates not listed", style="dim italic"), key="more")

    def _row(self, view: View, cert: CertFacts, last_member: int | None) -> tuple[Text, ...]:
        """#, order, role, subject of one loaded certificate."""
        report, i, role = view.report, cert.index, cert.role
        broken = i == view.break_index
        style = "bold red" if broken else ""
        if role is Role.DUPLICATE:
            order = Text(f"duplicate of #{cert.positions[0]}", style="yellow")
        elif role is Role.EXTRA:
            order = Text("extra: on no path", style="yellow")
        elif not order_judged(report):
            order = Text("—", style="dim")
        elif broken:
            order = Text("⚠ not signed by the next", style="bold red")
        elif i == last_member:
            end = report.path.end if report.path is not None else None
            order = Text(END_NOTES.get(end, "end"), style="green" if end == PathEnd.ANCHOR else "red")
        elif view.marks.get(i, True):
            order = Text("✓ signed by the next", style="green")
        else:
            order = Text("✗ not signed by the next", style="red")
        name = render.safe(facts.short_name(cert.entry), 48)
        return (Text(f"#{cert.number}", style=style), order, Text(role, style=render.ROLE_STYLE.get(role, "")),
                Text(name, style=style))


class FindingsTable(DataTable[Text]):
    """Severity, code, the certificate at fault and the message of every finding."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.findings: list[Finding] = []

    def on_mount(self) -> None:
        self.add_column("severity", key="severity")
        self.add_column("code", key="code")
        self.add_column("certificate", key="cert")
        self.add_column("message", key="message")

    def show(self, view: View) -> None:
        self.clear()
        self.findings = list(view.report.findings)
        for i, finding in enumerate(self.findings[:MAX_ROWS]):
            entry = view.entry(finding.certificates[0]) if finding.certificates else None
            self.add_row(*render.finding_cells(finding, view.report, entry), key=str(i))
        hidden = len(self.findings) - MAX_ROWS
        if hidden > 0:
            self.add_row(Text(""), Text("…"), Text(""), Text(f"{hidden:,} more findings (chaindoctor check lists "
                                                              "them all)", style="dim italic"), key="more")
        if not self.findings:
            self.add_row(Text("✓ none", style="bold green"), Text(""), Text(""),
                         Text("No findings: the chain is complete, in order and trusted.", style="green"),
                         key="none")

    def finding_at(self, key: str | None) -> Finding | None:
        if key is None or not key.isdigit():
            return None
        index = int(key)
        return self.findings[index] if index < len(self.findings) else None
