"""The served order (as the file has it, with the breaks marked) and the findings table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from ...pki.diagnose import CertFacts, Finding
from ...pki.vocabulary import PathEnd, Role
from .. import facts, render
from ..forest import OFF_PATH, order_judged
from ..view import View

MAX_ROWS = 1000  # a 10,000-certificate bundle shows its first rows and says how many more
END_NOTES: dict[str, str] = {PathEnd.ANCHOR: "end of the chain", PathEnd.SELF_SIGNED: "end: untrusted root",
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
        self.add_columns_of_the_table()

    def add_columns_of_the_table(self) -> None:
        """The columns before any row arrives (auto-width here; fixed widths in the compact table)."""
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
            order = Text(END_NOTES.get(end or "", "end"), style="green" if end == PathEnd.ANCHOR else "red")
        elif view.marks.get(i, True):
            order = Text("✓ signed by the next", style="green")
        else:
            order = Text(NOT_NEXT, style="red")
        name = render.safe(facts.short_name(cert.entry), 48)
        return (Text(f"#{cert.number}", style=style), order, Text(role, style=render.ROLE_STYLE.get(role, "")),
                Text(name, style=style))


class FindingsTable(DataTable[Text]):
    """Severity, code, the certificate at fault and the message of every finding, errors first.

    A code with several findings (a trust bundle gives hundreds of ``extra-cert``) is one row with a
    count; Enter unfolds it into its findings and folds it again. A code with one finding is its row.
    """

    GROUP = "group:"  # the row key of a code's group: GROUP + code

    COLUMNS: Columns = (("severity", "severity"), ("code", "code"), ("certificate", "cert"), ("message", "message"))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.findings: list[Finding] = []
        self.groups: dict[str, list[int]] = {}  # code -> indexes into findings, in table order
        self.unfolded: set[str] = set()
        self._view: View | None = None

    def on_mount(self) -> None:
        for label, key in self.COLUMNS:
            self.add_column(label, key=key)

    def show(self, view: View) -> None:
        self._view = view
        self.findings = list(view.report.findings)
        self.groups = {}
        for i, finding in enumerate(self.findings):  # findings come errors first: so do the groups
            self.groups.setdefault(finding.code, []).append(i)
        self.unfolded &= {code for code, members in self.groups.items() if len(members) > 1}
        self._fill()

    def _fill(self) -> None:
        view = self._view
        assert view is not None
        rows: list[Row] = []
        listed = 0  # findings listed on the rows (a folded group lists all of its own)
        for code, members in self.groups.items():
            if len(rows) >= MAX_ROWS:
                break
            grouped = len(members) > 1
            if grouped:
                rows.append((self._group_cells(code, members), self.GROUP + code))
                if code not in self.unfolded:
                    listed += len(members)
                    continue
            for i in members[:MAX_ROWS - len(rows)]:
                rows.append((self._cells(view, i, nested=grouped), str(i)))
                listed += 1
        hidden = len(self.findings) - listed
        if hidden > 0:
            rows.append((self._note(Text("…"), Text(f"{hidden:,} more findings (chaindoctor check lists them all)",
                                                     style="dim italic")), "more"))
        if not self.findings:
            rows.append((self._note(Text("✓ none", style="bold green"),
                                    Text("No findings: the chain is complete, in order and trusted.", style="green")),
                         "none"))
        fitted(self, self.COLUMNS, rows)
        fill(self, rows)

    def _note(self, first: Text, text: Text) -> tuple[Text, ...]:
        """A row that is no finding: ``first`` in the first column, ``text`` in the message's."""
        return first, Text(""), Text(""), text

    def _cells(self, view: View, index: int, *, nested: bool) -> tuple[Text, ...]:
        finding = self.findings[index]
        entry = view.entry(finding.certificates[0]) if finding.certificates else None
        severity, code, who, message = render.finding_cells(finding, view.report, entry)
        return severity, (Text.assemble("  ", code) if nested else code), who, message

    def _group_cells(self, code: str, members: list[int]) -> tuple[Text, ...]:
        severity = render.severity_cell(self.findings[members[0]].severity)
        count = len(members)
        folded = code not in self.unfolded
        return (severity, Text.assemble((f"{'▸' if folded else '▾'} {code}", "bold"), f" ×{count}"),
                Text(f"{count} certificates" if self._certificates(members) else "—", style="dim"),
                Text(f"Enter {'lists' if folded else 'folds'} the {count} findings", style="italic"))

    def _certificates(self, members: list[int]) -> bool:
        return any(self.findings[i].certificates for i in members)

    def finding_at(self, key: str | None) -> Finding | None:
        if key is None or not key.isdigit():
            return None
        index = int(key)
        return self.findings[index] if index < len(self.findings) else None

    def group_at(self, key: str | None) -> list[Finding] | None:
        """The findings of the group row ``key``; None for any other row."""
        if key is None or not key.startswith(self.GROUP):
            return None
        return [self.findings[i] for i in self.groups.get(key.removeprefix(self.GROUP), [])] or None

    def code_at(self, key: str | None) -> str | None:
        """The finding code of the row ``key`` (a finding or a group)."""
        finding = self.finding_at(key)
        group = self.group_at(key)
        return finding.code if finding is not None else group[0].code if group else None

    def toggle(self, code: str) -> None:
        """Unfold a group into its findings, or fold it again; the cursor stays on the group's row."""
        if len(self.groups.get(code, ())) < 2:
            return
        self.unfolded ^= {code}
        self._fill()
        self.move_cursor(row=self.get_row_index(self.GROUP + code))

    def reveal(self, sha256: str) -> bool:
        """Put the cursor on the first finding that blames the certificate ``sha256`` first, else on the first
        that names it (unfolding its group)."""
        blamed = (i for i, f in enumerate(self.findings) if f.certificates[:1] == (sha256,))
        named = (i for i, f in enumerate(self.findings) if sha256 in f.certificates)
        index = next(blamed, next(named, None))
        if index is None:
            return False
        code = self.findings[index].code
        if len(self.groups[code]) > 1 and code not in self.unfolded:
            self.unfolded.add(code)
            self._fill()
        try:
            row = self.get_row_index(str(index))
        except RowDoesNotExist:  # past the rows the table lists
            return False
        self.move_cursor(row=row)
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a group row folds or unfolds it."""
        key = event.row_key.value
        if key is not None and key.startswith(self.GROUP):
            event.stop()
            self.toggle(key.removeprefix(self.GROUP))
