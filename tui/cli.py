"""The command line: ``chaindoctor [SOURCE ...]``, ``check``, ``fix``, ``explain``, ``learn``, ``mtls``.

The Textual app is imported only when it is launched, so scripted use stays fast and terminal-free.
Every failure the user can cause ends in one plain line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import sys
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

from cryptography.utils import CryptographyDeprecationWarning

from . import __version__
from .pki.diagnose import Policy, Report, diagnose
from .pki.load import LoadError, password_from_env
from .pki.sources import Loaded, load_sources
from .pki.stores import CertPool, TrustStore, load_trust, search_pool
from .pki.text import inert

COMMANDS = ("check", "fix", "explain", "learn", "mtls")


class UsageError(Exception):
    """A mistake in how chaindoctor was called; exits 2 with the message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse_time(text: str) -> datetime:
    """ISO 8601 (``2026-06-01T00:00:00Z`` or a date); naive times are UTC."""
    try:
        when = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-06-01T00:00:00Z)") from None
    try:  # in UTC, so that no later comparison overflows (0001-01-01T00:00:00+14:00 is before year 1)
        return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except OverflowError:
        raise argparse.ArgumentTypeError(f"time out of range: {text!r}") from None


def parse_seconds(text: str) -> float:
    """A timeout: a finite number of seconds above 0, at most an hour."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= 3600:  # also refuses nan and inf, which sockets reject with odd errors
        raise argparse.ArgumentTypeError(f"not a number of seconds between 0 and 3600: {text!r}")
    return seconds


def parse_host(text: str) -> str:
    host = text.strip().strip("[]").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if not host or len(host) > 253 or any(not lab or len(lab) > 63 for lab in labels):
        raise argparse.ArgumentTypeError(f"not a DNS name or IP address: {text!r}")
    return host


def add_trust_options(p: argparse.ArgumentParser) -> None:
    """The options every diagnosing command shares (CONTRACT.md)."""
    p.add_argument("--roots", action="append", default=[], metavar="FILE", help="trust anchors, any supported format")
    p.add_argument("--no-system-roots", action="store_true", help="trust only --roots")
    p.add_argument("--search", action="append", default=[], metavar="PATH",
                   help="files or folders (recursive) where missing intermediates may be found")
    p.add_argument("--aia", action="store_true", help="allow fetching missing issuers from AIA caIssuers URLs")
    p.add_argument("--host", type=parse_host, help="the DNS name or IP address the leaf must be valid for")
    p.add_argument("--purpose", choices=("server", "client"), default="server", help="what the leaf is used for")
    p.add_argument("--at", type=parse_time, help="validation time, ISO 8601; default now")
    p.add_argument("--password", help="PKCS#12 password (also CHAINDOCTOR_PASSWORD)")
    p.add_argument("--cert", type=Path, help="client certificate (PEM) to present to a live server that asks")
    p.add_argument("--key", type=Path, help="private key for --cert")
    p.add_argument("--timeout", type=parse_seconds, default=10.0, help="seconds for live connections and AIA (default 10)")


def build_parser() -> dict[str, argparse.ArgumentParser]:
    """One parser per command; the app's parser takes the bare SOURCE list."""
    app = _Parser(prog="chaindoctor", description="Open a certificate bundle, see who signed whom, "
                  "learn what is wrong with the chain and fix it. Commands: check, fix, explain, learn, mtls.")
    app.add_argument("sources", nargs="*", metavar="SOURCE", help="file, '-' for stdin, or HOST:PORT")
    app.add_argument("--version", action="version", version=f"chaindoctor {__version__}")
    add_trust_options(app)

    check = _Parser(prog="chaindoctor check", description="Diagnose, print a report, exit with the verdict.")
    check.add_argument("sources", nargs="+", metavar="SOURCE")
    check.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    add_trust_options(check)

    fix = _Parser(prog="chaindoctor fix", description="Write the repaired chain to OUT.")
    fix.add_argument("sources", nargs="+", metavar="SOURCE")
    fix.add_argument("-o", "--output", dest="output", type=Path, help="output file")
    fix.add_argument("--in-place", action="store_true", help="overwrite the input, keeping NAME.bak")
    fix.add_argument("--force", action="store_true", help="overwrite an existing OUT")
    fix.add_argument("--keep-root", action="store_true", help="keep the trust anchor in the output")
    fix.add_argument("--json", action="store_true", help="print the report of the fixed chain as JSON")
    add_trust_options(fix)

    explain = _Parser(prog="chaindoctor explain", description="What a finding means and what the fix does.")
    explain.add_argument("codes", nargs="*", metavar="CODE")
    explain.add_argument("--glossary", action="store_true", help="print the glossary")

    learn = _Parser(prog="chaindoctor learn", description="The interactive lessons.")

    mtls = _Parser(prog="chaindoctor mtls", description="Check that a client and a server will accept each other.")
    mtls.add_argument("--server-chain", required=True, metavar="S")
    mtls.add_argument("--server-trust", required=True, metavar="T1",
                      help="the CA bundle the server uses to verify client certificates")
    mtls.add_argument("--client-chain", required=True, metavar="C")
    mtls.add_argument("--client-trust", required=True, metavar="T2",
                      help="the CA bundle the client uses to verify the server")
    mtls.add_argument("--host", type=parse_host)
    mtls.add_argument("--at", type=parse_time)
    mtls.add_argument("--password")
    mtls.add_argument("--json", action="store_true")
    mtls.add_argument("--app", action="store_true", help="open the interactive app on the mTLS screen")
    return {"app": app, "check": check, "fix": fix, "explain": explain, "learn": learn, "mtls": mtls}


