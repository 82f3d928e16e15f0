"""The JSON report of ``check`` (and of ``fix --json``): the report plus what live sources said."""

from __future__ import annotations

import json
import sys

from ..pki.diagnose import Report
from ..pki.session import Session


def report_json(report: Report, session: Session) -> dict[str, object]:
    """The contract's JSON report, with a ``live`` entry per live SOURCE (its connection's facts)."""
    data = report.to_json()
    if session.live:
        from ..pki.livecheck import live_facts

        data["live"] = [live_facts(c, report) for c in session.live]
    return data


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
