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
    fixable: bool = True  # False: the code's repair cannot address this one (e.g. a trust bundle lacks a CA)

    @property
    def severity(self) -> str:
        return SEVERITY[self.code]

    @property
    def fix(self) -> str | None:
        """The repair that addresses this finding (the JSON ``fix``), None when no repair of the chain does."""
        return FIX_FOR.get(self.code) if self.fixable else None

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "certificates": list(self.certificates),
                "message": self.message, "fix": self.fix}
