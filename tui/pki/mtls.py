"""mTLS pair check: each side validates the other's chain with its own trust bundle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .diagnose import Report
from .peer import Judge, TrustGap, trust_gap

if TYPE_CHECKING:
    from .session import Pair


@dataclass
class MtlsReport:
    """Both directions of a mutual-TLS handshake, and the trust bundle files that lack the other side's CA."""

    server: Report  # the client, trusting client_trust, validates the server's chain (purpose server)
    client: Report  # the server, trusting server_trust, validates the client's chain (purpose client)
    server_judge: Judge | None = None  # the client's trust bundle file, when known
    client_judge: Judge | None = None  # the server's client-CA bundle file, when known

    @property
    def verdict(self) -> str:
        return "ok" if self.server.verdict == "ok" and self.client.verdict == "ok" else "broken"

    @property
    def gaps(self) -> tuple[TrustGap, ...]:
        """Each direction whose chain stops at a CA the judging trust bundle does not hold."""
        found = [trust_gap(report, judge) for report, judge in ((self.server, self.server_judge),
                                                                (self.client, self.client_judge))
                 if judge is not None]
        return tuple(gap for gap in found if gap is not None)

    def summary(self) -> list[str]:
        """One plain sentence per direction: who will reject whom, and why."""
        return [
            _sentence("The client", "the server's chain", self.server),
            _sentence("The server", "the client's certificate", self.client),
        ]

    def to_json(self) -> dict[str, object]:
        return {"schema": 1, "verdict": self.verdict, "summary": self.summary(),
                "trust_gaps": [gap.to_json() for gap in self.gaps],
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
    server, client = pair.server, pair.client
    return MtlsReport(server.analyse(server.bundle, now), client.analyse(client.bundle, now),
                      server.judge, client.judge)
