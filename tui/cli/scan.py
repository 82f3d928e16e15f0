"""``chaindoctor scan [ENDPOINT ...] [--from FILE] [--jobs N] [--json] [OPTIONS]``: one verdict per endpoint.

Text: one line per endpoint (verdict, the leaf's days left, the first error) and a summary; a progress
bar on stderr only when stderr is a terminal. ``--json``: JSON Lines, each the ``check --json``
report plus ``"endpoint"``, or ``{"endpoint": ..., "error": "<one line>"}``. Exit 1 when any endpoint
is broken or unreachable, 0 when all are ok; usage errors raise :class:`~tui.cli.UsageError` (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from ..pki.endpoints import LiveOptions
from ..pki.scan import ScanResult, ScanSettings, TargetError, default_port, read_targets, scan
from ..pki.stores import load_trust
from ..pki.text import inert, shorten
from .parse import UsageError

MAX_FILE_BYTES = 16 << 20  # an endpoints file: 16 MiB is some 500,000 lines
MESSAGE_WIDTH = 200
LABEL_WIDTH = 40
VERDICT_WIDTH = len("unreachable")


def _read_endpoints_file(name: str) -> str:
    try:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1) if name == "-" else _read_capped(Path(name))
    except OSError as exc:
        raise UsageError(f"{name}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(f"{name}: larger than {MAX_FILE_BYTES >> 20} MiB")
    return data.decode("utf-8", errors="replace")


def _read_capped(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


class ProgressBar:
    """``[#####-----] 37/50`` redrawn in place on a terminal; erased when done."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total}")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r" + " " * (self.WIDTH + 24) + "\r")
        self.stream.flush()


def _days(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:
        return f"expired {-days} day{'s' if days != -1 else ''} ago"
    return "expires today" if days == 0 else f"expires in {days} day{'s' if days != 1 else ''}"


def text_line(result: ScanResult, label_width: int) -> str:
    """``broken       host:443    expires in 20 days   missing-intermediate: ...`` (inert)."""
    label = shorten(inert(result.label), LABEL_WIDTH).ljust(label_width)
    head = f"{result.verdict.ljust(VERDICT_WIDTH)}  {label}"
    if result.report is None:
        return f"{head}  {shorten(inert(result.error or ''), MESSAGE_WIDTH)}"
    parts = [_days(result.days_left)]
    first = result.first_error
    if first is not None:
        parts.append(shorten(inert(f"{first.code}: {first.message}"), MESSAGE_WIDTH))
    warnings = sorted({f.code for f in result.report.findings if f.severity == "warning"})
    if warnings:
        parts.append("warnings: " + ", ".join(warnings))
    return f"{head}  " + "  ".join(p for p in parts if p)


def summary(counts: dict[str, int], total: int) -> str:
    return (f"{total} endpoint{'s' if total != 1 else ''}: {counts['ok']} ok, {counts['broken']} broken, "
            f"{counts['unreachable']} unreachable")


def run_scan(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``chaindoctor scan``; 0 when every endpoint is ok, 1 otherwise (UsageError for bad input)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        live = LiveOptions(starttls=args.starttls, sni=args.sni, no_sni=args.no_sni)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    file_text = _read_endpoints_file(args.from_file) if args.from_file else None
    try:
        targets = read_targets(args.endpoints, file_text, args.from_file or "-", default_port=default_port(live))
    except TargetError as exc:
        raise UsageError(str(exc)) from None
    if not targets:
        raise UsageError("no endpoint to scan: name ENDPOINTs or --from FILE")
    trust = load_trust(args.roots, system=not args.no_system_roots)
    settings = ScanSettings(trust=trust, purpose=args.purpose, at=args.at, host=args.host,
                            timeout=args.timeout, live=live)
    bar = ProgressBar(err) if err.isatty() else None
    counts = {"ok": 0, "broken": 0, "unreachable": 0}
    width = min(max(len(t.endpoint.label) for t in targets), LABEL_WIDTH)
    try:
        for result in scan(targets, settings, jobs=args.jobs, progress=bar):
            counts[result.verdict] += 1
            if bar is not None:
                bar.clear()
            out.write(json.dumps(result.to_json()) if args.json else text_line(result, width))
            out.write("\n")
            out.flush()
    finally:
        if bar is not None:
            bar.clear()
    if not args.json:
        out.write(summary(counts, len(targets)) + "\n")
    return 0 if counts["ok"] == len(targets) else 1
