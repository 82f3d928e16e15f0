"""``chaindoctor fix``: repair the chain and write it, leaf first, without ever losing data.

The output is written atomically (temp file, fsync, rename). An existing OUT is replaced only with
``--force``; ``--in-place`` replaces the one input file and keeps ``NAME.bak``. No input is changed
otherwise. The written file is loaded back and diagnosed, so what is reported is what is on disk.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..pki.chaindiff import ChainDiff, chain_diff
from ..pki.diagnose import Report, diagnose
from ..pki.fixes import Repair, fix_steps, to_pem
from ..pki.load import load_bytes
from ..pki.model import Bundle, CertEntry, KeyEntry
from ..pki.save import SaveError, atomic_write
from ..pki.session import open_session, system_clock
from ..pki.sources import is_endpoint
from ..pki.text import inert, shorten
from .parse import UsageError, request_from
from .render_json import print_json

NAME_WIDTH = 100
STDOUT = "-"  # -o -: the repaired chain goes to standard output


def target_of(args: argparse.Namespace) -> tuple[Path | None, bool]:
    """The output path (None for standard output) and whether it replaces the input (``--in-place``)."""
    if args.in_place and args.output is not None:
        raise UsageError("-o/--output and --in-place are mutually exclusive")
    if args.in_place:
        if len(args.sources) != 1:
            raise UsageError("--in-place needs exactly one SOURCE file")
        spec = args.sources[0]
        if spec == "-" or is_endpoint(spec) is not None or not os.path.isfile(spec):
            raise UsageError(f"--in-place needs a file SOURCE, not {spec!r}; use -o OUT")
        return Path(spec), True
    if args.output is None:
        raise UsageError("fix needs -o OUT (or --in-place to overwrite the input, keeping NAME.bak)")
    if args.output == STDOUT:
        if args.json:
            raise UsageError("-o - writes the chain to standard output; it cannot also print --json")
        return None, False
    out = Path(args.output)
    for spec in [*args.sources, *args.roots, *args.search]:
        if spec != "-" and os.path.exists(spec) and out.exists() and os.path.samefile(spec, out):
            raise UsageError(f"{out} is an input; use --in-place to overwrite it (a NAME.bak is kept)")
    return out, False


def run_fix(args: argparse.Namespace) -> int:
    """Repair, write, re-diagnose; exit 0 (fixed), 1 (written, errors remain) or 2 (nothing written)."""
    out, in_place = target_of(args)
    session = open_session(request_from(args))
    bundle = session.bundle
    if in_place and not all(c.origin.container == "pem" for c in bundle.certs):
        raise UsageError(f"--in-place would turn {out} into PEM; write it with -o OUT instead")
    ctx = session.context(system_clock(), keep_root=args.keep_root)
    steps = fix_steps(bundle, ctx)
    fixed, separate = combined_keys_only(steps[-1].after)
    changed = [s for s in steps if s.changed]
    data = to_pem(fixed, include_keys=True).encode("ascii")
    diff = chain_diff(bundle, fixed, diagnose(bundle, ctx.anchors, ctx.policy)) if args.diff else None

    if out is None:
        chain = to_pem(fixed, include_keys=False).encode("ascii")  # never a private key on a terminal
        sys.stdout.write(chain.decode("ascii"))
        report = diagnose(load_bytes(chain, "<stdout>"), ctx.anchors, ctx.policy)
        for line in _notes(steps, bundle, steps[-1].after.keys, "standard output", session.notes):
            print(f"chaindoctor: note: {inert(line)}", file=sys.stderr)
        if diff is not None:  # standard output holds the chain: the diff goes beside the notes
            sys.stderr.write(diff_text(diff))
        return 0 if report.verdict == "ok" else 1
    if in_place and not changed:
        written = False
        backup = None
    else:
        try:
            backup = atomic_write(out, data, private=bool(fixed.keys), overwrite=args.force, backup=in_place)
        except SaveError as exc:
            print(f"chaindoctor: {inert(str(exc))}", file=sys.stderr)
            return 2
        written = True

    report = diagnose(load_bytes(data, str(out)), ctx.anchors, ctx.policy)
    notes = _notes(steps, bundle, separate, str(out), session.notes)
    if args.json:
        payload = report.to_json()
        payload["repairs"] = [_repair_json(s) for s in changed]
        payload["output"] = str(out)
        payload["written"] = written
        payload["notes"] = notes
        if diff is not None:
            payload["diff"] = diff.to_json()
        print_json(payload)
    else:
        sys.stdout.write(_summary(out, written, backup, steps, report, notes))
        if diff is not None:
            sys.stdout.write(diff_text(diff))
    return 0 if report.verdict == "ok" else 1


def diff_text(diff: ChainDiff) -> str:
    """``--diff``: the served chain before and after, one line per certificate that moved, came or went."""
    lines = [f"Before -> after: {diff.summary()}"] + [f"  {inert(line)}" for line in diff.lines(NAME_WIDTH)]
    return "\n".join(lines) + "\n"


def _notes(steps: list[Repair], bundle: Bundle, separate: tuple[KeyEntry, ...], out: str,
           session_notes: list[str]) -> list[str]:
    """What the user should know beyond the repairs: fetch errors, keys left out, blocks not copied."""
    notes = [*session_notes, *(n for s in steps for n in s.notes)]
    notes += [f"the private key from {k.origin.label} was not copied into {out} (it stays in its own file)"
              for k in separate]
    if bundle.unreadable:
        notes.append(f"{len(bundle.unreadable)} unreadable block(s) in the input were not copied")
    return notes


def combined_keys_only(bundle: Bundle) -> tuple[Bundle, tuple[KeyEntry, ...]]:
    """Keep the keys that came from a file holding certificates too (HAProxy style); return the others."""
    cert_files = {c.origin.source for c in bundle.certs}
    separate = tuple(k for k in bundle.keys if k.origin.source not in cert_files)
    kept = tuple(k for k in bundle.keys if k.origin.source in cert_files)
    return Bundle(bundle.certs, kept, bundle.unreadable, bundle.sources), separate


def _who(entry: CertEntry) -> str:
    return f"'{shorten(inert(entry.subject), NAME_WIDTH)}'"


def _repair_json(repair: Repair) -> dict[str, object]:
    def cert(e: CertEntry) -> dict[str, str]:
        return {"sha256": e.sha256, "subject": e.subject, "source": e.origin.label, "from": e.origin.container}

    return {"name": repair.name, "description": repair.description,
            "added": [cert(e) for e in repair.added], "removed": [cert(e) for e in repair.removed],
            "notes": list(repair.notes)}


def _summary(out: Path, written: bool, backup: Path | None, steps: list[Repair], report: Report,
             notes: list[str]) -> str:
    """What was written, what each repair changed, where added certificates came from, what remains."""
    keys = len(report.bundle.keys)
    what = f"{len(report.bundle.certs)} certificate(s), leaf first" + (
        f", with {keys} private key(s) (mode 0600)" if keys else "")
    if written:
        kept = f"; previous version kept as {inert(str(backup))}" if backup else ""
        lines = [f"Wrote {inert(str(out))}: {what}{kept}."]
    else:
        lines = [f"{inert(str(out))} left unchanged: nothing to fix."]
    changed = [s for s in steps if s.changed]
    for step in changed:
        lines.append(f"  {step.name}: {inert(step.description)}")
        lines += [f"    + {_who(e)} from {inert(e.origin.label)} ({e.origin.container})" for e in step.added]
    first = steps[0]
    if first.unresolved:
        reason = f"not completed: {first.unresolved}" if first.changed else first.description
        lines.append(f"  {inert(reason)}")
    elif not changed:
        lines.append("  nothing to fix")
    lines += [f"  note: {inert(n)}" for n in notes]
    if report.findings:
        lines.append("Remaining:" if report.verdict == "broken" else "Remaining (no errors):")
        lines += [f"  {f.severity}: {f.code}: {inert(f.message)}" for f in report.findings]
    else:
        lines.append("The fixed chain has no findings.")
    return "\n".join(lines) + "\n"