@dataclass
class Inputs:
    """Everything a diagnosing command needs, built once from its options."""

    loaded: Loaded
    trust: TrustStore
    policy: Policy
    search: CertPool | None
    password: bytes | None


def prepare(args: argparse.Namespace, *, stdin: bytes | None = None) -> Inputs:
    """Load the SOURCEs, the trust anchors and the search pool; LoadError on unreadable input."""
    password = password_from_env(args.password)
    if (args.cert is None) != (args.key is None) and args.key is not None:
        raise UsageError("--key needs --cert")
    loaded = load_sources(list(args.sources), password=password, stdin=stdin, timeout=args.timeout,
                          client_cert=args.cert, client_key=args.key)
    if not loaded.bundle.certs:
        detail = "; ".join(f"{u.label}: {u.reason}" for u in loaded.bundle.unreadable[:3])
        raise LoadError("no certificate could be read" + (f" ({detail})" if detail else ""))
    trust = load_trust(args.roots, system=not args.no_system_roots, password=password)
    search = search_pool(args.search, password=password)[0] if args.search else None
    host = args.host or loaded.default_host
    policy = Policy(host=host, purpose=args.purpose, at=args.at)
    return Inputs(loaded, trust, policy, search, password)


def title_for(args: argparse.Namespace) -> str:
    return "chaindoctor check: " + ", ".join(args.sources)


def run_check(args: argparse.Namespace) -> int:
    from .report_text import render, use_color

    inputs = prepare(args)
    report = diagnose(inputs.loaded.bundle, inputs.trust, inputs.policy, hints=inputs.search)
    if args.json:
        print(json.dumps(report_json(report, inputs), indent=2))
    else:
        sys.stdout.write(render(report, color=use_color(), title=title_for(args)))
        sys.stdout.write(live_notes(inputs))
    return 0 if report.verdict == "ok" else 1


def report_json(report: Report, inputs: Inputs) -> dict[str, object]:
    data = report.to_json()
    if inputs.loaded.live:
        data["live"] = [
            {"endpoint": c.endpoint.label, "tls_version": c.tls_version, "cipher": c.cipher,
             "client_cert_requested": c.client_cert_requested,
             "acceptable_client_ca_names": list(c.acceptable_client_ca_names)}
            for c in inputs.loaded.live
        ]
    return data


def live_notes(inputs: Inputs) -> str:
    from .pki.text import inert

    out = []
    for chain in inputs.loaded.live:
        out.append(f"\nLive: {chain.endpoint.label} sent {len(chain.certificates_der)} certificate(s) "
                   f"over {chain.tls_version} ({chain.cipher}).")
        if chain.client_cert_requested:
            names = chain.acceptable_client_ca_names
            out.append("The server asks for a client certificate"
                       + (", issued by one of:" if names else " (it names no acceptable CA)."))
            out += [f"  - {inert(n)}" for n in names]
        out += [inert(n) for n in chain.notes]
    return "\n".join(out) + ("\n" if out else "")


def run_explain(args: argparse.Namespace) -> int:
    from .pki import explain

    if args.glossary:
        sys.stdout.write(explain.render_glossary())
        return 0
    try:
        sys.stdout.write(explain.render_text(args.codes or None))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return 0


def run_app(args: argparse.Namespace, *, lessons: bool = False) -> int:
    from .app import launch

    return launch(args, lessons=lessons)


def dispatch(argv: list[str]) -> int:
    parsers = build_parser()
    command = argv[0] if argv and argv[0] in COMMANDS else "app"
    rest = argv[1:] if command != "app" else argv
    args = parsers[command].parse_args(rest)
    if command == "check":
        return run_check(args)
    if command == "fix":
        from .fix_command import run_fix

        return run_fix(args)
    if command == "explain":
        return run_explain(args)
    if command == "mtls":
        from .mtls_command import run_mtls

        return run_mtls(args)
    if command == "learn":
        args = parsers["app"].parse_args([])
        return run_app(args, lessons=True)
    return run_app(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit 0/1 from the command, 2 with one line for any usage or input error."""
    argv = sys.argv[1:] if argv is None else argv
    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
    # cryptography's notes on odd input (over-long names, BER) would print source lines on stderr
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(tui|cryptography)(\.|$)")
    try:
        return dispatch(argv)
    except UsageError as exc:
        print(f"chaindoctor: {inert(str(exc))} (see chaindoctor --help)", file=sys.stderr)
    except LoadError as exc:
        print(f"chaindoctor: {inert(str(exc))}", file=sys.stderr)
    except KeyboardInterrupt:
        print("chaindoctor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user
        if os.environ.get("CHAINDOCTOR_DEBUG"):
            raise
        print(f"chaindoctor: internal error: {type(exc).__name__}: {inert(str(exc).splitlines()[0]) if str(exc) else ''} "
              "(set CHAINDOCTOR_DEBUG=1 for details)", file=sys.stderr)
    return 2

