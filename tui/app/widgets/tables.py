"""The served order (as the file has it, with the breaks marked) and the findings table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
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
NOT_NEXT = "✗ not signed by the next"  # every break of the order, the first one included
Columns = Sequence[tuple[str, str]]  # (label, key) of each column
Row = tuple[tuple[Text, ...], str]  # the cells of a row and its key


def fitted(table: DataTable[Text], columns: Columns, rows: Sequence[Row]) -> None:
    """Empty ``table`` and give it ``columns`` as wide as the ``rows`` about to be added need.

    Textual measures auto-width columns only when the app is idle, which a big bundle postpones: a
    table whose widths are set before its rows arrive is right from its first paint.
    """
    widths = [cell_len(label) for label, _key in columns]
    for cells, _key in rows:
        for i, cell in enumerate(cells):
            widths[i] = max(widths[i], cell.cell_len)
    table.clear(columns=True)
    for (label, key), width in zip(columns, widths, strict=True):
        table.add_column(label, key=key, width=width)


def fill(table: DataTable[Text], rows: Sequence[Row]) -> None:
    for cells, key in rows:
        table.add_row(*cells, key=key)


class ServedOrder(DataTable[Text]):
    """Every loaded certificate in file order: #, subject, role, and whether the next one signed it."""

    COLUMNS: Columns = (("#", "n"), ("order", "order"), ("role", "role"), ("subject", "subject"))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.break_index: int | None = None

    def on_mount(self) -> None:
        for label, key in self.COLUMNS:
            self.add_column(label, key=key)

    def show(self, view: View) -> None:
        report = view.report
        self.break_index = view.break_index
        certificates = report.certificates
        last_member = max((f.index for f in certificates if f.role not in OFF_PATH), default=None)
        rows: list[Row] = [(self._row(view, cert, last_member), str(cert.index)) for cert in certificates[:MAX_ROWS]]
        hidden = len(certificates) - MAX_ROWS
        if hidden > 0:
            rows.append(((Text("…"), Text(""), Text(""),
                          Text(f"{hidden:,} more certificates not listed", style="dim italic")), "more"))
        self._fit(rows)
        fill(self, rows)
        self.set_class(view.break_index is not None, "-broken-order")
        if not report.bundle.ordered:
            self.border_subtitle = "order not judged: PKCS#7/#12 hold unordered sets"
        elif report.leaf is None:
            self.border_subtitle = "order not judged: no leaf (a trust bundle)"
        elif view.break_index is not None:
            self.border_subtitle = f"✗ #{view.break_index + 1} is not signed by the next"
        else:
            self.border_subtitle = "✓ leaf first, each followed by its issuer"

    def _fit(self, rows: Sequence[Row]) -> None:
        fitted(self, self.COLUMNS, rows)

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
            order = Text(NOT_NEXT, style="bold red")
        elif i == last_member:
            end = report.path.end if report.path is not None else None
            order = Text(END_NOTES.get(end, "end"), style="green" if end == PathEnd.ANCHOR else "red")
        elif view.marks.get(i, True):
            order = Text("✓ signed by the next", style="green")
        else:
            order = Text(NOT_NEXT, style="red")
        name = render.safe(facts.short_name(cert.entry), 48)
        return (Text(f"#{cert.number}", style=style), order, Text(role, style=render.ROLE_STYLE.get(role, "")),
                Text(name, style=style))


class FindingsTable(DataTable[Text]):
    """Severity, code, the certificate at fault and the message of every finding."""

    COLUMNS: Columns = (("severity", "severity"), ("code", "code"), ("certificate", "cert"), ("message", "message"))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.findings: list[Finding] = []

    def on_mount(self) -> None:
        for label, key in self.COLUMNS:
            self.add_column(label, key=key)

    def show(self, view: View) -> None:
        self.findings = list(view.report.findings)
        rows: list[Row] = [(self._cells(finding, view), str(i)) for i, finding in enumerate(self.findings[:MAX_ROWS])]
        hidden = len(self.findings) - MAX_ROWS
        if hidden > 0:
            rows.append((self._note(Text("…"), Text(f"{hidden:,} more findings (chaindoctor check lists them all)",
                                                     style="dim italic")), "more"))
        if not self.findings:
            rows.append((self._note(Text("✓ none", style="bold green"),
                                    Text("No findings: the chain is complete, in order and trusted.", style="green")),
                         "none"))
        fitted(self, self.COLUMNS, rows)
        fill(self, rows)

    def _cells(self, finding: Finding, view: View) -> tuple[Text, ...]:
        entry = view.entry(finding.certificates[0]) if finding.certificates else None
        return render.finding_cells(finding, view.report, entry)

    def _note(self, first: Text, text: Text) -> tuple[Text, ...]:
        """A row that is no finding: ``first`` in the first column, ``text`` in the message's."""
        return first, Text(""), Text(""), text

    def finding_at(self, key: str | None) -> Finding | None:
        if key is None or not key.isdigit():
            return None
        index = int(key)
        return self.findings[index] if index < len(self.findings) else None
