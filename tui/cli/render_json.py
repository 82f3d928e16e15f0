"""The JSON report of ``check`` (and of ``fix --json``): the report plus what live sources said."""

from __future__ import annotations

import json
import sys

from ..pki.diagnose import Report
from ..pki.session import Session


def report_json(report: Report, session: Session) -> dict[str, object]:
    """The contract's JSON report, with a ``live`` entry per live SOURCE."""
    data = report.to_json()
    if session.live:
        data["live"] = [
            {"endpoint": c.endpoint.label, "tls_version": c.tls_version, "cipher": c.cipher,
             "client_cert_requested": c.client_cert_requested,
             "acceptable_client_ca_names": list(c.acceptable_client_ca_names)}
            for c in session.live
        ]
    return data


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
