"""Finding a certificate by name, SHA-256 fingerprint or serial number (no Textual here).

The index is built once per report; a search then reads one prepared row per certificate, so a
500-certificate bundle answers at once.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from ..pki.diagnose import Report
from ..pki.model import CertEntry

MIN_FINGERPRINT = 4  # hex digits of a fingerprint prefix, so that "ab" does not match one certificate in 256
_HEX = frozenset(string.hexdigits.lower())


@dataclass(frozen=True)
class _Row:
    entry: CertEntry
    subject: str  # case-folded
    issuer: str  # case-folded
    sha256: str
    serial_hex: str
    serial_dec: str


def _hex(text: str) -> str | None:
    """``text`` as lowercase hex digits (colons and spaces dropped), or None when it is not hex."""
    digits = text.replace(":", "").replace(" ", "").lower()
    return digits if digits and set(digits) <= _HEX else None


class FindIndex:
    """Every certificate a report shows (the loaded ones in load order, then trust anchors on the chain),
    each once, with what a search can match."""

    def __init__(self, report: Report) -> None:
        self.rows: list[_Row] = []
        seen: set[str] = set()
        for entry in (*report.bundle.certs, *report.chain):
            if entry.sha256 in seen:
                continue
            seen.add(entry.sha256)
            serial = entry.cert.serial_number
            self.rows.append(_Row(entry, entry.subject.casefold(), entry.issuer.casefold(), entry.sha256,
                                  format(serial, "x"), str(serial)))

    def find(self, query: str) -> list[CertEntry]:
        """The certificates ``query`` names: a case-insensitive part of the subject or issuer, a fingerprint
        prefix (with or without colons), or the serial number in hex (with or without colons) or decimal.

        Certificates named by their own subject, fingerprint or serial come first, then those whose issuer
        matches (the certificates a CA signed).
        """
        text = query.strip()
        if not text:
            return []
        folded = text.casefold()
        digits = _hex(text)
        serial = digits.lstrip("0") or "0" if digits is not None else None
        decimal = text if text.isdecimal() else None
        fingerprint = digits if digits is not None and len(digits) >= MIN_FINGERPRINT else None
        itself: list[CertEntry] = []
        signed: list[CertEntry] = []
        for row in self.rows:
            if (folded in row.subject or row.serial_hex == serial or row.serial_dec == decimal
                    or (fingerprint is not None and row.sha256.startswith(fingerprint))):
                itself.append(row.entry)
            elif folded in row.issuer:
                signed.append(row.entry)
        return itself + signed


@dataclass
class Search:
    """The matches of the last query and which one is shown: Enter steps through them."""

    query: str = ""  # case-folded: a search differing only in case is the same search
    matches: tuple[CertEntry, ...] = ()
    at: int = -1

    def next(self, query: str, index: FindIndex) -> CertEntry | None:
        """The next match of ``query`` (the first one when the query changed); None when nothing matches."""
        key = query.strip().casefold()
        if key != self.query or not self.matches:
            self.query, self.matches, self.at = key, tuple(index.find(query)), -1
        if not self.matches:
            return None
        self.at = (self.at + 1) % len(self.matches)
        return self.matches[self.at]

    @property
    def status(self) -> str:
        """``match 2 of 5`` or ``no match``."""
        return f"match {self.at + 1} of {len(self.matches)}" if self.matches else "no match"
