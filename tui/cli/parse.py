"""Parsing the command line: one parser per command, option types, and the engine request they build."""

from __future__ import annotations

import argparse
import math
from datetime import datetime
from typing import NoReturn

from .. import __version__
from ..pki.hostname import parse_host as host_from
from ..pki.load import password_from_env
from ..pki.request import DEFAULT_TIMEOUT, PairRequest, Request
from ..pki.request import parse_time as request_time
from ..pki.vocabulary import Purpose

COMMANDS = ("check", "fix", "explain", "learn", "mtls", "scan")


class UsageError(Exception):
    """A mistake in how chaindoctor was called; exits 2 with the message."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse_time(text: str) -> datetime:
    """``--at``: ISO 8601 (``2026-06-01T00:00:00Z`` or a date); naive times are UTC."""
    try:
        return request_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    """``--host``: a DNS name or an IP address."""
    try:
        return host_from(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _starttls(text: str) -> str:
    from ..pki.starttls import parse_protocol  # only when the option is given

    try:
        return parse_protocol(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _server_name(text: str) -> str:
    from ..pki.endpoints import parse_server_name

    try:
        return parse_server_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_live_options(p: argparse.ArgumentParser) -> None:
    """How live SOURCEs are reached: STARTTLS and the server name sent (CONTRACT.md)."""
    p.add_argument("--starttls", type=_starttls, metavar="PROTO",
                   help="live SOURCE: upgrade a plain connection first: smtp, imap, pop3, ftp, xmpp, ldap, "
                   "postgres, or none for TLS from the first byte (default: as the port implies, e.g. 25 smtp)")
    sni = p.add_mutually_exclusive_group()
    sni.add_argument("--sni", type=_server_name, metavar="NAME",
                     help="live SOURCE: the server name sent in the handshake (default: the HOST)")
    sni.add_argument("--no-sni", action="store_true", help="live SOURCE: send no server name")


def add_trust_options(p: argparse.ArgumentParser) -> None:
    """The options every diagnosing command shares (CONTRACT.md)."""
    p.add_argument("--roots", action="append", default=[], metavar="FILE", help="trust anchors, any supported format")
    p.add_argument("--no-system-roots", action="store_true", help="trust only --roots")
    p.add_argument("--search", action="append", default=[], metavar="PATH",
                   help="files or folders (recursive) where missing intermediates may be found")
    p.add_argument("--aia", action="store_true", help="allow fetching missing issuers from AIA caIssuers URLs")
    p.add_argument("--aia-private", action="store_true",
                   help="also allow AIA fetches from loopback, private and link-local addresses")
    p.add_argument("--host", type=parse_host, help="the DNS name or IP address the leaf must be valid for")
    p.add_argument("--purpose", choices=("server", "client"), default="server", help="what the leaf is used for")
    p.add_argument("--at", type=parse_time, help="validation time, ISO 8601; default now")
    p.add_argument("--password", help="PKCS#12 password (also CHAINDOCTOR_PASSWORD)")
    p.add_argument("--cert", help="client certificate (PEM) to present to a live server that asks")
    p.add_argument("--key", help="private key for --cert")
    p.add_argument("--timeout", type=parse_seconds, default=DEFAULT_TIMEOUT,
                   help="seconds for live connections and AIA (default 10)")
    add_live_options(p)


def _app_parser() -> argparse.ArgumentParser:
    app = Parser(prog="chaindoctor", description="Open a certificate bundle, see who signed whom, learn what is "
                 "wrong with the chain and fix it. Commands: check, fix, explain, learn, mtls, scan.")
    app.add_argument("sources", nargs="*", metavar="SOURCE", help="file, '-' for stdin, or HOST:PORT")
    app.add_argument("--version", action="version", version=f"chaindoctor {__version__}")
    add_trust_options(app)
    return app


def _check_parser() -> argparse.ArgumentParser:
    check = Parser(prog="chaindoctor check", description="Diagnose, print a report, exit with the verdict.")
    check.add_argument("sources", nargs="+", metavar="SOURCE")
    check.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    add_trust_options(check)
    return check


def _fix_parser() -> argparse.ArgumentParser:
    fix = Parser(prog="chaindoctor fix", description="Write the repaired chain to OUT.")
    fix.add_argument("sources", nargs="+", metavar="SOURCE")
    fix.add_argument("-o", "--output", dest="output", help="output file ('-': standard output)")
    fix.add_argument("--in-place", action="store_true", help="overwrite the input, keeping NAME.bak")
    fix.add_argument("--force", action="store_true", help="overwrite an existing OUT")
    fix.add_argument("--keep-root", action="store_true", help="keep the trust anchor in the output")
    fix.add_argument("--json", action="store_true", help="print the report of the fixed chain as JSON")
    fix.add_argument("--diff", action="store_true",
                     help="also show the chain before and after: what moved, what was added (and from where), "
                     "what was dropped")
    add_trust_options(fix)
    return fix


def _explain_parser() -> argparse.ArgumentParser:
    explain = Parser(prog="chaindoctor explain", description="What a finding means and what the fix does.")
    explain.add_argument("codes", nargs="*", metavar="CODE", help="finding codes or glossary words")
    explain.add_argument("--all", action="store_true", help="every explanation, in the contract's order")
    explain.add_argument("--glossary", action="store_true", help="the glossary, or its entries for the words given")
    return explain


def _learn_parser() -> argparse.ArgumentParser:
    return Parser(prog="chaindoctor learn", description="The interactive lessons.")


def _mtls_parser() -> argparse.ArgumentParser:
    mtls = Parser(prog="chaindoctor mtls", description="Check that a client and a server will accept each other.")
    mtls.add_argument("--server-chain", required=True, metavar="S")
    mtls.add_argument("--server-trust", required=True, metavar="T1",
                      help="the CA bundle the server uses to verify client certificates")
    mtls.add_argument("--client-chain", required=True, metavar="C")
    mtls.add_argument("--client-trust", required=True, metavar="T2",
                      help="the CA bundle the client uses to verify the server")
    mtls.add_argument("--host", type=parse_host)
    mtls.add_argument("--at", type=parse_time)
    mtls.add_argument("--password")
    mtls.add_argument("--aia", action="store_true", help="allow fetching missing issuers from AIA caIssuers URLs")
    mtls.add_argument("--aia-private", action="store_true",
                      help="also allow AIA fetches from loopback, private and link-local addresses")
    mtls.add_argument("--json", action="store_true")
    mtls.add_argument("--app", action="store_true", help="open the interactive app on the mTLS screen")
    return mtls


def _jobs(text: str) -> int:
    from ..pki.scan import MAX_JOBS

    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if not 1 <= jobs <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"not a number of jobs between 1 and {MAX_JOBS}: {text!r}")
    return jobs


def _scan_parser() -> argparse.ArgumentParser:
    from ..pki.scan import DEFAULT_JOBS

    p = Parser(prog="chaindoctor scan", description="Check many live endpoints, one verdict each. Exit 1 when "
                "any is broken or unreachable.")
    p.add_argument("endpoints", nargs="*", metavar="ENDPOINT",
                   help="HOST[:PORT] or https://HOST[:PORT] (default port 443, or the --starttls protocol's)")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="read endpoints from FILE ('-' for stdin): one HOST[:PORT] a line, '#' comments")
    p.add_argument("--jobs", type=_jobs, default=DEFAULT_JOBS, metavar="N",
                   help=f"endpoints checked at once (default {DEFAULT_JOBS})")
    p.add_argument("--json", action="store_true", help="JSON Lines on stdout: one report per endpoint")
    p.add_argument("--roots", action="append", default=[], metavar="FILE", help="trust anchors, any supported format")
    p.add_argument("--no-system-roots", action="store_true", help="trust only --roots")
    p.add_argument("--host", type=parse_host,
                   help="the name every leaf must be valid for (default: --sni, else each endpoint's HOST)")
    p.add_argument("--purpose", choices=("server", "client"), default="server", help="what the leaf is used for")
    p.add_argument("--at", type=parse_time, help="validation time, ISO 8601; default now")
    p.add_argument("--timeout", type=parse_seconds, default=10.0, help="seconds per connection (default 10)")
    add_live_options(p)
    return p


_PARSERS = {"app": _app_parser, "check": _check_parser, "fix": _fix_parser, "explain": _explain_parser,
            "learn": _learn_parser, "mtls": _mtls_parser, "scan": _scan_parser}


def parser_for(command: str) -> argparse.ArgumentParser:
    """The parser of one command ("app" for the bare SOURCE list); only that one is built."""
    return _PARSERS[command]()


def build_parser() -> dict[str, argparse.ArgumentParser]:
    """Every command's parser, by command."""
    return {command: make() for command, make in _PARSERS.items()}


def request_from(args: argparse.Namespace) -> Request:
    """The engine request for a diagnosing command's options (UsageError on a bad combination)."""
    if args.key is not None and args.cert is None:
        raise UsageError("--key needs --cert")
    return Request(
        sources=tuple(args.sources), roots=tuple(args.roots), system_roots=not args.no_system_roots,
        search=tuple(args.search), host=args.host, purpose=Purpose(args.purpose), at=args.at,
        password=password_from_env(args.password), aia=args.aia, aia_private=args.aia_private,
        timeout=args.timeout, client_cert=args.cert, client_key=args.key,
        starttls=args.starttls, sni=args.sni, no_sni=args.no_sni,
    )


def pair_request_from(args: argparse.Namespace) -> PairRequest:
    """The engine request for ``chaindoctor mtls``."""
    return PairRequest(args.server_chain, args.server_trust, args.client_chain, args.client_trust,
                       host=args.host, at=args.at, password=password_from_env(args.password),
                       aia=args.aia, aia_private=args.aia_private)


def parse_request(argv: list[str]) -> Request:
    """``chaindoctor ARGV`` (the app's arguments) as an engine request."""
    return request_from(parser_for("app").parse_args(argv))

