"""The command line: ``chaindoctor [SOURCE ...]``, ``check``, ``fix``, ``explain``, ``learn``, ``mtls``.

Each command lives in a module of its own, imported only when it runs, so a file ``check`` never
loads Textual, the explanation texts or the live-endpoint machinery. Every failure the user can cause
ends in one plain line on stderr (and, with ``--json``, the contract's error object on stdout) and
exit status 2.
"""

from __future__ import annotations

import io
import os
import sys
import warnings

from cryptography.utils import CryptographyDeprecationWarning

from ..pki.load import LoadError
from ..pki.text import inert
from .parse import COMMANDS, UsageError, build_parser, parse_request, parser_for, request_from

__all__ = ["main", "build_parser", "parse_request", "request_from", "UsageError"]


def dispatch(argv: list[str]) -> int:
    command = argv[0] if argv and argv[0] in COMMANDS else "app"
    rest = argv[1:] if command != "app" else argv
    args = parser_for(command).parse_args(rest)
    if command == "check":
        from .check import run_check

        return run_check(args)
    if command == "fix":
        from .fix import run_fix

        return run_fix(args)
    if command == "explain":
        from .explain import run_explain

        return run_explain(args)
    if command == "mtls":
        from .mtls import run_mtls

        return run_mtls(args)
    if command == "scan":
        from .scan import run_scan

        return run_scan(args)
    from ..app import launch

    if command == "learn":
        return launch(parse_request([]), lessons=True, watchdog=True)
    return launch(request_from(args), watchdog=True)


def _wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for JSON (so an error goes to stdout as the error object too)."""
    return bool(argv) and argv[0] in ("check", "fix", "mtls", "scan") and "--json" in argv[1:]


def _fail(line: str, argv: list[str]) -> int:
    print(f"chaindoctor: {line}", file=sys.stderr)
    if _wants_json(argv):
        import json

        print(json.dumps({"schema": 1, "error": line}))
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit 0/1 from the command, 2 with one line for any usage or input error."""
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):  # a name no locale can print is shown escaped, never a crash
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
    # cryptography's notes on odd input (over-long names, BER) would print source lines on stderr
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(tui|cryptography)(\.|$)")
    try:
        return dispatch(argv)
    except UsageError as exc:
        return _fail(f"{inert(str(exc))} (see chaindoctor --help)", argv)
    except LoadError as exc:
        return _fail(inert(str(exc)), argv)
    except KeyboardInterrupt:
        print("chaindoctor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # never a traceback for the user (unless CHAINDOCTOR_DEBUG asks for one)
        if os.environ.get("CHAINDOCTOR_DEBUG"):
            raise
        first = inert(str(exc).splitlines()[0]) if str(exc) else ""
        return _fail(f"internal error: {type(exc).__name__}: {first} (set CHAINDOCTOR_DEBUG=1 for details)", argv)
