"""A finding: one problem with a chain, naming the certificate(s) at fault by SHA-256."""

from __future__ import annotations

from typing import NamedTuple

from .vocabulary import FIX_FOR, SEVERITY

__all__ = ["Finding"]


class Finding(NamedTuple):
    """One problem, naming the certificate(s) at fault by SHA-256."""

    code: str
    certificates: tuple[str, ...]
    message: str

    @property
    def severity(self) -> str:
        return SEVERITY[self.code]

    @property
    def fix(self) -> str | None:
        return FIX_FOR.get(self.code)

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "certificates": list(self.certificates),
                "message": self.message, "fix": self.fix}
