"""mTLS pair check: each side validates the other's chain with its own trust bundle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .diagnose import Policy, Report, diagnose
from .model import Bundle
from .stores import TrustStore


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


def check_pair(
    server_chain: Bundle,
    client_trust: TrustStore,
    client_chain: Bundle,
    server_trust: TrustStore,
    *,
    host: str | None = None,
    at: datetime | None = None,
) -> MtlsReport:
    """Validate the server chain for purpose server (and ``host``) with the client's trust bundle,
    and the client chain for purpose client with the server's trust bundle."""
    server = diagnose(server_chain, client_trust, Policy(host=host, purpose="server", at=at))
    client = diagnose(client_chain, server_trust, Policy(purpose="client", at=at))
    return MtlsReport(server, client)
