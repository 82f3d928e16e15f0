"""The served order (as the file has it, with the break marked) and the findings table."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from ...pki.diagnose import Finding, Report
from ...pki.model import CertEntry
from .. import facts, render
from ..forest import order_judged

MAX_ROWS = 1000  # a 10,000-certificate bundle shows its first rows and says how many more


class ServedOrder(DataTable[Text]):
    """Every loaded certificate in file order: #, subject, role, and whether the next one signed it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.break_index: int | None = None

    def on_mount(self) -> None:
        self.add_column("#", key="n")
        self.add_column("order", key="order")
        self.add_column("role", key="role")
        self.add_column("subject", key="subject")

    def show(self, report: Report, break_index: int | None, marks: dict[int, bool],
             where: dict[str, list[int]]) -> None:
        self.clear()
        self.break_index = break_index
        last_member = max((i for i, r in enumerate(report.roles) if r not in ("extra", "duplicate")), default=None)
        rows = []
        for i, (entry, role) in enumerate(zip(report.bundle.certs, report.roles)):
            if i >= MAX_ROWS:
                break
            rows.append((self._row(report, i, entry, role, break_index, marks, last_member, where), str(i)))
        for cells, key in rows:
            self.add_row(*cells, key=key)
        self.set_class(break_index is not None, "-broken-order")
        if not report.bundle.ordered:
            self.border_subtitle = "order not judged: PKCS#7/#12 hold unordered sets"
        elif report.leaf is None:
            self.border_subtitle = "order not judged: no leaf (a trust bundle)"
        elif break_index is not None:
            self.border_subtitle = f"⚠ #{break_index + 1} is not signed by the next"
        else:
            self.border_subtitle = "✓ leaf first, each followed by its issuer"
        hidden = len(report.bundle.certs) - MAX_ROWS
        if hidden > 0:
            self.add_row(Text("…"), Text(""), Text(""),
                         Text(f"{hidden:,} more certificates not listed", style="dim italic"), key="more")

    @staticmethod
    def _row(report: Report, i: int, entry: CertEntry, role: str, break_index: int | None,
             marks: dict[int, bool], last_member: int | None, where: dict[str, list[int]]) -> tuple[Text, ...]:
        broken = i == break_index
        style = "bold red" if broken else ""
        judged = order_judged(report)
        if role == "duplicate":
            first = where.get(entry.sha256, [i + 1])[0]
            order = Text(f"duplicate of #{first}", style="yellow")
        elif role == "extra":
            order = Text("extra: on no path", style="yellow")
        elif not judged:
            order = Text("—", style="dim")
        elif broken:
            order = Text("⚠ not signed by the next", style="bold red")
        elif i == last_member:
            end = report.path.end if report.path is not None else ""
            note = {"anchor": "end of the chain", "self-signed": "end: untrusted root", "missing": "end: issuer missing",
                    "loop": "end: issuers loop", "too-long": "end: too long"}.get(end, "end")
            order = Text(note, style="green" if end == "anchor" else "red")
        elif marks.get(i, True):
            order = Text("✓ signed by the next", style="green")
        else:
            order = Text("✗ not signed by the next", style="red")
        name = render.safe(facts.short_name(entry), 48)
        return (Text(f"#{i + 1}", style=style), order, Text(role, style=render.ROLE_STYLE.get(role, "")),
                Text(name, style=style))


class FindingsTable(DataTable[Text]):
    """Severity, code, the certificate at fault and the message of every finding."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self.findings: list[Finding] = []

    def on_mount(self) -> None:
        self.add_column("severity", key="severity")
        self.add_column("code", key="code")
        self.add_column("certificate", key="cert")
        self.add_column("message", key="message")

    def show(self, report: Report, where: dict[str, list[int]]) -> None:
        self.clear()
        self.findings = list(report.findings)
        by_sha = {e.sha256: e for e in (*report.bundle.certs, *report.chain)}
        for i, finding in enumerate(self.findings[:MAX_ROWS]):
            self.add_row(*render.finding_cells(finding, by_sha, where), key=str(i))
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
