"""mTLS pair check: each side validates the other's chain with its own trust bundle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .diagnose import Report
from .session import Pair


@dataclass
class MtlsReport:
    """Both directions of a mutual-TLS handshake."""

    server: Report  # the client, trusting client_trust, validates the server's chain (purpose server)
    client: Report  # the server, trusting server_trust, validates the client's chain (purpose client)

    @property
    def verdict(self) -> str:
        return "ok" if self.server.verdict == "ok" and self.client.verdict == "ok" else "broken"

    def summary(self) -> list[str]:
        """One plain sentence per direction: who will reject whom, and why."""
        return [
            _sentence("The client", "the server's chain", self.server),
            _sentence("The server", "the client's certificate", self.client),
        ]

    def to_json(self) -> dict[str, object]:
        return {"schema": 1, "verdict": self.verdict, "summary": self.summary(),
                "server": self.server.to_json(), "client": self.client.to_json()}


def _sentence(who: str, what: str, report: Report) -> str:
    if report.verdict == "ok":
        return f"{who} will accept {what}."
    first = report.errors[0]
    more = f" (and {len(report.errors) - 1} more problem(s))" if len(report.errors) > 1 else ""
    return f"{who} will reject {what}: {first.code} — {first.message}{more}"


def check_pair(pair: Pair, now: datetime) -> MtlsReport:
    """Validate the server chain for purpose server (and the host) with the client's trust bundle,
    and the client chain for purpose client with the server's trust bundle."""
    return MtlsReport(pair.server.analyse(pair.server.bundle, now), pair.client.analyse(pair.client.bundle, now))
