"""``chaindoctor check``: diagnose, print the report, exit with the verdict."""

from __future__ import annotations

import argparse
import sys

from ..pki.session import Session, open_session, system_clock
from ..pki.text import inert
from .parse import request_from
from .render_json import print_json, report_json
from .render_text import render, use_color


def run_check(args: argparse.Namespace) -> int:
    request = request_from(args)
    session = open_session(request)
    report, notes = session.check(system_clock())
    if args.json:
        data = report_json(report, session)
        if notes:
            data["notes"] = notes
        print_json(data)
    else:
        title = "chaindoctor check: " + ", ".join(request.sources)
        sys.stdout.write(render(report, color=use_color(), title=title))
        sys.stdout.write(live_notes(session))
        sys.stdout.write("".join(f"note: {inert(n)}\n" for n in notes))
    return 0 if report.verdict == "ok" else 1


def live_notes(session: Session) -> str:
    """What each live SOURCE sent, over which protocol, and whose client certificates it asks for."""
    out = []
    for chain in session.live:
        out.append(f"\nLive: {inert(chain.endpoint.label)} sent {len(chain.certificates_der)} certificate(s) "
                   f"over {inert(chain.tls_version)} ({inert(chain.cipher)}).")
        if chain.client_cert_requested:
            names = chain.acceptable_client_ca_names
            out.append("The server asks for a client certificate"
                       + (", issued by one of:" if names else " (it names no acceptable CA)."))
            out += [f"  - {inert(n)}" for n in names]
        out += [inert(n) for n in chain.notes]
    return "\n".join(out) + ("\n" if out else "")
