"""``chaindoctor mtls``: will this client and this server accept each other?"""

from __future__ import annotations

import argparse
import sys

from ..pki.mtls import check_pair
from ..pki.session import open_pair, system_clock
from ..pki.text import inert
from .parse import UsageError, pair_request_from
from .render_json import print_json
from .render_text import render, use_color


def run_mtls(args: argparse.Namespace) -> int:
    request = pair_request_from(args)
    if args.app:
        if args.json:
            raise UsageError("--app and --json exclude each other")
        from ..app.mtls_app import launch_mtls

        return launch_mtls(request, watchdog=True)
    pair = open_pair(request)
    result = check_pair(pair, system_clock())
    if args.json:
        print_json(result.to_json())
        return 0 if result.verdict == "ok" else 1
    color = use_color()
    sys.stdout.write(render(result.server, color=color,
                            title=f"Server chain {request.server_chain}, as the client sees it "
                                  f"(trusting {request.client_trust}, purpose server)"))
    sys.stdout.write("\n")
    sys.stdout.write(render(result.client, color=color,
                            title=f"Client chain {request.client_chain}, as the server sees it "
                                  f"(trusting {request.server_trust}, purpose client)"))
    sys.stdout.write("\nmTLS pair: " + result.verdict.upper() + "\n")
    for line in result.summary():
        sys.stdout.write(f"  - {inert(line)}\n")
    return 0 if result.verdict == "ok" else 1
