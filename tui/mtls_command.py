"""``chaindoctor mtls``: will this client and this server accept each other?"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from .pki.load import LoadError, load_file, password_from_env
from .pki.model import Bundle
from .pki.mtls import check_pair
from .pki.stores import TrustStore, load_trust
from .pki.text import inert
from .report_text import render, use_color


@dataclass(frozen=True)
class Pair:
    """The two chains of an mTLS pair and the trust bundle each side verifies the other with."""

    server_chain: Bundle
    server_trust: TrustStore  # T1: what the server trusts for client certificates
    client_chain: Bundle
    client_trust: TrustStore  # T2: what the client trusts for the server


def load_pair(args: argparse.Namespace) -> Pair:
    """Read the four files named by ``chaindoctor mtls`` (LoadError with one line on bad input)."""
    password = password_from_env(args.password)
    server_chain = load_file(args.server_chain, password=password)
    client_chain = load_file(args.client_chain, password=password)
    for name, bundle in ((args.server_chain, server_chain), (args.client_chain, client_chain)):
        if not bundle.certs:
            raise LoadError(f"{name}: no certificate could be read")
    server_trust = load_trust([args.server_trust], system=False, password=password)
    client_trust = load_trust([args.client_trust], system=False, password=password)
    if not len(server_trust) or not len(client_trust):
        empty = args.server_trust if not len(server_trust) else args.client_trust
        raise LoadError(f"{empty}: holds no certificate to trust")
    return Pair(server_chain, server_trust, client_chain, client_trust)


def run_mtls(args: argparse.Namespace) -> int:
    if getattr(args, "app", False):
        if args.json:
            from .cli import UsageError

            raise UsageError("--app and --json exclude each other")
        from .app.mtls_app import launch_mtls

        return launch_mtls(args)
    pair = load_pair(args)
    result = check_pair(pair.server_chain, pair.client_trust, pair.client_chain, pair.server_trust,
                        host=args.host, at=args.at)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        color = use_color()
        sys.stdout.write(render(result.server, color=color,
                                title=f"Server chain {args.server_chain}, as the client sees it "
                                      f"(trusting {args.client_trust}, purpose server)"))
        sys.stdout.write("\n")
        sys.stdout.write(render(result.client, color=color,
                                title=f"Client chain {args.client_chain}, as the server sees it "
                                      f"(trusting {args.server_trust}, purpose client)"))
        sys.stdout.write("\nmTLS pair: " + result.verdict.upper() + "\n")
        for line in result.summary():
            sys.stdout.write(f"  - {inert(line)}\n")
    return 0 if result.verdict == "ok" else 1
