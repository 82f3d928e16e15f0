"""``chaindoctor check``: diagnose, print the report, exit with the verdict."""

from __future__ import annotations

import argparse
import sys

from ..pki.diagnose import Report
from ..pki.session import Session, open_session, system_clock
from ..pki.text import inert
from .parse import request_from
from .render_text import render, use_color


def run_check(args: argparse.Namespace) -> int:
    request = request_from(args)
    session = open_session(request)
    report, notes = session.check(system_clock())
    if args.json:
        from .render_json import print_json, report_json

        data = report_json(report, session)
        if notes:
            data["notes"] = notes
        print_json(data)
    else:
        title = "chaindoctor check: " + ", ".join(request.sources)
        sys.stdout.write(render(report, color=use_color(), title=title))
        sys.stdout.write(live_notes(session, report))
        sys.stdout.write("".join(f"note: {inert(n)}\n" for n in notes))
    return 0 if report.verdict == "ok" else 1


def live_notes(session: Session, report: Report) -> str:
    """What each live SOURCE sent, over which protocol, its OCSP staple, what it sends without SNI,
    and whose client certificates it asks for."""
    if not session.live:
        return ""
    from ..pki.livecheck import describe, live_facts

    out = []
    for chain in session.live:
        lines = describe(live_facts(chain, report))
        out += ["", f"Live: {inert(lines[0])}", *(inert(line) for line in lines[1:])]
    return "\n".join(out) + "\n"
